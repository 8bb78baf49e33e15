"""Runs are never starved and run in the background (app/jobs/worker.py, app/runs/).

Dry runs take no lock; a key has one run in flight; dry runs keep only the latest few lists of
unmatched requests; a queued run goes queued → running (phase) → succeeded | failed; a run
whose worker is gone is marked failed by the next worker.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.config import Settings
from app.jobs.rematch import LOCK_NAME, RunResult, rematch
from app.jobs.worker import ABANDONED, Worker, claim, run_lock
from app.locks import exclusive
from app.main import create_app
from app.models import ApiKey, MatchRun, RunUnmatched
from tests.app.conftest import Keys
from tests.app.runs import work_off
from tests.app.test_rematch import matches, seed


@pytest.fixture
def engine(app: FastAPI) -> Engine:
    """The test database's engine."""
    result: Engine = app.state.engine
    return result


def run_row(engine: Engine, run_id: int) -> MatchRun:
    """A run's row as stored now (read in a transaction of its own)."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        row = session.get(MatchRun, run_id)
        assert row is not None
        return row


def queue(engine: Engine, *, dry_run: bool = False, status: str = "queued") -> int:
    """A run row as the API queues it (or in another status); its id."""
    with engine.begin() as connection:
        run_id: int = connection.execute(
            insert(MatchRun)
            .values(status=status, dry_run=dry_run, started_at=None, stats={})
            .returning(MatchRun.id)
        ).scalar_one()
    return run_id


def test_a_dry_run_never_blocks_a_writing_run(db: Session, engine: Engine) -> None:
    """The nightly job starts while a coordinator's dry run is solving (it exited 3 before)."""
    seed(db)
    db.rollback()
    nightly: list[RunResult] = []

    def meanwhile(phase: str) -> None:
        if phase == "solve":
            nightly.append(rematch(engine))

    dry = rematch(engine, dry_run=True, checkpoint=meanwhile)
    [writing] = nightly
    assert writing.stats["new"] == 4 and len(matches(db, "proposed")) == 4
    assert dry.stats["matched"] == 4 and dry.stats["new"] == 0  # the pairs are taken now
    assert run_row(engine, dry.run_id).status == "succeeded"


def test_a_dry_run_runs_beside_a_writing_run(db: Session, engine: Engine) -> None:
    seed(db)
    db.rollback()
    dry: list[RunResult] = []

    def meanwhile(phase: str) -> None:
        if phase == "solve":  # the writing run holds the run lock
            dry.append(rematch(engine, dry_run=True))

    writing = rematch(engine, checkpoint=meanwhile)
    assert [d.stats["new"] for d in dry] == [4]
    assert writing.stats["new"] == 4


def test_a_key_has_at_most_one_run_in_flight(
    db: Session, app: FastAPI, client: TestClient, keys: Keys
) -> None:
    seed(db)
    copenhagen, aarhus = keys.coordinator("101"), keys.coordinator("751")
    admin, other_admin = keys.admin(), keys.admin()

    def post(headers: dict[str, str], dry_run: bool) -> Any:
        return client.post("/api/v1/match-runs", headers=headers, json={"dry_run": dry_run})

    first = post(copenhagen, True)
    assert first.status_code == 202
    again = post(copenhagen, True)
    assert again.status_code == 409
    assert f"run {first.json()['id']}" in again.json()["detail"]
    assert post(aarhus, True).status_code == 202
    writing = post(admin, False)
    assert writing.status_code == 202
    second_writing = post(other_admin, False)
    assert second_writing.status_code == 409
    assert "another run is in progress" in second_writing.json()["detail"]
    assert post(admin, True).status_code == 409  # its writing run is in flight

    done = work_off(app)
    assert done[0] == writing.json()["id"]  # writing runs first
    assert len(done) == 3
    assert post(copenhagen, True).status_code == 202  # the first one ended


def test_the_database_refuses_a_second_run_in_flight_per_key(
    db: Session, engine: Engine, keys: Keys
) -> None:
    keys.admin()
    with Session(engine) as session:
        key = session.scalar(select(func.max(ApiKey.id)))
    values = {"dry_run": True, "requested_by": key, "stats": {}, "started_at": None}
    with engine.begin() as connection:
        connection.execute(insert(MatchRun).values(status="queued", **values))
    for status in ("queued", "running"):
        with pytest.raises(IntegrityError), engine.begin() as connection:
            connection.execute(insert(MatchRun).values(status=status, **values))
    with engine.begin() as connection:  # ended runs do not count
        connection.execute(insert(MatchRun).values(status="succeeded", **values))
    queue(engine)
    with pytest.raises(IntegrityError):
        queue(engine)  # a second writing run in flight


def test_dry_runs_keep_the_unmatched_requests_of_the_latest_few(
    db: Session, engine: Engine, app: FastAPI, client: TestClient, keys: Keys
) -> None:
    seed(db)
    db.rollback()
    dry = [rematch(engine, dry_run=True, keep_dry_runs=2).run_id for _ in range(3)]
    writing = rematch(engine, keep_dry_runs=2).run_id
    dry.append(rematch(engine, dry_run=True, keep_dry_runs=2).run_id)

    def details(run_id: int) -> int:
        with Session(engine) as session:
            return len(
                session.scalars(select(RunUnmatched).where(RunUnmatched.run_id == run_id)).all()
            )

    unmatched = run_row(engine, writing).stats["unmatched"]
    assert unmatched > 0
    assert [details(i) for i in dry] == [0, 0, unmatched, unmatched]
    assert details(writing) == unmatched  # a writing run's list is purge's business
    admin = keys.admin()
    old = client.get(f"/api/v1/match-runs/{dry[0]}", headers=admin).json()
    assert old["details_pruned"] is True and old["unmatched"] == []
    assert old["stats"]["unmatched"] == unmatched  # the counts stay
    latest = client.get(f"/api/v1/match-runs/{dry[-1]}", headers=admin).json()
    assert latest["details_pruned"] is False and len(latest["unmatched"]) == unmatched


def test_a_queued_run_shows_its_phase_while_running(db: Session, engine: Engine) -> None:
    seed(db)
    db.rollback()
    run_id = queue(engine)
    seen: list[tuple[str, str | None, bool]] = []

    def look(phase: str) -> None:
        if phase == "solve":  # no transaction open
            row = run_row(engine, run_id)
            seen.append((row.status, row.phase, row.started_at is not None))

    assert Worker(engine, checkpoint=look).drain() == [run_id]
    assert seen == [("running", "solve", True)]
    row = run_row(engine, run_id)
    assert (row.status, row.phase, row.stats["new"]) == ("succeeded", None, 4)
    assert row.started_at is not None and row.finished_at is not None
    assert {m.run_id for m in matches(db, "proposed")} == {run_id}


def test_a_running_run_whose_worker_is_gone_is_marked_failed(db: Session, engine: Engine) -> None:
    seed(db)
    db.rollback()
    abandoned = queue(engine, dry_run=True, status="running")  # nobody holds run-<id>
    alive = queue(engine, status="running")
    with exclusive(engine, run_lock(alive)):  # its worker is alive elsewhere
        assert Worker(engine).drain() == []
        assert run_row(engine, alive).status == "running"
    row = run_row(engine, abandoned)
    assert (row.status, row.error) == ("failed", ABANDONED)
    assert row.finished_at is not None
    assert matches(db) == []


def test_a_claimed_writing_run_waits_again_when_the_nightly_job_took_the_lock(
    db: Session, engine: Engine
) -> None:
    seed(db)
    db.rollback()
    run_id = queue(engine)
    worker = Worker(engine)
    with claim(engine) as claimed:
        assert claimed is not None and claimed.run_id == run_id
        with exclusive(engine, LOCK_NAME):  # won the race after the claim
            worker._execute(claimed)
    row = run_row(engine, run_id)
    assert (row.status, row.started_at) == ("queued", None)
    assert worker.drain() == [run_id]
    assert run_row(engine, run_id).status == "succeeded"


def test_the_embedded_worker_executes_queued_runs(
    db: Session, database_url: str, keys: Keys
) -> None:
    """``makker serve``'s default: a worker thread started with the application."""
    seed(db)
    db.rollback()
    settings = Settings(database_url=database_url, log_level="WARNING", worker_poll_seconds=0.2)
    served = create_app(settings)
    admin = keys.admin()
    try:
        with TestClient(served) as client:
            queued = client.post("/api/v1/match-runs", headers=admin, json={})
            assert queued.status_code == 202
            deadline = time.monotonic() + 60
            while True:
                run = client.get(queued.headers["Location"], headers=admin).json()
                if run["status"] in ("succeeded", "failed") or time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        assert (run["status"], run["stats"]["new"]) == ("succeeded", 4)
    finally:
        served.state.engine.dispose()
