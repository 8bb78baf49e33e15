"""Races end in 404 or 409, never a 500 and never a duplicate: real concurrent HTTP against a
real uvicorn server (``server``), on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Association, Match, MatchRun, Mentor, Programme
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.desk import PASSWORD, Desk, token_of
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.live_server import Call, concurrently, running_server
from tests.app.spreadsheets import csv_bytes
from tests.app.test_rematch_process import start, wait_for_pause

ROUNDS = 8


def _scalar(db: Session, query: Any) -> Any:
    """One value, read fresh (and the transaction closed: SQLite's write lock)."""
    with Session(db.get_bind()) as session:
        return session.scalar(query)


def _proposal(db: Session, newcomer_id: int, mentor_id: int, source: str = "solver") -> int:
    match = Match(
        newcomer_id=newcomer_id,
        mentor_id=mentor_id,
        programme="mentor",
        status="proposed",
        source=source,
    )
    db.add(match)
    db.commit()
    return match.id


def _decide(action: str, match_id: int) -> Call:
    if action == "accept":
        return lambda c: c.post(f"/api/v1/matches/{match_id}/accept").status_code
    return lambda c: (
        c.post(f"/api/v1/matches/{match_id}/reject", json={"reason": "no chemistry"}).status_code
    )


@pytest.mark.parametrize("action", ["accept", "reject"])
@pytest.mark.parametrize("erased", ["newcomers", "mentors"])
def test_a_decision_racing_an_erasure_is_404_or_409(
    server: str, db: Session, keys: Keys, action: str, erased: str
) -> None:
    association = make_association(db)
    headers = keys.admin()
    for _ in range(ROUNDS):
        newcomer = make_newcomer(db)
        mentor = make_mentor(db, association)
        match_id = _proposal(db, newcomer.id, mentor.id)
        person = newcomer.id if erased == "newcomers" else mentor.id

        def erase(c: httpx.Client, person: int = person) -> int:
            return c.delete(f"/api/v1/{erased}/{person}").status_code

        decided, deleted = concurrently(server, headers, [_decide(action, match_id), erase])
        assert deleted == 204
        assert decided in (200, 404, 409), decided
        assert _scalar(db, select(Match.id).where(Match.id == match_id)) is None
        db.expunge_all()  # the erased rows' objects (SQLite may reuse their ids)


def test_identical_manual_proposals_make_one_match(server: str, db: Session, keys: Keys) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=3)
    newcomer = make_newcomer(db)
    body = {"newcomer_id": newcomer.id, "mentor_id": mentor.id, "programme": "mentor"}

    def propose(c: httpx.Client) -> int:
        return c.post("/api/v1/matches", json=body).status_code

    codes = concurrently(server, keys.coordinator("101"), [propose] * 20)
    assert sorted(codes) == [201] + [409] * 19
    rows = _scalar(db, select(func.count()).select_from(Match).where(Match.mentor_id == mentor.id))
    assert rows == 1


def test_a_manual_proposal_racing_an_accept_of_the_request_is_refused(
    server: str, db: Session, keys: Keys
) -> None:
    association = make_association(db)
    headers = keys.admin()
    for _ in range(ROUNDS // 2):
        newcomer = make_newcomer(db)
        chosen = make_mentor(db, association)
        others = [make_mentor(db, association) for _ in range(4)]
        proposal = _proposal(db, newcomer.id, chosen.id)

        def propose(c: httpx.Client, mentor_id: int, newcomer_id: int = newcomer.id) -> int:
            body = {"newcomer_id": newcomer_id, "mentor_id": mentor_id, "programme": "mentor"}
            return c.post("/api/v1/matches", json=body).status_code

        calls: list[Call] = [_decide("accept", proposal)]
        calls += [lambda c, m=m.id: propose(c, m) for m in others]
        accepted, *proposed = concurrently(server, headers, calls)
        assert accepted == 200
        assert set(proposed) <= {201, 409}
        # A proposal that got in before the accept was superseded by it; none is left pending
        # beside the accepted match.
        pending = _scalar(
            db,
            select(func.count())
            .select_from(Match)
            .where(Match.newcomer_id == newcomer.id, Match.status == "proposed"),
        )
        assert pending == 0


def test_one_programme_code_created_at_once_is_one_201(
    server: str, db: Session, keys: Keys
) -> None:
    body = {"code": "chess_club", "name": "Skakklub", "description": "", "min_age": None}

    def create(c: httpx.Client) -> int:
        return c.post("/api/v1/programmes", json=body).status_code

    codes = concurrently(server, keys.admin(), [create] * 10)
    assert sorted(codes) == [201] + [409] * 9
    assert _scalar(db, select(func.count()).select_from(Programme)) == 8


def test_a_mentor_registered_while_the_association_is_deleted(
    server: str, db: Session, keys: Keys
) -> None:
    headers = keys.admin()
    for _ in range(ROUNDS):
        association = make_association(db)
        body = bodies.mentor(association_id=association.id)

        def register(c: httpx.Client, body: dict[str, Any] = body) -> int:
            return c.post("/api/v1/mentors", json=body).status_code

        def delete(c: httpx.Client, association_id: int = association.id) -> int:
            return c.delete(f"/api/v1/associations/{association_id}").status_code

        deleted, *registered = concurrently(server, headers, [delete, register, register])
        # 422: the association was already gone when the request started (no race at all).
        assert set(registered) <= {201, 409, 422}, registered
        assert deleted in (204, 409)
        still_there = _scalar(db, select(Association.id).where(Association.id == association.id))
        mentors = _scalar(
            db,
            select(func.count()).select_from(Mentor).where(Mentor.association_id == association.id),
        )
        if deleted == 204:
            assert still_there is None and 201 not in registered and mentors == 0
        else:
            assert still_there is not None and mentors == registered.count(201) >= 1
        db.expunge_all()  # the deleted association's object (SQLite may reuse its id)


def test_an_admins_mentor_import_committed_while_its_association_is_deleted(
    server: str, db: Session, keys: Keys
) -> None:
    headers = keys.admin()
    content = csv_bytes(
        ["Fornavn", "Efternavn", "Sprog", "Kommune", "Programmer"],
        [["Test", "Mentor", "da", "101", "mentor"], ["Anden", "Mentor", "da", "101", "mentor"]],
    )
    for _ in range(ROUNDS):
        association = make_association(db)
        with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
            preview = client.post(
                "/api/v1/mentors/imports",
                params={"association_id": association.id},
                content=content,
            ).json()
        assert preview["errors"] == [], preview

        def commit(c: httpx.Client, import_id: str = preview["id"]) -> int:
            return c.post(f"/api/v1/mentors/imports/{import_id}/commit").status_code

        def delete(c: httpx.Client, association_id: int = association.id) -> int:
            return c.delete(f"/api/v1/associations/{association_id}").status_code

        deleted, *committed = concurrently(server, headers, [delete, commit, commit])
        # 422: the association was already gone when the commit started (no race at all).
        assert set(committed) <= {200, 409, 422}, committed
        assert deleted in (204, 409)
        mentors = _scalar(
            db,
            select(func.count()).select_from(Mentor).where(Mentor.association_id == association.id),
        )
        if deleted == 204:
            assert 200 not in committed and mentors == 0
        else:
            assert committed == [200, 200] and mentors == 2  # all rows, once
        db.expunge_all()  # the deleted association's object (SQLite may reuse its id)


def test_a_run_writes_around_a_manual_proposal_made_while_it_solved(
    client: TestClient, db: Session, keys: Keys, database_url: str
) -> None:
    # The live-pair index never fails a run: a pair proposed by hand after the run's snapshot
    # is skipped by its write (the manual proposal takes the request).
    association = make_association(db)
    mentor = make_mentor(db, association)
    newcomer = make_newcomer(db)
    body = {"newcomer_id": newcomer.id, "mentor_id": mentor.id, "programme": "mentor"}
    process = start(database_url, "--pause-at", "solve")
    wait_for_pause(process, "solve")  # the snapshot holds the pair as a candidate
    assert client.post("/api/v1/matches", headers=keys.admin(), json=body).status_code == 201
    out, err = process.communicate("\n", timeout=120)
    assert process.returncode == 0, err
    assert '"new": 0' in out
    rows = _scalar(
        db,
        select(func.count()).select_from(Match).where(Match.newcomer_id == newcomer.id),
    )
    assert rows == 1


def test_one_persons_dry_runs_started_at_once_queue_one(
    database_url: str, db: Session, desk: Desk
) -> None:
    # The worker is off, so the run queued first stays in flight while the others race it.
    account = desk.account("coordinator", municipalities=["101"])
    with running_server(database_url, {"MAKKER_EMBEDDED_WORKER": "false"}) as base:
        with httpx.Client(base_url=base) as browser:
            token = token_of(browser.get("/signin"))
            form = {"csrf_token": token, "email": account.email, "password": PASSWORD}
            assert browser.post("/signin", data=form).status_code == 303
            token = token_of(browser.get("/runs"))
            cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())

        places: list[str] = []

        def start_run(c: httpx.Client) -> int:
            response = c.post("/runs", data={"csrf_token": token})
            places.append(response.headers.get("location", ""))
            return response.status_code

        codes = concurrently(base, {"Cookie": cookie}, [start_run] * 10)
    assert sorted(codes) == [303] + [409] * 9, (codes, places)
    with Session(db.get_bind()) as session:
        statuses = session.scalars(
            select(MatchRun.status).where(MatchRun.requested_by_account == account.id)
        ).all()
    assert statuses == ["queued"]  # still in flight: no worker took it while the others raced


def _club(
    db: Session, code: str, accepted: int, proposed: int, group_max: int = 10
) -> tuple[int, list[int]]:
    """A group programme with a trainer whose group has ``accepted`` participants accepted;
    the ids of ``proposed`` further proposals to them."""
    db.add(
        Programme(
            code=code,
            name=code,
            unit="group",
            group_min=2,
            group_max=group_max,
            follow_up_days=[30],
        )
    )
    db.commit()
    trainer = make_mentor(db, make_association(db), programmes=[code], capacity=1)
    proposals = []
    for i in range(accepted + proposed):
        match = Match(
            newcomer_id=make_newcomer(db, programmes=[code]).id,
            mentor_id=trainer.id,
            programme=code,
            status="accepted" if i < accepted else "proposed",
            source="solver",
        )
        db.add(match)
        db.commit()
        if i >= accepted:
            proposals.append(match.id)
    return trainer.id, proposals


def _group_size(db: Session, code: str) -> tuple[int, int]:
    """(accepted participants of the programme's one trainer, the programme's group_max)."""
    size = _scalar(
        db,
        select(func.count())
        .select_from(Match)
        .where(Match.programme == code, Match.status == "accepted"),
    )
    return int(size), int(_scalar(db, select(Programme.group_max).where(Programme.code == code)))


def test_lowering_group_max_racing_an_accept_into_that_group_leaves_it_within_max(
    server: str, db: Session, keys: Keys
) -> None:
    for round_ in range(2 * ROUNDS):
        code = f"club_race_{round_}"
        _trainer, [proposal] = _club(db, code, accepted=3, proposed=1)

        def lower(c: httpx.Client, code: str = code) -> int:
            return c.patch(f"/api/v1/programmes/{code}", json={"group_max": 3}).status_code

        accepted, lowered = concurrently(server, keys.admin(), [_decide("accept", proposal), lower])
        assert sorted((accepted, lowered)) == [200, 409], (accepted, lowered)
        size, group_max = _group_size(db, code)
        assert size <= group_max, (size, group_max)


def test_two_accepts_into_the_last_place_of_a_group_are_one_200_and_one_409(
    server: str, db: Session, keys: Keys
) -> None:
    for round_ in range(ROUNDS):
        code = f"club_full_{round_}"
        _trainer, proposals = _club(db, code, accepted=2, proposed=2, group_max=3)
        codes = concurrently(server, keys.admin(), [_decide("accept", m) for m in proposals])
        assert sorted(codes) == [200, 409], codes
        assert _group_size(db, code) == (3, 3)
