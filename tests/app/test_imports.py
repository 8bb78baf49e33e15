"""Spreadsheet imports: Danish Excel files in, a preview naming every bad row and column, a
commit that writes all rows or none, once."""

from __future__ import annotations

import logging
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Mentor, Newcomer, SpreadsheetImport
from tests.app.conftest import Keys
from tests.app.factories import make_association
from tests.app.spreadsheets import NEWCOMER_HEADER, csv_bytes, newcomer_rows, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _count(db: Session, model: type) -> int:
    """Rows of ``model`` (the test's session lets go of SQLite's write lock at once)."""
    count = int(db.scalar(select(func.count()).select_from(model)) or 0)
    db.rollback()
    return count


def test_200_newcomers_from_excel_with_three_bad_rows(
    client: TestClient, keys: Keys, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    coordinator = keys.coordinator("101", "751")
    rows = newcomer_rows(200)
    rows[9][2] = "31-02-1990"  # sheet row 11: no such date
    rows[49][4] = "xyzzyisk"  # row 51: no such language
    rows[149][5] = "Aalborg"  # row 151: outside the key's municipalities
    rows[0][2] = date(1985, 3, 4)  # a real date cell, as Excel stores one
    upload = client.post(
        "/api/v1/newcomers/imports",
        headers={**coordinator, "Content-Type": XLSX},
        content=xlsx(NEWCOMER_HEADER, rows),
    )
    assert upload.status_code == 200, upload.text
    preview = upload.json()
    assert preview["rows"] == 200, preview["errors"]
    assert preview["valid_rows"] == 197, preview["errors"]
    assert [(e["row"], e["column"]) for e in preview["errors"]] == [
        (11, "Fødselsdato"),
        (51, "Sprog"),
        (151, "Kommune"),
    ]
    assert preview["sample"][0]["birth_date"] == "1985-03-04"
    assert preview["sample"][0]["languages"] == ["ar", "da"]
    assert _count(db, Newcomer) == 0  # a preview writes no one
    # A preview with errors is never committed: all or none.
    refused = client.post(f"/api/v1/newcomers/imports/{preview['id']}/commit", headers=coordinator)
    assert refused.status_code == 422, refused.text
    assert "row 51: Sprog" in refused.text
    assert _count(db, Newcomer) == 0

    fixed = [r for i, r in enumerate(rows) if i not in (9, 49, 149)]
    again = client.post(
        "/api/v1/newcomers/imports",
        headers={**coordinator, "Content-Type": XLSX},
        content=xlsx(NEWCOMER_HEADER, fixed),
    ).json()
    assert again["errors"] == [] and again["valid_rows"] == 197
    url = f"/api/v1/newcomers/imports/{again['id']}/commit"
    committed = client.post(url, headers=coordinator)
    assert committed.status_code == 200, committed.text
    assert committed.json()["created"] == 197
    twice = client.post(url, headers=coordinator)
    assert twice.json() == committed.json()
    assert _count(db, Newcomer) == 197
    first = db.scalar(select(Newcomer).order_by(Newcomer.id).limit(1))
    assert first is not None and first.birth_date == date(1985, 3, 4)
    assert first.gender == "female" and first.municipality == "101"
    imported = db.scalars(
        select(AuditEvent.action).where(AuditEvent.resource == "spreadsheet_import")
    ).all()
    assert sorted(imported) == ["import", "preview", "preview"]
    assert _count(db, AuditEvent) >= 197 + 3
    stored = db.get(SpreadsheetImport, again["id"])
    assert stored is not None and stored.rows == []  # the bodies are gone after the commit
    assert "Testfornavn" not in caplog.text  # no personal data in the logs
    db.rollback()
    # Another key never sees the preview.
    other = keys.coordinator("101")
    assert client.post(url, headers=other).status_code == 404


def test_a_windows_1252_csv_with_danish_names(client: TestClient, keys: Keys, db: Session) -> None:
    coordinator = keys.coordinator("101")
    header = [*NEWCOMER_HEADER, "Interesser", "Maks. afstand (km)"]
    rows = [
        [
            "Søren",
            "Ærø",
            "01-02-1990",
            "mand",
            "dansk, engelsk",
            "København",
            "mentor",
            "fodbold, madlavning",
            "12,5",
        ],
        ["Åse", "Østergård", "15-12-1988", "Kvinde", "da", "0101", "mentor", "", ""],
    ]
    content = csv_bytes(header, rows, encoding="cp1252")
    preview = client.post(
        "/api/v1/newcomers/imports",
        headers={**coordinator, "Content-Type": "text/csv"},
        content=content,
    ).json()
    assert preview["errors"] == [], preview
    assert preview["sample"][0]["first_name"] == "Søren"
    assert preview["sample"][0]["max_distance_km"] == 12.5
    assert preview["sample"][1]["municipality"] == "101"
    result = client.post(
        f"/api/v1/newcomers/imports/{preview['id']}/commit", headers=coordinator
    ).json()
    assert result["created"] == 2
    names = db.scalars(select(Newcomer.last_name).order_by(Newcomer.id)).all()
    assert names == ["Ærø", "Østergård"]
    row = db.scalars(select(Newcomer).order_by(Newcomer.id)).first()
    assert row is not None and row.interests == ["fodbold", "madlavning"]


def test_header_errors_name_the_column(client: TestClient, keys: Keys, db: Session) -> None:
    coordinator = keys.coordinator("101")
    content = csv_bytes(["Fornavn", "Skostørrelse"], [["A", "42"]])
    preview = client.post("/api/v1/newcomers/imports", headers=coordinator, content=content).json()
    columns = {(e["row"], e["column"], e["message"]) for e in preview["errors"]}
    assert (1, "Skostørrelse", "unknown column") in columns
    assert (1, "Efternavn", "column missing") in columns
    assert preview["valid_rows"] == 0
    empty = client.post("/api/v1/newcomers/imports", headers=coordinator, content=b"")
    assert empty.status_code == 422 and "file" in empty.text
    association = keys.association(make_association(db).id)
    refused = client.post("/api/v1/newcomers/imports", headers=association, content=content)
    assert refused.status_code == 403


def test_an_association_imports_its_mentors(client: TestClient, keys: Keys, db: Session) -> None:
    association = make_association(db)
    headers = keys.association(association.id)
    header = [
        "Fornavn",
        "Efternavn",
        "E-mail",
        "Telefon",
        "Sprog",
        "Kommune",
        "Kapacitet",
        "Programmer",
        "Børneattest",
    ]
    rows = [
        [
            "Test",
            "Mentor",
            "mentor@example.org",
            "12345678",
            "dansk",
            "Aarhus",
            "2",
            "mentor",
            "ja",
        ],
        ["Test", "To", "ikke-en-mail", "", "da", "751", "tre", "mentor", "nej"],
    ]
    preview = client.post(
        "/api/v1/mentors/imports", headers=headers, content=csv_bytes(header, rows)
    ).json()
    assert {(e["row"], e["column"]) for e in preview["errors"]} == {
        (3, "E-mail"),
        (3, "Kapacitet"),
    }
    ok = client.post(
        "/api/v1/mentors/imports", headers=headers, content=csv_bytes(header, rows[:1])
    ).json()
    done = client.post(f"/api/v1/mentors/imports/{ok['id']}/commit", headers=headers)
    assert done.status_code == 200 and done.json()["created"] == 1
    mentor = db.scalars(select(Mentor)).one()
    assert mentor.association_id == association.id and mentor.child_certificate is True
    assert mentor.capacity == 2
    db.rollback()
    coordinator = keys.coordinator("101")
    assert (
        client.post("/api/v1/mentors/imports", headers=coordinator, content=b"x").status_code == 403
    )


MENTOR_HEADER = ["Fornavn", "Efternavn", "Sprog", "Kommune", "Programmer"]
MENTOR_ROWS = [
    ["Test", "Mentor", "dansk", "København", "mentor"],
    ["Anden", "Mentor", "da", "101", "mentor"],
]


def _mentors_preview(client: TestClient, headers: dict[str, str], **params: object) -> object:
    return client.post(
        "/api/v1/mentors/imports",
        params=params,
        headers=headers,
        content=csv_bytes(MENTOR_HEADER, MENTOR_ROWS),
    )


def _fields(answer: object) -> list[str]:
    return [e["field"] for e in answer.json()["errors"]]  # type: ignore[attr-defined]


def test_an_admin_imports_mentors_for_the_association_it_names(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    club, other = make_association(db), make_association(db, name="Anden klub")
    club_id, other_id = club.id, other.id
    preview = _mentors_preview(client, admin, association_id=club_id)
    assert preview.status_code == 200, preview.text  # type: ignore[attr-defined]
    body = preview.json()  # type: ignore[attr-defined]
    assert body["errors"] == [] and body["valid_rows"] == 2
    assert body["association_id"] == club_id
    url = f"/api/v1/mentors/imports/{body['id']}/commit"

    # The preview is tied to its association: a commit naming another is refused.
    wrong = client.post(url, params={"association_id": other_id}, headers=admin)
    assert wrong.status_code == 422, wrong.text
    assert _fields(wrong) == ["association_id"]
    assert _count(db, Mentor) == 0

    done = client.post(url, params={"association_id": club_id}, headers=admin)
    assert done.status_code == 200, done.text
    assert done.json()["created"] == 2 and done.json()["association_id"] == club_id
    again = client.post(url, headers=admin)  # the preview's association, once
    assert again.json() == done.json()
    assert client.post(url, params={"association_id": other_id}, headers=admin).status_code == 422
    owners = db.scalars(select(Mentor.association_id).order_by(Mentor.id)).all()
    assert owners == [club_id, club_id]
    events = db.execute(
        select(AuditEvent.resource, AuditEvent.action, AuditEvent.actor)
        .where(AuditEvent.resource.in_(["spreadsheet_import", "mentor"]))
        .order_by(AuditEvent.id)
    ).all()
    db.rollback()
    assert [(resource, action) for resource, action, _actor in events] == [
        ("spreadsheet_import", "preview"),
        ("mentor", "create"),
        ("mentor", "create"),
        ("spreadsheet_import", "import"),
    ]
    assert len({actor for _resource, _action, actor in events}) == 1  # the admin's key


@pytest.mark.parametrize("association_id", [None, 99999])
def test_an_admin_must_name_a_known_association(
    client: TestClient, admin: dict[str, str], db: Session, association_id: int | None
) -> None:
    make_association(db)
    params = {} if association_id is None else {"association_id": association_id}
    refused = _mentors_preview(client, admin, **params)
    assert refused.status_code == 422, refused.text  # type: ignore[attr-defined]
    assert _fields(refused) == ["association_id"]
    assert _count(db, SpreadsheetImport) == 0 and _count(db, AuditEvent) == 0  # nothing written
    malformed = _mentors_preview(client, admin, association_id="x")
    assert malformed.status_code == 422  # type: ignore[attr-defined]
    assert "association_id" in malformed.text  # type: ignore[attr-defined]


def test_an_association_names_only_its_own(client: TestClient, keys: Keys, db: Session) -> None:
    own, other = make_association(db), make_association(db, name="Anden klub")
    own_id, other_id = own.id, other.id
    headers = keys.association(own_id)
    refused = _mentors_preview(client, headers, association_id=other_id)
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert _count(db, SpreadsheetImport) == 0
    preview = _mentors_preview(client, headers, association_id=own_id)
    body = preview.json()  # type: ignore[attr-defined]
    assert body["errors"] == [] and body["association_id"] == own_id
    url = f"/api/v1/mentors/imports/{body['id']}/commit"
    assert client.post(url, params={"association_id": other_id}, headers=headers).status_code == 403
    assert _count(db, Mentor) == 0
    done = client.post(url, params={"association_id": own_id}, headers=headers)
    assert done.status_code == 200 and done.json()["created"] == 2
    newcomers = client.post(
        "/api/v1/newcomers/imports",
        params={"association_id": own_id},
        headers=keys.coordinator("101"),
        content=csv_bytes(NEWCOMER_HEADER, newcomer_rows(1)),
    )
    assert newcomers.status_code == 422 and _fields(newcomers) == ["association_id"]


def test_an_association_deleted_after_the_preview_is_named_at_the_commit(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    club = make_association(db)
    club_id = club.id
    body = _mentors_preview(client, admin, association_id=club_id).json()  # type: ignore[attr-defined]
    assert client.delete(f"/api/v1/associations/{club_id}", headers=admin).status_code == 204
    refused = client.post(f"/api/v1/mentors/imports/{body['id']}/commit", headers=admin)
    assert refused.status_code == 422, refused.text
    assert _fields(refused) == ["association_id"]
    assert _count(db, Mentor) == 0
