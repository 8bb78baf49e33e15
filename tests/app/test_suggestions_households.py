"""Suggestions for a household's request read the members together (MATCHING.md, "Households
and groups"), and the never-twice rule holds household-wide, live proposals included."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Association, Household, HouseholdMember, Match, Mentor, Newcomer
from tests.app.desk import Desk
from tests.app.factories import make_association, make_mentor, make_newcomer


def _household(db: Session, *members: Newcomer) -> Household:
    row = Household(
        members=[HouseholdMember(newcomer_id=m.id, position=i) for i, m in enumerate(members)]
    )
    db.add(row)
    db.commit()
    return row


def _family(db: Session, **child: Any) -> tuple[Newcomer, Newcomer]:
    contact = make_newcomer(
        db, birth_date=date(1985, 1, 1), languages=["ar"], programmes=["network_family"]
    )
    values: dict[str, Any] = {
        "birth_date": date(2018, 1, 1),
        "languages": ["ar"],
        "programmes": ["homework_help"],
    }
    values.update(child)
    kid = make_newcomer(db, **values)
    _household(db, contact, kid)
    return contact, kid


def _mentor(db: Session, association: Association, **fields: Any) -> Mentor:
    values: dict[str, Any] = {
        "languages": ["ar"],
        "programmes": ["network_family", "homework_help", "mentor"],
        "capacity": 3,
    }
    values.update(fields)
    return make_mentor(db, association, **values)


def _suggested(
    client: TestClient, headers: dict[str, str], newcomer: Newcomer, programme: str
) -> list[int]:
    url = f"/api/v1/newcomers/{newcomer.id}/suggestions?limit=20&programme={programme}"
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    [block] = response.json()["items"]
    return [c["mentor_id"] for c in block["candidates"]]


def _match(db: Session, newcomer: Newcomer, mentor: Mentor, programme: str, **fields: Any) -> None:
    values: dict[str, Any] = {"status": "proposed", "source": "solver"}
    values.update(fields)
    db.add(Match(newcomer_id=newcomer.id, mentor_id=mentor.id, programme=programme, **values))
    db.commit()


def test_a_child_in_the_household_needs_a_certified_mentor(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    contact, _kid = _family(db)
    certified = _mentor(db, association, child_certificate=True)
    _mentor(db, association, child_certificate=False)
    assert _suggested(client, admin, contact, "network_family") == [certified.id]
    # A child of unknown age counts as a child as well.
    other, _ = _family(db, birth_date=None)
    assert _suggested(client, admin, other, "network_family") == [certified.id]


def test_a_language_shared_with_another_adult_member_is_enough(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    contact, _kid = _family(db, birth_date=date(1988, 1, 1), languages=["ti"])
    speaks_ti = _mentor(db, association, languages=["ti"])
    response = client.get(f"/api/v1/newcomers/{contact.id}/suggestions", headers=admin)
    [block] = response.json()["items"]
    assert [c["mentor_id"] for c in block["candidates"]] == [speaks_ti.id]
    assert block["passed"]["language"] == 1


def test_a_mentor_of_a_housemate_is_not_suggested_for_the_household(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    contact, kid = _family(db, birth_date=date(1990, 1, 1))
    accepted, proposed, by_hand, free = (_mentor(db, association) for _ in range(4))
    _match(db, kid, accepted, "homework_help", status="accepted")
    _match(db, kid, proposed, "mentor")  # a solver proposal of the member's other request
    _match(db, kid, by_hand, "mentor", source="manual")
    kid.programmes = ["homework_help", "mentor"]
    db.commit()
    assert _suggested(client, admin, contact, "network_family") == [free.id]


def test_the_households_live_match_is_not_suggested_for_a_members_own_request(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    contact, kid = _family(db, birth_date=date(1990, 1, 1))
    theirs, mine, free = (_mentor(db, association) for _ in range(3))
    _match(db, contact, theirs, "network_family")  # the household's proposal
    contact.programmes = ["network_family", "mentor"]
    db.commit()
    _match(db, contact, mine, "mentor")  # the contact's own proposal
    assert _suggested(client, admin, kid, "homework_help") == [free.id]
    # The household's own proposal stays a candidate of its own request.
    assert set(_suggested(client, admin, contact, "network_family")) == {theirs.id, free.id}
    assert set(_suggested(client, admin, contact, "mentor")) == {mine.id, free.id}


def test_a_members_turned_down_mentor_is_not_suggested_for_the_household(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    contact, kid = _family(db, birth_date=date(1990, 1, 1))
    rejected, free = _mentor(db, association), _mentor(db, association)
    _match(db, kid, rejected, "homework_help", status="rejected")
    assert _suggested(client, admin, contact, "network_family") == [free.id]


def test_two_members_may_be_suggested_one_trainers_group(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    contact, kid = _family(db, birth_date=date(1990, 1, 1), programmes=["mindspring"])
    contact.programmes = ["network_family", "mindspring"]
    db.commit()
    trainer = _mentor(db, association, programmes=["mindspring", "network_family"])
    _match(db, contact, trainer, "mindspring")
    assert _suggested(client, admin, kid, "mindspring") == [trainer.id]
    # ...but not the household's mentor as well.
    assert _suggested(client, admin, contact, "network_family") == []


def test_match_by_hand_shows_the_households_suggestions(
    client: TestClient, db: Session, desk: Desk
) -> None:
    association = make_association(db)
    contact, kid = _family(db)
    _mentor(db, association, first_name="Birgit", child_certificate=True)
    _mentor(db, association, first_name="Karen", child_certificate=False)  # the child
    housemates = _mentor(db, association, first_name="Jonna", child_certificate=True)
    _match(db, kid, housemates, "homework_help")  # proposed to the child: not twice
    contact_id = contact.id
    db.rollback()
    desk.coordinator("101")
    page = client.get(f"/newcomers/{contact_id}/match")
    assert page.status_code == 200, page.text
    assert "Birgit" in page.text
    assert "Karen" not in page.text and "Jonna" not in page.text
