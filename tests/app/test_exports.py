"""Exports as Danish Excel reads them (``;``, UTF-8 with BOM, dd-mm-yyyy, decimal comma), and
as XLSX, scoped exactly as the lists."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.test_matches import make_match

ACCEPTED = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)


def _world(db: Session) -> dict[str, int]:
    red_cross = make_association(db)
    mentor = make_mentor(db, red_cross, capacity=3)
    n1 = make_newcomer(db, municipality="101")
    n2 = make_newcomer(db, municipality="751")
    a1 = make_match(db, n1.id, mentor.id, status="accepted", decided_at=ACCEPTED, score=0.75)
    a2 = make_match(db, n2.id, mentor.id, status="accepted", decided_at=ACCEPTED)
    return {"association": red_cross.id, "a1": a1.id, "a2": a2.id}


def _csv_lines(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return [line.split(";") for line in content[3:].decode("utf-8").strip().split("\r\n")]


def test_matches_export_as_danish_csv_in_scope(client: TestClient, keys: Keys, db: Session) -> None:
    world = _world(db)
    answer = client.get("/api/v1/matches/export?format=csv", headers=keys.coordinator("101"))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="matches.csv"'
    header, *rows = _csv_lines(answer.content)
    assert header[:4] == ["Match-id", "Status", "Program", "Kommune"]
    assert [r[0] for r in rows] == [str(world["a1"])]  # only Copenhagen's
    line = dict(zip(header, rows[0], strict=True))
    assert line["Score"] == "0,75" and line["Besluttet"] == "10-01-2026 09:30"
    association = client.get(
        "/api/v1/matches/export", headers=keys.association(world["association"])
    )
    header, *rows = _csv_lines(association.content)
    assert "Nytilkommen-id" not in header and "Score" not in header and len(rows) == 2


def test_matches_and_follow_ups_export_as_xlsx(
    client: TestClient, keys: Keys, db: Session, admin: dict[str, str]
) -> None:
    world = _world(db)
    answer = client.get("/api/v1/matches/export?format=xlsx", headers=admin)
    sheet = load_workbook(io.BytesIO(answer.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Match-id" and [r[0] for r in rows[1:]] == [world["a1"], world["a2"]]
    due = client.get(
        "/api/v1/follow-ups/export?format=xlsx&due_before=2026-02-09",
        headers=keys.coordinator("751"),
    )
    sheet = load_workbook(io.BytesIO(due.content), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert [r[0] for r in rows[1:]] == [world["a2"]]
    assert rows[1][6] == datetime(2026, 2, 9)  # a date cell
    report = client.get("/api/v1/reports/retention/export?on=2026-12-01", headers=admin)
    header, *lines = _csv_lines(report.content)
    assert header[0] == "Kommune" and len(lines) == 2
    assert client.get("/api/v1/matches/export?format=pdf", headers=admin).status_code == 422
