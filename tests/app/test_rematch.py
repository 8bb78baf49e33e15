"""The match run (app/jobs/rematch.py): stability, decisions respected, dry runs, the lock."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.jobs.rematch import RunInProgress, rematch
from app.locks import exclusive
from app.logs import JsonFormatter
from app.matches.mapping import load_problem, solve_snapshot
from app.models import AuditEvent, Match, MatchRun, Mentor, Newcomer, RunUnmatched
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.runs import run_through_api, work_off


def seed(db: Session) -> dict[str, Any]:
    """Three mentors (four places) and six newcomers with eight requests in Copenhagen."""
    association = make_association(db)
    mentors = [
        make_mentor(db, association, capacity=1),
        make_mentor(db, association, capacity=2, interests=["chess"]),
        make_mentor(db, association, capacity=1, languages=["da", "ti"]),
    ]
    newcomers = [
        make_newcomer(db, programmes=["mentor", "lets_network"]),
        make_newcomer(db, languages=["ti", "en"]),
        make_newcomer(db, programmes=["mentor", "language_buddy"]),
        make_newcomer(db, languages=["uk"], municipality="751"),  # nobody speaks Ukrainian
        make_newcomer(db),
        make_newcomer(db, interests=["chess"]),
    ]
    return {"association": association, "mentors": mentors, "newcomers": newcomers}


def matches(db: Session, status: str | None = None) -> list[Match]:
    """Match rows (of one status), by id; ends the read transaction (SQLite's write lock)."""
    query = select(Match).order_by(Match.id)
    if status is not None:
        query = query.where(Match.status == status)
    rows = list(db.scalars(query))
    db.expunge_all()  # keep the loaded values: a rollback would expire them
    db.rollback()
    return rows


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    """The test database's engine."""
    result: Engine = app.state.engine
    return result


def test_second_run_with_nothing_changed_keeps_everything(db: Session, engine: Engine) -> None:
    seed(db)
    first = rematch(engine)
    proposed = matches(db, "proposed")
    assert first.stats["new"] == len(proposed) == 4  # four places
    assert first.stats["kept"] == first.stats["superseded"] == 0
    assert {m.run_id for m in proposed} == {first.run_id}
    assert all(m.score is not None and m.components for m in proposed)

    second = rematch(engine)
    assert second.stats["kept"] == 4
    audited = db.scalars(
        select(AuditEvent).where(AuditEvent.resource == "match_run").order_by(AuditEvent.id)
    ).all()
    db.rollback()
    assert [(a.actor, a.record_id) for a in audited] == [
        ("system", str(first.run_id)),
        ("system", str(second.run_id)),
    ]
    assert second.stats["new"] == second.stats["superseded"] == 0
    after = matches(db)
    assert [(m.id, m.status, m.version, m.run_id) for m in after] == [
        (m.id, m.status, m.version, m.run_id) for m in proposed
    ]


def test_accepted_stays_rejected_never_returns_capacity_honoured(
    db: Session, engine: Engine
) -> None:
    world = seed(db)
    rematch(engine)
    proposed = matches(db, "proposed")
    accepted, rejected = proposed[0], proposed[1]
    db.get(Match, accepted.id).status = "accepted"  # type: ignore[union-attr]
    db.get(Match, rejected.id).status = "rejected"  # type: ignore[union-attr]
    db.commit()

    result = rematch(engine)
    rows = matches(db)
    by_id = {m.id: m for m in rows}
    assert by_id[accepted.id].status == "accepted"
    assert by_id[rejected.id].status == "rejected"
    live = [m for m in rows if m.status in ("proposed", "accepted")]
    assert (rejected.newcomer_id, rejected.mentor_id) not in {
        (m.newcomer_id, m.mentor_id) for m in live
    }
    # The accepted request is closed: no proposal for it any more.
    assert not [
        m
        for m in live
        if m.status == "proposed"
        and (m.newcomer_id, m.programme) == (accepted.newcomer_id, accepted.programme)
    ]
    for mentor in world["mentors"]:
        load = sum(1 for m in live if m.mentor_id == mentor.id)
        assert load <= mentor.capacity
    assert result.stats["kept"] + result.stats["new"] <= result.stats["matched"]

    # And again: the rejected pair stays out, nothing churns.
    again = rematch(engine)
    assert again.stats["new"] == again.stats["superseded"] == 0


def test_an_ended_pair_is_not_proposed_again_but_the_request_reopens(
    db: Session, engine: Engine
) -> None:
    association = make_association(db)
    first = make_mentor(db, association, capacity=1)
    second = make_mentor(db, association, capacity=1, interests=["chess"])
    newcomer = make_newcomer(db)
    rematch(engine)
    [proposal] = matches(db, "proposed")
    assert proposal.mentor_id == first.id  # shared interest: the better score
    row = db.get(Match, proposal.id)
    assert row is not None
    row.status = "ended"
    db.commit()

    rematch(engine)
    [again] = matches(db, "proposed")
    assert (again.newcomer_id, again.mentor_id) == (newcomer.id, second.id)


def test_dry_run_writes_no_proposals(db: Session, engine: Engine) -> None:
    seed(db)
    result = rematch(engine, dry_run=True)
    assert result.dry_run and result.stats["new"] == 4
    assert matches(db) == []
    run = db.get(MatchRun, result.run_id)
    assert run is not None and run.dry_run and run.status == "succeeded"
    db.rollback()


def test_unmatched_requests_are_recorded_with_reasons(db: Session, engine: Engine) -> None:
    world = seed(db)
    result = rematch(engine)
    rows = list(db.scalars(select(RunUnmatched).where(RunUnmatched.run_id == result.run_id)))
    db.rollback()
    assert len(rows) == result.stats["unmatched"] == result.stats["requests"] - 4
    ukrainian = world["newcomers"][3]
    (row,) = [r for r in rows if r.newcomer_id == ukrainian.id]
    assert (row.programme, row.municipality, row.language) == ("mentor", "751", "uk")
    assert row.reason == "language"
    assert row.passed == {"programme": 3, "language": 0}
    assert {r.reason for r in rows if r.newcomer_id != ukrainian.id} <= {"capacity", "language"}
    run = db.get(MatchRun, result.run_id)
    assert run is not None
    assert set(run.stats) >= {
        "requests",
        "mentors",
        "candidates",
        "matched",
        "kept",
        "superseded",
        "new",
        "objective",
        "optimal",
        "seconds",
    }
    assert run.stats["optimal"] is True and run.finished_at is not None
    db.rollback()


def test_inactive_people_and_stale_proposals(db: Session, engine: Engine) -> None:
    world = seed(db)
    rematch(engine)
    proposed = matches(db, "proposed")
    gone = db.get(Mentor, proposed[0].mentor_id)
    assert gone is not None
    gone.active = False
    newcomer = db.get(Newcomer, proposed[-1].newcomer_id)
    assert newcomer is not None
    newcomer.active = False
    db.commit()
    rematch(engine)
    live = matches(db, "proposed")
    assert gone.id not in {m.mentor_id for m in live}
    assert newcomer.id not in {m.newcomer_id for m in live}
    assert world["mentors"]


def test_a_writing_run_refuses_while_one_holds_the_lock_and_a_queued_one_waits(
    db: Session, engine: Engine, app: FastAPI, client: TestClient, keys: Keys
) -> None:
    seed(db)
    admin = keys.admin()
    with exclusive(engine, "rematch"):  # the nightly job is writing
        with pytest.raises(RunInProgress, match="another run is in progress"):
            rematch(engine)
        queued = client.post("/api/v1/match-runs", headers=admin, json={})
        assert queued.status_code == 202
        assert work_off(app) == []  # the writing run waits for the lock, queued
        assert client.get(queued.headers["Location"], headers=admin).json()["status"] == "queued"
        dry = client.post(
            "/api/v1/match-runs", headers=keys.coordinator("101"), json={"dry_run": True}
        )
        assert work_off(app) == [dry.json()["id"]]  # a dry run needs no lock
    assert matches(db) == []
    assert work_off(app) == [queued.json()["id"]]
    run = client.get(queued.headers["Location"], headers=admin).json()
    assert (run["status"], run["stats"]["new"]) == ("succeeded", 4)


def test_match_runs_api(db: Session, app: FastAPI, client: TestClient, keys: Keys) -> None:
    world = seed(db)
    admin = keys.admin()
    dry = client.post("/api/v1/match-runs", headers=admin, json={"dry_run": True})
    assert dry.status_code == 202, dry.text
    queued = dry.json()
    assert dry.headers["Location"] == f"/api/v1/match-runs/{queued['id']}"
    assert (queued["status"], queued["phase"], queued["started_at"]) == ("queued", None, None)
    assert queued["dry_run"] is True and queued["unmatched"] == []
    work_off(app)
    done = client.get(dry.headers["Location"], headers=admin).json()
    assert (done["status"], done["phase"]) == ("succeeded", None)
    assert done["started_at"] is not None and done["finished_at"] is not None
    assert client.get("/api/v1/matches", headers=admin).json()["items"] == []

    body = run_through_api(client, admin)
    assert body["stats"]["new"] == 4
    assert len(body["unmatched"]) == body["stats"]["unmatched"]
    assert len(client.get("/api/v1/matches", headers=admin).json()["items"]) == 4

    listed = client.get("/api/v1/match-runs", headers=admin).json()
    assert [r["id"] for r in listed["items"]] == [queued["id"], body["id"]]
    assert "unmatched" not in listed["items"][0]

    aarhus = client.get(f"/api/v1/match-runs/{body['id']}", headers=keys.coordinator("751"))
    assert aarhus.status_code == 200
    assert [u["municipality"] for u in aarhus.json()["unmatched"]] == ["751"]
    association = keys.association(world["association"].id)
    assert client.get("/api/v1/match-runs", headers=association).status_code == 403
    assert client.get("/api/v1/match-runs/999999", headers=admin).status_code == 404
    actors = db.scalars(select(AuditEvent.actor).where(AuditEvent.resource == "match_run")).all()
    db.rollback()
    assert len(actors) == 2 and all(a.startswith("key:") for a in actors)


def test_decisions_and_erasures_during_the_solve_are_respected(db: Session, engine: Engine) -> None:
    world = seed(db)
    rematch(engine)
    first, second = matches(db, "proposed")[:2]
    erased = world["newcomers"][3]  # unmatched: only in run_unmatched

    def meanwhile(phase: str) -> None:
        if phase != "solve":
            return
        with Session(engine) as other, other.begin():
            other.get(Match, first.id).status = "accepted"  # type: ignore[union-attr]
            other.get(Match, second.id).status = "rejected"  # type: ignore[union-attr]
            other.delete(other.get(Newcomer, erased.id))

    result = rematch(engine, checkpoint=meanwhile)
    rows = matches(db)
    by_id = {m.id: m for m in rows}
    assert by_id[first.id].status == "accepted"
    assert by_id[second.id].status == "rejected"
    assert not [
        m
        for m in rows
        if m.status == "proposed"
        and (m.newcomer_id, m.mentor_id) == (second.newcomer_id, second.mentor_id)
    ]
    assert not db.scalars(select(RunUnmatched).where(RunUnmatched.newcomer_id == erased.id)).all()
    run = db.get(MatchRun, result.run_id)
    assert run is not None and run.status == "succeeded"
    db.rollback()


def test_a_kept_proposal_is_rescored_in_place(db: Session, engine: Engine) -> None:
    world = seed(db)
    rematch(engine)
    before = {m.id: m.score for m in matches(db, "proposed")}
    mentor = db.get(Mentor, world["mentors"][0].id)
    assert mentor is not None
    mentor.interests = ["football", "chess", "knitting", "opera"]  # lower interest overlap
    db.commit()
    result = rematch(engine)
    after = {m.id: m.score for m in matches(db, "proposed")}
    same = after.keys() & before.keys()
    assert len(same) == result.stats["kept"] >= 1
    assert any(after[i] != before[i] for i in same)


def planned(engine: Engine) -> set[tuple[int, int, str]]:
    """What a run would propose now: (newcomer, mentor, programme) of the solution."""
    with Session(engine) as session, session.begin():
        snapshot = load_problem(session)
    return {(m.newcomer_id, m.mentor_id, m.programme) for m in solve_snapshot(snapshot).matches}


def test_people_changed_during_the_solve_get_no_new_proposals(db: Session, engine: Engine) -> None:
    association = make_association(db)
    keep = make_mentor(db, association, capacity=5)
    gone = make_mentor(db, association, capacity=5, interests=["chess"])
    off = make_newcomer(db)
    drop = make_newcomer(db, programmes=["mentor", "lets_network"])
    ok = make_newcomer(db, interests=["chess"])
    plan = planned(engine)
    assert {n for n, _, _ in plan} == {off.id, drop.id, ok.id}
    assert (drop.id, "lets_network") in {(n, p) for n, _, p in plan}
    assert gone.id in {m for _, m, _ in plan}

    def meanwhile(phase: str) -> None:
        if phase != "solve":
            return
        with Session(engine) as other, other.begin():
            other.get(Newcomer, off.id).active = False  # type: ignore[union-attr]
            other.get(Newcomer, drop.id).programmes = ["mentor"]  # type: ignore[union-attr]
            other.get(Mentor, gone.id).active = False  # type: ignore[union-attr]

    result = rematch(engine, checkpoint=meanwhile)
    proposed = matches(db, "proposed")
    assert proposed and all(m.mentor_id == keep.id for m in proposed)
    assert off.id not in {m.newcomer_id for m in proposed}
    assert (drop.id, "lets_network") not in {(m.newcomer_id, m.programme) for m in proposed}
    assert result.stats["new"] == len(proposed)


def test_kept_proposals_no_longer_valid_after_the_solve_are_superseded(
    db: Session, engine: Engine
) -> None:
    association = make_association(db)
    make_mentor(db, association, capacity=5)
    make_mentor(db, association, capacity=5, interests=["chess"])
    two = make_newcomer(db, programmes=["mentor", "lets_network"])
    one = make_newcomer(db)
    chess = make_newcomer(db, interests=["chess"])
    rematch(engine)
    proposed = matches(db, "proposed")
    network = next(m for m in proposed if (m.newcomer_id, m.programme) == (two.id, "lets_network"))
    off = next(m for m in proposed if m.newcomer_id == one.id)
    gone = next(m for m in proposed if m.newcomer_id == chess.id).mentor_id

    def meanwhile(phase: str) -> None:
        if phase != "solve":
            return
        with Session(engine) as other, other.begin():
            other.get(Newcomer, off.newcomer_id).active = False  # type: ignore[union-attr]
            other.get(Newcomer, network.newcomer_id).programmes = ["mentor"]  # type: ignore[union-attr]
            other.get(Mentor, gone).active = False  # type: ignore[union-attr]

    rematch(engine, checkpoint=meanwhile)
    rows = matches(db)
    by_id = {m.id: m for m in rows}
    assert by_id[network.id].status == "superseded"
    live = [m for m in rows if m.status == "proposed"]
    assert off.newcomer_id not in {m.newcomer_id for m in live}
    assert gone not in {m.mentor_id for m in live}
    assert (network.newcomer_id, "lets_network") not in {(m.newcomer_id, m.programme) for m in live}
    for m in proposed:
        if m.newcomer_id == off.newcomer_id or m.mentor_id == gone:
            assert by_id[m.id].status == "superseded"


def test_a_manual_proposal_made_during_the_solve_wins(db: Session, engine: Engine) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=3)
    other_mentor = make_mentor(db, association, capacity=3, languages=["da"])
    twice = make_newcomer(db, programmes=["mentor", "lets_network"], languages=["ar"])
    taken = make_newcomer(db, languages=["da"])
    plan = planned(engine)
    [(_, solver_mentor, solver_programme)] = [p for p in plan if p[0] == twice.id]
    assert solver_mentor == mentor.id  # the only mentor speaking Arabic
    by_hand = "lets_network" if solver_programme == "mentor" else "mentor"
    [(_, taken_mentor, _)] = [p for p in plan if p[0] == taken.id]
    hand_mentor = other_mentor.id if taken_mentor == mentor.id else mentor.id

    def meanwhile(phase: str) -> None:
        if phase != "solve":
            return
        with Session(engine) as other, other.begin():
            for newcomer_id, mentor_id, programme in (
                (twice.id, mentor.id, by_hand),  # the same mentor, another programme
                (taken.id, hand_mentor, "mentor"),  # the same request, another mentor
            ):
                other.add(
                    Match(
                        newcomer_id=newcomer_id,
                        mentor_id=mentor_id,
                        programme=programme,
                        status="proposed",
                        source="manual",
                    )
                )

    rematch(engine, checkpoint=meanwhile)
    proposed = matches(db, "proposed")
    assert sorted((m.newcomer_id, m.mentor_id, m.programme, m.source) for m in proposed) == [
        (twice.id, mentor.id, by_hand, "manual"),
        (taken.id, hand_mentor, "mentor", "manual"),
    ]


def test_the_write_locks_the_people_it_refers_to(db: Session, engine: Engine) -> None:
    """PostgreSQL: an erasure waits for the write, so its inserts' foreign keys stay valid."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises all writers already")
    target = seed(db)["newcomers"][4].id  # every seeded newcomer is matched or unmatched
    db.rollback()
    refused: list[str] = []

    def meanwhile(phase: str) -> None:
        if phase != "locked":  # people locked and re-read, nothing written yet
            return
        with engine.connect() as conn:
            conn.execute(text("SET lock_timeout = '200ms'"))
            try:
                conn.execute(text("DELETE FROM newcomers WHERE id = :id"), {"id": target})
            except OperationalError as exc:
                refused.append(type(exc.orig).__name__)
            conn.rollback()

    result = rematch(engine, checkpoint=meanwhile)
    assert refused == ["LockNotAvailable"]
    assert result.stats["new"] == 4


def test_a_run_leaves_manual_proposals_and_their_requests_alone(
    db: Session, engine: Engine
) -> None:
    association = make_association(db)
    good = make_mentor(db, association, capacity=3, interests=["chess"], languages=["da", "ti"])
    legal = make_mentor(db, association, capacity=3, interests=["knitting"])
    mute = make_mentor(db, association, capacity=3, languages=["da"])
    preferred = make_newcomer(db, interests=["chess"])  # the optimum would pick ``good``
    illegal = make_newcomer(db, programmes=["mentor", "lets_network"])
    tigrinya = make_newcomer(db, programmes=["mentor", "lets_network"], languages=["ti"])
    manual = [
        make_manual(db, preferred.id, legal.id, "mentor"),
        make_manual(db, illegal.id, mute.id, "mentor"),  # no shared language
        make_manual(db, tigrinya.id, good.id, "mentor"),  # the only mentor speaking ti
    ]
    illegal_id, tigrinya_id = illegal.id, tigrinya.id
    db.rollback()  # end the read: SQLite lets one writer at a time

    for _ in range(2):
        result = rematch(engine)
        rows = matches(db)
        by_id = {m.id: m for m in rows}
        assert [(by_id[m.id].status, by_id[m.id].version) for m in manual] == [("proposed", 1)] * 3
        solver = {(m.newcomer_id, m.mentor_id, m.programme) for m in rows if m.source == "solver"}
        assert {(n, p) for n, _, p in solver} == {(illegal_id, "lets_network")}
        assert result.stats["superseded"] == 0
    unmatched = db.scalars(select(RunUnmatched).where(RunUnmatched.run_id == result.run_id))
    assert {(u.newcomer_id, u.programme) for u in unmatched} == {(tigrinya_id, "lets_network")}
    db.rollback()


def make_manual(db: Session, newcomer_id: int, mentor_id: int, programme: str) -> Match:
    """A coordinator's pending manual proposal, committed."""
    row = Match(
        newcomer_id=newcomer_id,
        mentor_id=mentor_id,
        programme=programme,
        status="proposed",
        source="manual",
    )
    db.add(row)
    db.commit()
    db.refresh(row)
    db.expunge(row)
    db.rollback()
    return row


@pytest.fixture
def refuse_unmatched_in(engine: Engine) -> Iterator[str]:
    """The database itself refuses an unmatched row of municipality 751 while the test runs
    (PostgreSQL: a CHECK constraint; SQLite: a trigger); yields the refused municipality."""
    if engine.dialect.name == "postgresql":
        create = (
            "ALTER TABLE run_unmatched ADD CONSTRAINT ck_run_unmatched_test_refused "
            "CHECK (municipality <> '751')"
        )
        drop = "ALTER TABLE run_unmatched DROP CONSTRAINT ck_run_unmatched_test_refused"
    else:
        create = (
            "CREATE TRIGGER test_refused BEFORE INSERT ON run_unmatched "
            "WHEN NEW.municipality = '751' BEGIN SELECT RAISE(ABORT, 'refused: 751'); END"
        )
        drop = "DROP TRIGGER test_refused"
    with engine.begin() as connection:
        connection.execute(text(create))
    try:
        yield "751"
    finally:
        with engine.begin() as connection:
            connection.execute(text(drop))


def test_a_failed_run_commits_nothing_and_reports_no_database_text(
    db: Session,
    app: FastAPI,
    client: TestClient,
    keys: Keys,
    refuse_unmatched_in: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A real database error in the write: the run is failed, nothing else is written, and
    the run row, the API answer and the log carry the error's class, never its values."""
    seed(db)  # the Ukrainian newcomer of 751 is unmatched: the write's insert is refused
    db.rollback()
    admin = keys.admin()
    with caplog.at_level(logging.ERROR, logger="makker.rematch"):
        run = run_through_api(client, admin)
    assert run["status"] == "failed" and run["unmatched"] == []
    assert run["error"].startswith("the run failed: IntegrityError; see the service log")
    assert matches(db) == []  # the proposals of the failed write were rolled back
    assert not db.scalars(select(RunUnmatched)).all()
    db.rollback()
    [record] = [r for r in caplog.records if r.name == "makker.rematch"]
    logged = JsonFormatter().format(record)
    assert record.exc_info is None
    assert json.loads(logged)["error_type"] == "IntegrityError"
    assert json.loads(logged)["run"] == run["id"]
    answer = client.get(f"/api/v1/match-runs/{run['id']}", headers=admin).text
    for text_ in (answer, logged):
        assert refuse_unmatched_in not in text_
        assert "INSERT" not in text_ and "DETAIL" not in text_ and "Failing row" not in text_
    if db.get_bind().dialect.name == "postgresql":
        assert json.loads(logged)["sqlstate"] == "23514"
        assert json.loads(logged)["constraint"] == "ck_run_unmatched_test_refused"
