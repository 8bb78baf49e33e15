"""A browser journey of the desk's spreadsheet import in real headless Chromium (the set-up,
skips and axe-core check of :mod:`tests.app.test_desk_browser`): a coordinator uploads an
Excel file, reads the errors by row and column, uploads the corrected file and imports it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Newcomer
from tests.app import test_desk_browser as shared
from tests.app.desk import PASSWORD, Desk
from tests.app.spreadsheets import NEWCOMER_HEADER, newcomer_rows, xlsx
from tests.app.test_desk_browser import check_accessibility, screenshot, sign_in

pytestmark = pytest.mark.browser
browser, server, page = shared.browser, shared.server, shared.page


def test_a_coordinator_imports_newcomers_from_excel(
    page: Any, desk: Desk, db: Session, tmp_path: Path
) -> None:
    account = desk.account("coordinator", municipalities=["101", "751"])
    sign_in(page, account.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers"))
    page.get_by_role("link", name="Indlæs", exact=True).click()
    page.wait_for_url(re.compile(r"/imports$"))
    check_accessibility(page)

    rows = newcomer_rows(12)
    good = [list(row) for row in rows]
    rows[4][2] = "31-02-1990"  # sheet row 6, Fødselsdato
    bad_file, good_file = tmp_path / "nyankomne.xlsx", tmp_path / "rettet.xlsx"
    bad_file.write_bytes(xlsx(NEWCOMER_HEADER, rows))
    good_file.write_bytes(xlsx(NEWCOMER_HEADER, good))

    page.get_by_label("Regneark (CSV eller Excel .xlsx)").set_input_files(str(bad_file))
    page.get_by_role("button", name="Tjek filen").click()
    table = page.get_by_role("table", name="Fejl efter række og kolonne")
    assert table.is_visible()
    assert "6 Fødselsdato Skriv datoen som dd-mm-åååå." in " ".join(table.inner_text().split())
    assert page.get_by_role("button", name=re.compile("^Indlæs")).count() == 0
    check_accessibility(page)
    screenshot(page, "import-preview-errors")

    page.get_by_label("Regneark (CSV eller Excel .xlsx)").set_input_files(str(good_file))
    page.get_by_role("button", name="Tjek filen").click()
    page.get_by_role("button", name="Indlæs 12 rækker").click()
    page.wait_for_url(re.compile(r"/newcomers\?imported=12$"))
    check_accessibility(page)
    count = db.scalar(select(func.count()).select_from(Newcomer))
    db.rollback()
    assert count == 12
