"""The desk and households and groups: an admin adds a food club as a group programme, a
newcomer's page shows their household and its match, a run's page shows the trainers'
groups."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Household, HouseholdMember, Match, MatchRun, Programme, RunGroupMember
from tests.app.desk import Desk, field_error, token_of
from tests.app.factories import make_association, make_mentor, make_newcomer


def test_an_admin_adds_a_food_club_as_a_group_programme(
    client: TestClient, desk: Desk, db: Session
) -> None:
    admin = desk.account("admin")
    assert desk.sign_in(admin.email).status_code == 303
    token = token_of(client.get("/admin/programmes/new"))
    form = {
        "csrf_token": token,
        "code": "food_club",
        "name": "Madklub",
        "unit": "group",
        "group_min": "",
        "group_max": "8",
        "active": "yes",
    }
    missing = client.post("/admin/programmes/new", data=form)
    assert missing.status_code == 400
    assert field_error(missing, "group_min") is not None
    assert db.get(Programme, "food_club") is None
    db.rollback()
    made = client.post(
        "/admin/programmes/new", data={**form, "group_min": "4"}, follow_redirects=False
    )
    assert made.status_code == 303, made.text
    row = db.get(Programme, "food_club")
    assert row is not None and (row.unit, row.group_min, row.group_max) == ("group", 4, 8)
    db.rollback()
    listing = client.get("/admin/programmes")
    assert "Grupper på 4 til 8 deltagere." in listing.text


def test_a_newcomers_page_shows_the_household_and_its_match(
    client: TestClient, desk: Desk, db: Session
) -> None:
    contact = make_newcomer(db, first_name="Amina", programmes=["network_family"])
    child = make_newcomer(
        db, first_name="Yusuf", programmes=["homework_help"], birth_date=date(2018, 1, 1)
    )
    household = Household()
    household.members = [
        HouseholdMember(newcomer_id=contact.id, position=0),
        HouseholdMember(newcomer_id=child.id, position=1),
    ]
    db.add(household)
    db.commit()
    family = make_mentor(
        db, make_association(db), first_name="Karen", programmes=["network_family"]
    )
    db.add(
        Match(
            newcomer_id=contact.id,
            mentor_id=family.id,
            programme="network_family",
            status="accepted",
            source="manual",
            household_id=household.id,
        )
    )
    db.commit()
    desk.coordinator("101")
    page = client.get(f"/newcomers/{child.id}")
    assert page.status_code == 200
    assert f'href="/newcomers/{contact.id}">Amina' in page.text
    assert "kontaktperson" in page.text
    assert "Karen" in page.text and "Accepteret" in page.text


def test_a_newcomers_page_hides_household_matches_outside_the_callers_scope(
    client: TestClient, desk: Desk, db: Session
) -> None:
    contact = make_newcomer(db, first_name="Amina", programmes=["network_family"])
    child = make_newcomer(
        db,
        first_name="Yusuf",
        municipality="147",
        programmes=["homework_help"],
        birth_date=date(2018, 1, 1),
    )
    household = Household()
    household.members = [
        HouseholdMember(newcomer_id=contact.id, position=0),
        HouseholdMember(newcomer_id=child.id, position=1),
    ]
    db.add(household)
    db.commit()
    family = make_mentor(
        db, make_association(db), first_name="Karenmentor", programmes=["network_family"]
    )
    db.add(
        Match(
            newcomer_id=contact.id,
            mentor_id=family.id,
            programme="network_family",
            status="accepted",
            source="manual",
            household_id=household.id,
        )
    )
    db.commit()
    desk.coordinator("147")
    page = client.get(f"/newcomers/{child.id}")
    assert page.status_code == 200
    assert "Yusuf" in page.text
    assert "Karenmentor" not in page.text and "Accepteret" not in page.text


def test_a_runs_page_shows_the_trainers_groups(client: TestClient, desk: Desk, db: Session) -> None:
    trainer = make_mentor(db, make_association(db), first_name="Selam", programmes=["mindspring"])
    people = [make_newcomer(db, programmes=["mindspring"]) for _ in range(2)]
    outside = make_newcomer(db, programmes=["mindspring"], municipality="147")
    run = MatchRun(status="succeeded", dry_run=True, stats={"requests": 3, "matched": 3})
    db.add(run)
    db.flush()
    for person in [*people, outside]:
        db.add(
            RunGroupMember(
                run_id=run.id, programme="mindspring", mentor_id=trainer.id, newcomer_id=person.id
            )
        )
    db.commit()
    desk.coordinator("101")
    page = client.get(f"/runs/{run.id}")
    assert page.status_code == 200, page.text
    assert "Selam" in page.text and "MindSpring" in page.text
    for person in people:
        assert f'href="/newcomers/{person.id}"' in page.text
    assert f'href="/newcomers/{outside.id}"' not in page.text
