"""An association's mentors pages: its own mentors only, register, edit, deactivate; errors
beside each field and nothing written."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Mentor
from tests.app.desk import Desk, field_error, token_of
from tests.app.factories import make_association, make_mentor


def _sign_in(desk: Desk, association_id: int) -> str:
    account = desk.account("association", association_id=association_id)
    assert desk.sign_in(account.email).status_code == 303
    return token_of(desk.client.get("/mentors"))


def _form(token: str, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "csrf_token": token,
        "first_name": "Karen",
        "last_name": "Frivillig",
        "email": "karen@example.com",
        "phone": "",
        "birth_year": "1980",
        "gender": "female",
        "languages_0": "da",
        "languages_1": "ar",
        "municipality": "101",
        "capacity": "2",
        "programmes": ["mentor"],
        "interests": "cooking",
        "active": "yes",
    }
    values.update(fields)
    return values


def _count(db: Session) -> int:
    count = db.scalar(select(func.count()).select_from(Mentor)) or 0
    db.rollback()
    return count


def test_an_association_sees_and_registers_its_own_mentors(
    client: TestClient, desk: Desk, db: Session
) -> None:
    own, other = make_association(db), make_association(db, name="Anden forening")
    make_mentor(db, own, first_name="Own")
    stranger = make_mentor(db, other, first_name="Stranger")
    token = _sign_in(desk, own.id)
    listing = client.get("/mentors")
    assert "Own" in listing.text
    assert "Stranger" not in listing.text
    assert client.get(f"/mentors/{stranger.id}/edit").status_code == 404
    assert client.get("/mentors/new").status_code == 200
    created = client.post("/mentors/new", data=_form(token), follow_redirects=False)
    assert created.status_code == 303
    row = db.scalar(select(Mentor).where(Mentor.first_name == "Karen"))
    assert row is not None
    assert (row.association_id, row.languages, row.capacity) == (own.id, ["da", "ar"], 2)
    db.rollback()


def test_invalid_mentor_input_is_shown_beside_each_field_and_nothing_is_written(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = _sign_in(desk, make_association(db).id)
    before = _count(db)
    page = client.post(
        "/mentors/new",
        data=_form(token, last_name="", capacity="40", email="nope", programmes=[]),
    )
    assert page.status_code == 400
    assert field_error(page, "last_name") == "Udfyld feltet."
    assert field_error(page, "capacity") == "Tallet er for stort."
    assert field_error(page, "programmes") == "Vælg mindst én."
    assert field_error(page, "email") == "Skriv en gyldig e-mailadresse."
    whole = client.post("/mentors/new", data=_form(token, capacity="2,5", birth_year="halvfems"))
    assert field_error(whole, "capacity") == "Skriv et helt tal."
    assert field_error(whole, "birth_year") == "Skriv et helt tal."
    assert 'value="Karen"' in page.text
    language = client.post(
        "/mentors/new",
        data=_form(token, languages_0="ar", languages_1="", programmes=["language_buddy"]),
    )
    assert field_error(language, "programmes") is not None  # Sprogmakker needs Danish
    assert _count(db) == before


def test_deactivating_a_mentor(client: TestClient, desk: Desk, db: Session) -> None:
    association = make_association(db)
    mentor_id = make_mentor(db, association).id
    token = _sign_in(desk, association.id)
    form = client.get(f"/mentors/{mentor_id}/edit")
    assert form.status_code == 200
    data = _form(token, version="1")
    del data["active"]
    saved = client.post(f"/mentors/{mentor_id}/edit", data=data, follow_redirects=False)
    assert saved.status_code == 303
    row = db.get(Mentor, mentor_id, populate_existing=True)
    assert row is not None
    assert not row.active
    db.rollback()
    stale = client.post(f"/mentors/{mentor_id}/edit", data=_form(token, version="1"))
    assert stale.status_code == 409


def test_the_mentor_pages_are_for_associations(client: TestClient, desk: Desk) -> None:
    desk.coordinator("101")
    assert client.get("/mentors").status_code == 403


def test_the_association_sees_its_mentors_matches_without_contact_details(
    client: TestClient, desk: Desk, db: Session
) -> None:
    from app.models import Association
    from tests.app.desk import make_proposal

    make_proposal(db)  # Hiba (born 1995, Copenhagen) with Karen of Røde Kors Testby
    association_id = db.scalar(select(Association.id).where(Association.name == "Røde Kors Testby"))
    db.rollback()
    assert association_id is not None
    _sign_in(desk, association_id)
    page = client.get("/association")
    assert page.status_code == 200
    assert "Hiba" in page.text
    assert "Eksempel" not in page.text  # the newcomer's last name is not shown
    assert "København" in page.text
