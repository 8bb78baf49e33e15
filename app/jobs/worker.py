"""The run queue's worker: the database is the queue, a worker claims and executes its runs.

``POST /api/v1/match-runs`` writes a ``queued`` row (app/runs/service.py). A worker — a thread
inside ``makker serve`` (the embedded default) or ``makker worker`` processes beside several
API replicas — claims the oldest one, writing runs first, and executes it with
:func:`app.jobs.rematch.rematch` (the nightly job's code path).

- **Claiming**: one ``UPDATE … WHERE id = (SELECT … LIMIT 1 FOR UPDATE SKIP LOCKED)``: on
  PostgreSQL concurrent workers skip each other's rows; on SQLite the statement runs inside
  the ``BEGIN IMMEDIATE`` every transaction starts with, so claims are serialised. A writing
  run is claimed only while the run lock is free (the nightly job may hold it); it waits
  queued, dry runs go on meanwhile.
- **Liveness**: the executor holds the lock ``run-<id>`` (:mod:`app.locks`: it dies with its
  holder) from before the claim commits until the outcome is committed. A run whose row says
  ``running`` while that lock is free has lost its worker (killed, or the machine went): the
  next worker marks it ``failed`` (:func:`reap`). Its outcome was never committed, so the data
  is as before.
- A claimed writing run that finds the run lock taken after all (the nightly job won the race)
  goes back to ``queued``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, Table, exists, select, update
from sqlalchemy.orm import Session

from app import clock
from app.jobs.rematch import (
    KEEP_DRY_RUNS,
    LOCK_NAME,
    Checkpoint,
    Progress,
    RunFailed,
    RunInProgress,
    failure_fields,
    rematch,
)
from app.locks import LockBusy, exclusive, is_free
from app.models import MatchRun
from app.models.match_run import RunStatus

log = logging.getLogger("makker.worker")

_runs: Table = MatchRun.__table__  # type: ignore[assignment]

#: What a run lost with its worker says (no detail: there is none to give).
ABANDONED = "the run stopped: its worker ended before the run finished; nothing was written"


def run_lock(run_id: int) -> str:
    """The lock a run's executor holds while the run is ``running``."""
    return f"run-{run_id}"


@dataclass(frozen=True, slots=True)
class Claim:
    """A queued run this worker now executes."""

    run_id: int
    dry_run: bool


_now = clock.utcnow


def reap(engine: Engine) -> list[int]:
    """Mark ``failed`` every ``running`` run whose executor is gone; their ids."""
    with Session(engine) as session, session.begin():
        running = session.scalars(
            select(_runs.c.id).where(_runs.c.status == RunStatus.RUNNING).order_by(_runs.c.id)
        ).all()
    reaped: list[int] = []
    for run_id in running:
        try:
            with exclusive(engine, run_lock(run_id), ephemeral=True):
                with Session(engine) as session, session.begin():
                    result = session.execute(
                        update(_runs)
                        .where(_runs.c.id == run_id, _runs.c.status == RunStatus.RUNNING)
                        .values(status=RunStatus.FAILED, finished_at=_now(), error=ABANDONED)
                    )
                if result.rowcount == 1:  # type: ignore[attr-defined]
                    reaped.append(run_id)
                    log.warning("run abandoned by its worker marked failed", extra={"run": run_id})
        except LockBusy:
            continue  # its worker is alive
    return reaped


@contextmanager
def claim(engine: Engine) -> Iterator[Claim | None]:
    """Claim the next queued run and hold its liveness lock for the ``with`` block.

    Writing runs come first, in id order, but only while the run lock is free.
    """
    with Session(engine) as session, session.begin():
        writing_queued = session.scalar(
            select(exists().where(_runs.c.status == RunStatus.QUEUED, _runs.c.dry_run.is_(False)))
        )
    # Only then look at the lock (on PostgreSQL that costs a connection).
    writing_allowed = bool(writing_queued) and is_free(engine, LOCK_NAME)
    with ExitStack() as stack:
        with Session(engine) as session, session.begin():
            next_run = (
                select(_runs.c.id)
                .where(_runs.c.status == RunStatus.QUEUED)
                .order_by(_runs.c.dry_run, _runs.c.id)
                .limit(1)
                .with_for_update(skip_locked=True)
            )
            if not writing_allowed:
                next_run = next_run.where(_runs.c.dry_run.is_(True))
            row = session.execute(
                update(_runs)
                .where(_runs.c.id == next_run.scalar_subquery())
                .where(_runs.c.status == RunStatus.QUEUED)
                .values(status=RunStatus.RUNNING, started_at=_now(), phase=None)
                .returning(_runs.c.id, _runs.c.dry_run)
            ).first()
            if row is not None:
                # Before the commit: whoever sees the row running finds the lock held.
                stack.enter_context(exclusive(engine, run_lock(row.id), ephemeral=True))
        yield None if row is None else Claim(run_id=row.id, dry_run=bool(row.dry_run))


def requeue(engine: Engine, run_id: int) -> None:
    """Put a claimed run back in the queue (it did nothing)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(_runs)
            .where(_runs.c.id == run_id, _runs.c.status == RunStatus.RUNNING)
            .values(status=RunStatus.QUEUED, started_at=None, phase=None)
        )


@dataclass
class Worker:
    """Executes queued runs, one at a time, until stopped."""

    engine: Engine
    keep_dry_runs: int = KEEP_DRY_RUNS
    poll_seconds: float = 2.0
    progress: Progress | None = None
    checkpoint: Checkpoint | None = None
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _wake: threading.Event = field(default_factory=threading.Event, init=False)

    def run_once(self) -> int | None:
        """Claim and execute one queued run; its id (``None`` when nothing could be claimed)."""
        with claim(self.engine) as claimed:
            if claimed is None:
                return None
            self._execute(claimed)
            return claimed.run_id

    def drain(self) -> list[int]:
        """Reap abandoned runs, then execute queued runs until none can be claimed."""
        reap(self.engine)
        done: list[int] = []
        while (run_id := self.run_once()) is not None:
            done.append(run_id)
        return done

    def serve(self) -> None:
        """Drain the queue, wait for a wake-up or the poll interval, and again, until stopped."""
        while not self._stop.is_set():
            try:
                self.drain()
            except Exception as exc:
                # The database may be away for a while: log (no SQL, no values), wait, retry.
                log.error("the run worker could not work the queue", extra=failure_fields(exc))
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def wake(self) -> None:
        """Look at the queue now (a run was just queued)."""
        self._wake.set()

    def stop(self) -> None:
        """Stop after the run in progress."""
        self._stop.set()
        self._wake.set()

    def start_thread(self) -> threading.Thread:
        """Serve in a daemon thread (the embedded worker of ``makker serve``)."""
        thread = threading.Thread(target=self.serve, name="makker-run-worker", daemon=True)
        thread.start()
        return thread

    def _execute(self, claimed: Claim) -> None:
        say = self.progress
        try:
            rematch(
                self.engine,
                dry_run=claimed.dry_run,
                run_id=claimed.run_id,
                progress=None
                if say is None
                else (lambda line: say(f"run {claimed.run_id}: {line}")),
                checkpoint=self.checkpoint,
                keep_dry_runs=self.keep_dry_runs,
            )
        except RunInProgress:
            requeue(self.engine, claimed.run_id)  # the nightly job holds the lock: later
        except RunFailed:
            pass  # recorded on the run and logged
