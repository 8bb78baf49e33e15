"""The never-twice rule household-wide with live proposals (MATCHING.md, "Households and
groups"): a run never proposes a mentor a housemate has a pending manual proposal with, and a
manual proposal of a mentor a housemate has a live proposal with is refused (``forbidden``),
except that two members may join one trainer's group."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.jobs.rematch import rematch
from app.models import Match, Mentor, Newcomer
from tests.app.conftest import Keys
from tests.app.factories import add_food_club, make_association, make_mentor, make_newcomer


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    result: Engine = app.state.engine
    return result


def _matches(db: Session, *where: Any) -> list[tuple[int, int, str, str, str]]:
    rows = [
        (m.newcomer_id, m.mentor_id, m.programme, m.status, m.source)
        for m in db.scalars(select(Match).where(*where).order_by(Match.id))
    ]
    db.expunge_all()
    db.rollback()
    return rows


def _family(
    client: TestClient, db: Session, headers: dict[str, str], contact: list[str], child: list[str]
) -> tuple[int, int]:
    """An adult contact person and her 8-year-old child, asking for these programmes."""
    mother = make_newcomer(db, programmes=contact, birth_date=date(1985, 2, 1), gender="female")
    kid = make_newcomer(db, programmes=child, birth_date=date(date.today().year - 8, 1, 1))
    created = client.post(
        "/api/v1/households", json={"members": [mother.id, kid.id]}, headers=headers
    )
    assert created.status_code == 201, created.text
    return mother.id, kid.id


def _mentor(db: Session, *programmes: str) -> Mentor:
    return make_mentor(
        db, make_association(db), programmes=list(programmes), child_certificate=True, capacity=3
    )


def _propose(
    client: TestClient, headers: dict[str, str], newcomer: int, programme: str, mentor: int
) -> Any:
    return client.post(
        "/api/v1/matches",
        json={"newcomer_id": newcomer, "programme": programme, "mentor_id": mentor},
        headers=headers,
    )


@pytest.mark.parametrize("by_hand", ["household", "member"])
def test_a_run_never_proposes_a_housemates_pending_manual_mentor(
    client: TestClient, db: Session, keys: Keys, engine: Engine, by_hand: str
) -> None:
    coordinator = keys.coordinator("101")
    mother, kid = _family(client, db, coordinator, ["network_family", "mentor"], ["homework_help"])
    mentor = _mentor(db, "network_family", "homework_help", "mentor")
    request = (mother, "network_family") if by_hand == "household" else (kid, "homework_help")
    made = _propose(client, coordinator, *request, mentor.id)
    assert made.status_code == 201, made.text

    result = rematch(engine)

    assert result.stats["new"] == 0
    assert _matches(db) == [(*request[:1], mentor.id, request[1], "proposed", "manual")]


def test_a_housemates_pending_group_place_blocks_the_trainer_for_a_persons_request(
    client: TestClient, db: Session, keys: Keys, engine: Engine
) -> None:
    coordinator = keys.coordinator("101")
    add_food_club(db)
    mother, kid = _family(client, db, coordinator, ["food_club"], ["homework_help"])
    trainer = _mentor(db, "food_club", "homework_help")
    assert _propose(client, coordinator, mother, "food_club", trainer.id).status_code == 201

    rematch(engine)

    assert _matches(db, Match.newcomer_id == kid) == []


def test_a_run_may_put_a_housemate_in_the_group_of_a_pending_manual_place(
    client: TestClient, db: Session, keys: Keys, engine: Engine
) -> None:
    coordinator = keys.coordinator("101")
    add_food_club(db)
    mother, kid = _family(client, db, coordinator, ["food_club"], ["food_club"])
    others = [make_newcomer(db, programmes=["food_club"]).id for _ in range(2)]
    trainer = _mentor(db, "food_club")
    assert _propose(client, coordinator, mother, "food_club", trainer.id).status_code == 201

    rematch(engine)

    placed = _matches(db, Match.source == "solver")
    assert sorted(n for n, *_ in placed) == sorted([kid, *others])
    assert {m for _, m, *_ in placed} == {trainer.id}


@pytest.mark.parametrize("live", ["manual", "solver"])
def test_a_manual_proposal_of_a_housemates_live_mentor_is_refused(
    client: TestClient, db: Session, keys: Keys, engine: Engine, live: str
) -> None:
    coordinator = keys.coordinator("101")
    mother, kid = _family(client, db, coordinator, ["network_family"], ["homework_help"])
    mentor = _mentor(db, "network_family", "homework_help")
    if live == "manual":
        assert _propose(client, coordinator, mother, "network_family", mentor.id).status_code == 201
    else:
        rematch(engine)
    [before] = _matches(db)
    assert before[:4] == (mother, mentor.id, "network_family", "proposed")

    refused = _propose(client, coordinator, kid, "homework_help", mentor.id)

    assert refused.status_code == 422, refused.text
    assert [e["rule"] for e in refused.json()["errors"]] == ["forbidden"]
    assert _matches(db) == [before]


def test_a_manual_group_place_beside_a_housemates_live_one_is_allowed(
    client: TestClient, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    add_food_club(db)
    mother, kid = _family(client, db, coordinator, ["food_club"], ["food_club"])
    trainer = _mentor(db, "food_club")
    assert _propose(client, coordinator, mother, "food_club", trainer.id).status_code == 201

    made = _propose(client, coordinator, kid, "food_club", trainer.id)

    assert made.status_code == 201, made.text


@pytest.mark.parametrize("meanwhile", ["proposed", "accepted"])
def test_a_housemates_mentor_taken_during_the_solve_is_not_proposed(
    client: TestClient, db: Session, keys: Keys, engine: Engine, meanwhile: str
) -> None:
    coordinator = keys.coordinator("101")
    _mother, kid = _family(client, db, coordinator, ["network_family"], [])
    mentor = _mentor(db, "network_family", "homework_help").id

    def by_hand(phase: str) -> None:
        # While the run solves (and proposes the mentor for the household), the child asks
        # for homework help and the coordinator proposes (and accepts) the mentor by hand.
        if phase != "solve":
            return
        with Session(engine) as other, other.begin():
            other.get(Newcomer, kid).programmes = ["homework_help"]  # type: ignore[union-attr]
        made = _propose(client, coordinator, kid, "homework_help", mentor)
        assert made.status_code == 201, made.text
        if meanwhile == "accepted":
            done = client.post(f"/api/v1/matches/{made.json()['id']}/accept", headers=coordinator)
            assert done.status_code == 200, done.text

    result = rematch(engine, checkpoint=by_hand)

    assert result.stats["matched"] == 1  # the solver chose the mentor for the household
    assert _matches(db) == [(kid, mentor, "homework_help", meanwhile, "manual")]
