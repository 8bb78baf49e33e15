"""The desk's spreadsheet pages: a coordinator uploads newcomers and an association mentors,
reads every error by row and column in Danish, and confirms; CSRF, scope, the export
downloads and the languages of notifications chosen on the desk."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Account, Association, Mentor, Newcomer, SpreadsheetImport
from tests.app.desk import Desk, field_error, token_of
from tests.app.factories import make_association
from tests.app.spreadsheets import NEWCOMER_HEADER, csv_bytes, newcomer_rows, xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _upload(
    client: TestClient, token: str, content: bytes, *, kind: str = "newcomers", name: str = "f.xlsx"
) -> object:
    return client.post(
        "/imports",
        data={"csrf_token": token, "kind": kind},
        files={"file": (name, content, XLSX_TYPE if name.endswith("xlsx") else "text/csv")},
    )


def _count(db: Session, model: type) -> int:
    total = int(db.scalar(select(func.count()).select_from(model)) or 0)
    db.rollback()
    return total


def test_a_coordinator_previews_errors_by_row_and_column_then_imports_a_clean_file(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = desk.coordinator("101", "751")
    page = client.get("/imports")
    assert page.status_code == 200 and "Indlæs fra et regneark" in page.text
    assert 'enctype="multipart/form-data"' in page.text and "Fødselsdato" in page.text

    rows = newcomer_rows(6)
    rows[1][2] = "31-02-1990"  # no such date: row 3, Fødselsdato
    rows[3][4] = "qqxq"  # no such language: row 5, Sprog
    rows[4][5] = "Atlantis"  # no such municipality: row 6, Kommune
    bad = _upload(client, token, xlsx(NEWCOMER_HEADER, rows))
    assert bad.status_code == 200  # type: ignore[attr-defined]
    text = bad.text  # type: ignore[attr-defined]
    assert "6 rækker læst, 3 uden fejl." in text
    assert "<td>3</td><td>Fødselsdato</td><td>Skriv datoen som dd-mm-åååå.</td>" in text
    assert "<td>5</td><td>Sprog</td>" in text
    assert "<td>6</td><td>Kommune</td><td>Vælg en kommune på listen.</td>" in text
    assert "/commit" not in text  # nothing to confirm while a row is wrong
    assert _count(db, Newcomer) == 0

    good = _upload(client, token, csv_bytes(NEWCOMER_HEADER, newcomer_rows(4)), name="f.csv")
    assert "Alle rækker er klar" in good.text  # type: ignore[attr-defined]
    form_token = token_of(good)  # type: ignore[arg-type]
    action = good.text.split('action="/imports/')[1].split('"')[0]  # type: ignore[attr-defined]
    refused = client.post(f"/imports/{action}", data={"csrf_token": "forged", "kind": "newcomers"})
    assert refused.status_code == 403 and _count(db, Newcomer) == 0
    done = client.post(
        f"/imports/{action}",
        data={"csrf_token": form_token, "kind": "newcomers"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/newcomers?imported=4"
    assert _count(db, Newcomer) == 4
    again = client.post(
        f"/imports/{action}",
        data={"csrf_token": form_token, "kind": "newcomers"},
        follow_redirects=False,
    )
    assert again.status_code == 303 and _count(db, Newcomer) == 4  # once


def test_a_row_outside_the_coordinators_municipalities_is_named_and_nothing_written(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = desk.coordinator("101")
    rows = newcomer_rows(3)  # row 4 lives in Aarhus
    page = _upload(client, token, xlsx(NEWCOMER_HEADER, rows))
    assert "<td>4</td><td>Kommune</td>" in page.text  # type: ignore[attr-defined]
    assert _count(db, Newcomer) == 0


def test_an_association_imports_mentors_and_a_coordinator_cannot(
    client: TestClient, desk: Desk, db: Session
) -> None:
    club = make_association(db)
    account = desk.account("association", association_id=club.id)
    assert desk.sign_in(account.email).status_code == 303
    token = token_of(client.get("/imports"))
    header = ["Fornavn", "Efternavn", "E-mail", "Sprog", "Kommune", "Programmer", "Børneattest"]
    rows = [
        ["Testmentor", "Testesen", "m1@example.org", "dansk", "København", "mentor", "ja"],
        ["Anden", "Testesen", "m2@example.org", "da, en", "101", "mentor", "måske"],
    ]
    page = _upload(client, token, xlsx(header, rows), kind="mentors")
    assert "<td>3</td><td>Børneattest</td><td>Skriv ja eller nej.</td>" in page.text  # type: ignore[attr-defined]
    newcomers = _upload(client, token, xlsx(header, rows), kind="newcomers")
    assert newcomers.status_code == 404  # type: ignore[attr-defined]
    assert _count(db, Mentor) == 0


def test_uploading_nothing_or_a_broken_file_is_said_in_words(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = desk.coordinator("101")
    empty = _upload(client, token, b"")
    assert empty.status_code == 400 and "Vælg en fil at sende." in empty.text  # type: ignore[attr-defined]
    broken = _upload(client, token, b"PK\x03\x04 not really a workbook")
    assert broken.status_code == 400  # type: ignore[attr-defined]
    assert "Filen kunne ikke læses" in broken.text  # type: ignore[attr-defined]


def test_the_desk_downloads_exports_in_scope(client: TestClient, desk: Desk, db: Session) -> None:
    desk.coordinator("101")
    matches = client.get("/exports/matches?format=xlsx")
    assert matches.status_code == 200 and matches.headers["content-type"] == XLSX_TYPE
    book = load_workbook(io.BytesIO(matches.content), read_only=True)
    assert next(book.worksheets[0].iter_rows(values_only=True))[0]
    follow_ups = client.get("/exports/follow-ups?format=csv")
    assert follow_ups.status_code == 200 and follow_ups.content.startswith(b"\xef\xbb\xbf")
    retention = client.get("/exports/retention")
    assert retention.status_code == 200 and b"Kommune" in retention.content
    assert client.get("/exports/matches?format=pdf").status_code == 404
    assert 'href="/exports/matches?format=xlsx"' in client.get("/matches").text


def test_languages_of_notifications_are_chosen_on_the_desk(
    client: TestClient, desk: Desk, db: Session
) -> None:
    admin = desk.account("admin")
    assert desk.sign_in(admin.email).status_code == 303
    token = token_of(client.get("/admin/associations/new"))
    created = client.post(
        "/admin/associations/new",
        data={
            "csrf_token": token,
            "name": "Klub Test",
            "kind": "sports_club",
            "contact_email": "klub@example.org",
            "language": "en",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    club = db.scalars(select(Association).where(Association.name == "Klub Test")).one()
    club_id, language = club.id, club.language
    db.rollback()
    assert language == "en"
    edit = client.get(f"/admin/associations/{club_id}/edit")
    assert 'value="en" checked' in edit.text

    invited = client.post(
        "/admin/invite",
        data={
            "csrf_token": token,
            "email": "ny@example.com",
            "role": "coordinator",
            "municipalities": "101",
            "language": "en",
        },
    )
    assert invited.status_code == 200, invited.text
    invited_language = db.scalar(select(Account.language).where(Account.email == "ny@example.com"))
    db.rollback()
    assert invited_language == "en"

    # Signed in, the page language switch is also the account's own language.
    switched = client.post(
        "/language",
        data={"csrf_token": token, "lang": "en", "next": "/admin"},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    own_language = db.scalar(select(Account.language).where(Account.id == admin.id))
    db.rollback()
    assert own_language == "en"


MENTOR_HEADER = ["Fornavn", "Efternavn", "Sprog", "Kommune", "Programmer"]
MENTOR_ROWS = [["Testmentor", "Testesen", "dansk", "København", "mentor"]]


def _upload_mentors(client: TestClient, token: str, association_id: object) -> object:
    return client.post(
        "/imports",
        data={"csrf_token": token, "kind": "mentors", "association_id": str(association_id)},
        files={"file": ("f.csv", csv_bytes(MENTOR_HEADER, MENTOR_ROWS), "text/csv")},
    )


def test_an_admin_chooses_the_mentors_association_and_the_commit_keeps_it(
    client: TestClient, desk: Desk, db: Session
) -> None:
    club, other = make_association(db, name="Klub Et"), make_association(db, name="Klub To")
    club_id, other_id = club.id, other.id
    admin = desk.account("admin")
    assert desk.sign_in(admin.email).status_code == 303
    page = client.get("/imports")
    assert '<select class="form-select" id="association_id" name="association_id"' in page.text
    assert f'<option value="{club_id}">Klub Et</option>' in page.text
    token = token_of(page)

    for named in ("", 99999):
        refused = _upload_mentors(client, token, named)
        assert refused.status_code == 400  # type: ignore[attr-defined]
        assert field_error(refused, "association_id") == "Vælg foreningen."  # type: ignore[arg-type]
        assert _count(db, SpreadsheetImport) == 0  # nothing written

    good = _upload_mentors(client, token, club_id)
    assert "Alle rækker er klar" in good.text  # type: ignore[attr-defined]
    assert f'<option value="{club_id}" selected>' in good.text  # type: ignore[attr-defined]
    assert f'name="association_id" value="{club_id}"' in good.text  # type: ignore[attr-defined]
    action = good.text.split('action="/imports/')[1].split('"')[0]  # type: ignore[attr-defined]
    form = {"csrf_token": token, "kind": "mentors"}
    wrong = client.post(f"/imports/{action}", data={**form, "association_id": str(other_id)})
    assert wrong.status_code == 422 and "en anden forening" in wrong.text
    assert _count(db, Mentor) == 0
    done = client.post(
        f"/imports/{action}",
        data={**form, "association_id": str(club_id)},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/admin/associations?done=imported"
    assert "Mentorerne er indlæst." in client.get(done.headers["location"]).text
    assert db.scalars(select(Mentor.association_id)).all() == [club_id]
    db.rollback()


def test_an_association_cannot_import_for_another(
    client: TestClient, desk: Desk, db: Session
) -> None:
    own, other = make_association(db), make_association(db, name="Anden klub")
    own_id, other_id = own.id, other.id
    account = desk.account("association", association_id=own_id)
    assert desk.sign_in(account.email).status_code == 303
    page = client.get("/imports")
    assert 'name="association_id"' not in page.text  # its own, never a choice
    token = token_of(page)
    refused = _upload_mentors(client, token, other_id)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert _count(db, SpreadsheetImport) == 0
    own_page = _upload_mentors(client, token, "")
    assert "Alle rækker er klar" in own_page.text  # type: ignore[attr-defined]
