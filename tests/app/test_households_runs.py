"""Households and groups through the nightly run, dry runs, manual matches and the match
views: a child makes an uncertified volunteer family illegal (member-wise rules), a group
that falls below its minimum after a rejection is not placed again, an accepted group is
kept and filled."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.jobs.rematch import rematch
from app.models import Association, Household, Match, Mentor, RunUnmatched
from tests.app.conftest import Keys
from tests.app.factories import add_food_club, make_association, make_mentor, make_newcomer
from tests.app.runs import run_through_api


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    result: Engine = app.state.engine
    return result


def _rows(db: Session, model: Any, *where: Any) -> list[Any]:
    rows = list(db.scalars(select(model).where(*where).order_by(model.id)))
    db.expunge_all()
    db.rollback()
    return rows


def _family(client: TestClient, db: Session, headers: dict[str, str]) -> dict[str, Any]:
    """An adult contact person asking for a network family, and her 8-year-old child."""
    contact = make_newcomer(
        db, programmes=["network_family"], birth_date=date(1985, 2, 1), gender="female"
    )
    child = make_newcomer(
        db, programmes=["homework_help"], birth_date=date(date.today().year - 8, 1, 1)
    )
    created = client.post(
        "/api/v1/households", json={"members": [contact.id, child.id]}, headers=headers
    )
    assert created.status_code == 201, created.text
    return {"id": created.json()["id"], "contact": contact.id, "child": child.id}


def _family_mentor(db: Session, association: Association, *, certified: bool) -> Mentor:
    return make_mentor(
        db,
        association,
        programmes=["network_family"],
        child_certificate=certified,
        capacity=1,
    )


def test_a_child_makes_an_uncertified_volunteer_family_illegal_in_a_run(
    client: TestClient, db: Session, keys: Keys, engine: Engine
) -> None:
    family = _family(client, db, keys.coordinator("101"))
    association = make_association(db)
    uncertified = _family_mentor(db, association, certified=False)

    rematch(engine)
    assert _rows(db, Match, Match.programme == "network_family") == []
    [unmatched] = _rows(db, RunUnmatched, RunUnmatched.programme == "network_family")
    assert (unmatched.newcomer_id, unmatched.reason) == (family["contact"], "child_safety")

    certified = _family_mentor(db, association, certified=True)
    rematch(engine)
    [match] = _rows(db, Match, Match.programme == "network_family")
    assert (match.newcomer_id, match.mentor_id, match.household_id) == (
        family["contact"],
        certified.id,
        family["id"],
    )
    assert match.mentor_id != uncertified.id


def test_a_manual_household_match_is_held_to_the_members_rules(
    client: TestClient, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    family = _family(client, db, coordinator)
    association = make_association(db)
    uncertified = _family_mentor(db, association, certified=False)
    certified = _family_mentor(db, association, certified=True)

    body = {"newcomer_id": family["contact"], "programme": "network_family"}
    refused = client.post(
        "/api/v1/matches", json={**body, "mentor_id": uncertified.id}, headers=coordinator
    )
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["rule"] == "child_safety"

    made = client.post(
        "/api/v1/matches", json={**body, "mentor_id": certified.id}, headers=coordinator
    )
    assert made.status_code == 201, made.text
    match = made.json()
    assert match["household_id"] == family["id"]
    seen = client.get(f"/api/v1/matches/{match['id']}", headers=coordinator).json()
    assert seen["household"] == {
        "id": family["id"],
        "members": [family["contact"], family["child"]],
    }

    by_association = client.get(
        f"/api/v1/matches/{match['id']}", headers=keys.association(association.id)
    ).json()
    assert [set(m) for m in by_association["household"]] == [
        {"first_name", "age", "languages", "municipality"}
    ] * 2
    assert by_association["household"][1]["age"] == 8

    # The certificate lapses before the accept: the member-wise re-check refuses it.
    db.get(Mentor, certified.id).child_certificate = False  # type: ignore[union-attr]
    db.commit()
    accepted = client.post(f"/api/v1/matches/{match['id']}/accept", headers=coordinator)
    assert accepted.status_code == 409, accepted.text
    assert accepted.json()["errors"][0]["rule"] == "child_safety"


def _group_world(db: Session, participants: int) -> tuple[Mentor, list[int]]:
    add_food_club(db)
    trainer = make_mentor(db, make_association(db), programmes=["food_club"], capacity=1)
    people = [make_newcomer(db, programmes=["food_club"]).id for _ in range(participants)]
    return trainer, people


def test_an_association_sees_a_households_members_only_on_a_live_match(
    client: TestClient, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    family = _family(client, db, coordinator)
    association = make_association(db)
    mentor = _family_mentor(db, association, certified=True)
    made = client.post(
        "/api/v1/matches",
        json={
            "newcomer_id": family["contact"],
            "programme": "network_family",
            "mentor_id": mentor.id,
        },
        headers=coordinator,
    )
    assert made.status_code == 201, made.text
    url = f"/api/v1/matches/{made.json()['id']}"
    by_association = keys.association(association.id)
    assert len(client.get(url, headers=by_association).json()["household"]) == 2

    rejected = client.post(f"{url}/reject", json={"reason": "moved"}, headers=coordinator)
    assert rejected.status_code == 200, rejected.text
    seen = client.get(url, headers=by_association).json()
    assert seen["household"] is None
    listed = client.get("/api/v1/matches", headers=by_association).json()["items"]
    assert [m["household"] for m in listed] == [None]


def test_a_households_mentor_is_never_manually_proposed_to_another_member(
    client: TestClient, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    family = _family(client, db, coordinator)
    mentor = make_mentor(
        db,
        make_association(db),
        programmes=["network_family", "homework_help"],
        child_certificate=True,
        capacity=2,
    )
    made = client.post(
        "/api/v1/matches",
        json={
            "newcomer_id": family["contact"],
            "programme": "network_family",
            "mentor_id": mentor.id,
        },
        headers=coordinator,
    )
    assert made.status_code == 201, made.text
    accepted = client.post(f"/api/v1/matches/{made.json()['id']}/accept", headers=coordinator)
    assert accepted.status_code == 200, accepted.text

    refused = client.post(
        "/api/v1/matches",
        json={"newcomer_id": family["child"], "programme": "homework_help", "mentor_id": mentor.id},
        headers=coordinator,
    )
    assert refused.status_code == 422, refused.text
    assert [e["rule"] for e in refused.json()["errors"]] == ["forbidden"]
    assert _rows(db, Match, Match.newcomer_id == family["child"]) == []


def test_a_run_forms_a_group_shows_it_and_drops_it_below_the_minimum(
    client: TestClient, db: Session, keys: Keys, engine: Engine
) -> None:
    admin = keys.admin()
    trainer, people = _group_world(db, 3)
    run = run_through_api(client, admin)
    assert run["groups"] == [
        {"programme": "food_club", "mentor_id": trainer.id, "size": 3, "newcomer_ids": people}
    ]
    listed = client.get(f"/api/v1/matches?mentor_id={trainer.id}", headers=admin).json()["items"]
    assert sorted(m["newcomer_id"] for m in listed) == people
    for m in listed:
        assert m["group"]["size"] == 3
        assert sorted(o["newcomer_id"] for o in m["group"]["others"]) == sorted(
            set(people) - {m["newcomer_id"]}
        )

    # Each participant is decided on their own: one rejection leaves two, below the minimum.
    rejected = client.post(
        f"/api/v1/matches/{listed[0]['id']}/reject", json={"reason": "moved"}, headers=admin
    )
    assert rejected.status_code == 200, rejected.text
    rerun = run_through_api(client, admin)
    assert rerun["groups"] == []
    live = _rows(db, Match, Match.status.in_(("proposed", "accepted")))
    assert live == []
    reasons = {u["newcomer_id"]: (u["reason"], u["group"]) for u in rerun["unmatched"]}
    assert [reasons[p] for p in people if p != listed[0]["newcomer_id"]] == [
        ("group_size", {"waiting": 2, "group_min": 3})
    ] * 2


def test_a_rerun_keeps_an_accepted_group_and_fills_it(
    client: TestClient, db: Session, keys: Keys, engine: Engine
) -> None:
    admin = keys.admin()
    trainer, people = _group_world(db, 3)
    rematch(engine)
    for match in _rows(db, Match):
        accepted = client.post(f"/api/v1/matches/{match.id}/accept", headers=admin)
        assert accepted.status_code == 200, accepted.text
    late = make_newcomer(db, programmes=["food_club"]).id

    run = run_through_api(client, admin)
    assert run["groups"] == [
        {
            "programme": "food_club",
            "mentor_id": trainer.id,
            "size": 4,
            "newcomer_ids": sorted([*people, late]),
        }
    ]
    [proposal] = _rows(db, Match, Match.status == "proposed")
    assert (proposal.newcomer_id, proposal.mentor_id) == (late, trainer.id)
    # The trainer's group is separate from their capacity of 1, and full at 4.
    assert client.post(f"/api/v1/matches/{proposal.id}/accept", headers=admin).status_code == 200


def test_a_coordinator_sees_only_its_participants_of_a_group(
    client: TestClient, db: Session, keys: Keys
) -> None:
    trainer, _people = _group_world(db, 2)
    elsewhere = make_newcomer(db, programmes=["food_club"], municipality="147").id
    run = run_through_api(client, keys.admin(), dry_run=True)
    assert run["groups"][0]["size"] == 3
    mine = run_through_api(client, keys.coordinator("147"), dry_run=True)
    assert mine["groups"] == [
        {"programme": "food_club", "mentor_id": trainer.id, "size": 3, "newcomer_ids": [elsewhere]}
    ]


def test_the_matches_list_shows_each_caller_the_group_it_may_see(
    client: TestClient, db: Session, keys: Keys, engine: Engine
) -> None:
    trainer, people = _group_world(db, 2)
    trainer_id, association_id = trainer.id, trainer.association_id
    elsewhere = make_newcomer(db, programmes=["food_club"], municipality="147").id
    make_mentor(db, make_association(db), programmes=["mentor"])  # a match outside any group
    make_newcomer(db, programmes=["mentor"])
    rematch(engine)
    url = f"/api/v1/matches?mentor_id={trainer_id}"

    def groups(headers: dict[str, str]) -> dict[int, tuple[int, list[Any]]]:
        answer = client.get(url, headers=headers)
        assert answer.status_code == 200, answer.text
        return {
            m["id"]: (m["group"]["size"], [o["newcomer_id"] for o in m["group"]["others"]])
            for m in answer.json()["items"]
        }

    everyone = {m.newcomer_id: m.id for m in _rows(db, Match, Match.mentor_id == trainer_id)}
    assert sorted(everyone) == sorted([*people, elsewhere])
    by_admin = groups(keys.admin())
    assert by_admin == {everyone[n]: (3, sorted(set(everyone) - {n})) for n in [*people, elsewhere]}
    # The coordinator of 147 sees only its own participant, in a group of three.
    assert groups(keys.coordinator("147")) == {everyone[elsewhere]: (3, [])}
    assert groups(keys.coordinator("101")) == {
        everyone[n]: (3, [p for p in people if p != n]) for n in people
    }
    # The trainer's association sees every participant, without their ids.
    by_association = groups(keys.association(association_id))
    assert by_association == {everyone[n]: (3, [None, None]) for n in everyone}
    outside = _rows(db, Match, Match.mentor_id != trainer_id)
    assert len(outside) == 1
    plain = client.get(f"/api/v1/matches/{outside[0].id}", headers=keys.admin()).json()
    assert plain["group"] is None


def test_suggestions_for_a_household_read_its_child(
    client: TestClient, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    family = _family(client, db, coordinator)
    association = make_association(db)
    uncertified = _family_mentor(db, association, certified=False)
    certified = _family_mentor(db, association, certified=True)
    answer = client.get(
        f"/api/v1/newcomers/{family['contact']}/suggestions?programme=network_family",
        headers=coordinator,
    )
    assert answer.status_code == 200, answer.text
    [block] = answer.json()["items"]
    suggested = [c["mentor_id"] for c in block["candidates"]]
    assert suggested == [certified.id]
    assert uncertified.id not in suggested


def test_a_household_dissolved_during_the_solve_gets_no_household_match(
    client: TestClient, db: Session, keys: Keys, engine: Engine
) -> None:
    family = _family(client, db, keys.coordinator("101"))
    _family_mentor(db, make_association(db), certified=True)

    def meanwhile(phase: str) -> None:
        if phase != "solve":
            return
        with Session(engine) as other, other.begin():
            other.delete(other.get(Household, family["id"]))

    result = rematch(engine, checkpoint=meanwhile)
    assert result.stats["new"] == len(_rows(db, Match))
    assert _rows(db, Match, Match.household_id == family["id"]) == []
    assert _rows(db, Household, Household.id == family["id"]) == []


def test_an_accept_into_a_full_group_is_refused_and_writes_nothing(
    client: TestClient, db: Session, keys: Keys
) -> None:
    admin = keys.admin()
    trainer, people = _group_world(db, 5)  # the food club holds at most 4
    ids = []
    for person in people:
        made = client.post(
            "/api/v1/matches",
            json={"newcomer_id": person, "programme": "food_club", "mentor_id": trainer.id},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    for match_id in ids[:4]:
        accepted = client.post(f"/api/v1/matches/{match_id}/accept", headers=admin)
        assert accepted.status_code == 200, accepted.text

    refused = client.post(f"/api/v1/matches/{ids[4]}/accept", headers=admin)

    assert refused.status_code == 409, refused.text
    assert "group is full" in refused.json()["detail"]
    assert [m.status for m in _rows(db, Match, Match.id.in_(ids))] == ["accepted"] * 4 + [
        "proposed"
    ]
