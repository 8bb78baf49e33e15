"""The nightly rematch: one code path for ``makker rematch`` and ``POST /api/v1/match-runs``.

1. **Lock**: one run at a time (:func:`app.locks.exclusive`; the lock dies with its holder).
2. **Read** a snapshot in one short transaction (:func:`app.matches.mapping.load_problem`).
3. **Solve** with no transaction open.
4. **Write** the outcome in one transaction: the run row with its stats, the unmatched
   requests, kept proposals left as they are (same row ids), the other proposals of the
   snapshot ``superseded``, the new ones inserted. A dry run writes the run and its unmatched
   requests but no proposals.

A run killed at any moment has committed nothing (the run row is written in the same
transaction as the proposals), so the data stays exactly as before and the next run succeeds.
A run that fails with an error records a ``failed`` run and raises :class:`RunFailed`; both
carry only the exception's class (a database error's text can carry people's ids and values),
and the log only its class, SQLSTATE and constraint name.

What changed between the read and the write is respected. The write locks the newcomers and
mentors it refers to (``FOR SHARE`` on PostgreSQL, so none is erased or changed before the
commit; SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway) and re-reads their active flags
and requested programmes, and the matches' statuses. It never supersedes a proposal that was
decided meanwhile, nor writes a proposal (new or kept) for a person erased or deactivated, a
programme no longer requested, a request accepted or proposed by hand, or a pair that was
rejected, accepted or proposed meanwhile (a newcomer never gets the same mentor twice); a kept
proposal no longer valid is superseded. A coordinator's manual proposal is never superseded.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from app import audit
from app.auth import SYSTEM, Principal
from app.locks import LockBusy, exclusive
from app.logs import current_request_id
from app.matches.mapping import Outcome, ProposedMatch, Snapshot, load_problem, solve_snapshot
from app.models import Match, MatchRun, Mentor, Newcomer, RunUnmatched

log = logging.getLogger("makker.rematch")

LOCK_NAME = "rematch"
#: Ids per ``IN (...)`` list: below SQLite's and PostgreSQL's bind-parameter limits.
CHUNK = 5000
#: Scores closer than this are the same (no rewrite of a kept proposal).
SCORE_EPSILON = 1e-9

Progress = Callable[[str], None]
Checkpoint = Callable[[str], None]

_matches: Table = Match.__table__  # type: ignore[assignment]
_runs: Table = MatchRun.__table__  # type: ignore[assignment]
_unmatched: Table = RunUnmatched.__table__  # type: ignore[assignment]
_newcomers: Table = Newcomer.__table__  # type: ignore[assignment]
_mentors: Table = Mentor.__table__  # type: ignore[assignment]


class RunInProgress(Exception):
    """Another run holds the lock; this one did nothing."""

    def __init__(self) -> None:
        super().__init__("another run is in progress")


class RunFailed(Exception):
    """The run failed; a ``failed`` run was recorded (``run_id``) and nothing else written."""

    def __init__(self, message: str, run_id: int | None) -> None:
        super().__init__(message)
        self.run_id = run_id


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did: its id, stats, and the seconds each phase took."""

    run_id: int
    dry_run: bool
    stats: dict[str, Any]
    phases: dict[str, float] = field(default_factory=dict)


def _now() -> datetime:
    return datetime.now(UTC)


def _chunks(items: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def rematch(
    engine: Engine,
    *,
    dry_run: bool = False,
    today: date | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    actor: Principal = SYSTEM,
) -> RunResult:
    """Run the solver over the stored data and write (or, dry, only report) the outcome.

    ``progress`` receives one line per phase. ``checkpoint`` is called with ``"solve"`` (no
    transaction open, before solving), ``"locked"`` (inside the write transaction, the people
    it refers to locked and re-read, nothing written yet) and ``"write"`` (inside the write
    transaction, after every statement, before the commit): tests use it to kill the run, or
    change the data, at a known moment.
    ``actor`` is written to the audit log with the run, in the same transaction. Raises
    :class:`RunInProgress` when another run holds the lock, :class:`RunFailed` when this one
    fails.
    """
    say = progress or (lambda _line: None)
    pause = checkpoint or (lambda _phase: None)
    try:
        with exclusive(engine, LOCK_NAME):
            return _run(
                engine,
                dry_run=dry_run,
                today=today,
                say=say,
                pause=pause,
                actor=actor,
            )
    except LockBusy as exc:
        raise RunInProgress() from exc


def _run(
    engine: Engine,
    *,
    dry_run: bool,
    today: date | None,
    say: Progress,
    pause: Checkpoint,
    actor: Principal,
) -> RunResult:
    started_at = _now()
    phases: dict[str, float] = {}
    try:
        clock = time.perf_counter()
        with Session(engine) as session, session.begin():
            snapshot = load_problem(session, today=today)
        phases["read"] = time.perf_counter() - clock
        say(f"read: {snapshot.summary()} in {phases['read']:.1f} s")

        pause("solve")
        clock = time.perf_counter()
        outcome = solve_snapshot(snapshot)
        phases["solve"] = time.perf_counter() - clock
        say(
            f"solve: {outcome.stats['matched']} of {outcome.stats['requests']} requests matched "
            f"from {outcome.stats['candidates']} candidate pairs in {phases['solve']:.1f} s"
        )

        clock = time.perf_counter()
        with Session(engine) as session, session.begin():
            run_id, stats = _write(
                session,
                snapshot,
                outcome,
                pause=pause,
                dry_run=dry_run,
                started_at=started_at,
                phases=phases,
                clock=clock,
            )
            audit.record(session, actor, "run", "match_run", run_id)
            session.flush()
            pause("write")
        phases["write"] = time.perf_counter() - clock
        say(
            f"write: run {run_id}{' (dry run)' if dry_run else ''}: {stats['kept']} kept, "
            f"{stats['superseded']} superseded, {stats['new']} new, "
            f"{len(outcome.unmatched)} unmatched in {phases['write']:.1f} s"
        )
        return RunResult(run_id=run_id, dry_run=dry_run, stats=stats, phases=phases)
    except Exception as exc:
        _log_failure("match run failed", exc)
        message = failure_message(exc)
        failed_id = _record_failure(engine, dry_run, started_at, message)
        raise RunFailed(message, failed_id) from exc


def failure_message(exc: BaseException) -> str:
    """What a caller and ``match_runs.error`` are told of a failure: the exception's class only.

    A database error's text carries its SQL and the values it was about ("Key
    (newcomer_id)=(20)"): that stays out of the run row and the API answer.
    """
    request_id = current_request_id()
    where = f"see the service log, request id {request_id}" if request_id else "see the service log"
    return f"the run failed: {type(exc).__name__}; {where}"


def failure_fields(exc: BaseException) -> dict[str, str]:
    """What may be logged of a failure: exception classes, SQLSTATE and constraint name.

    Never the message, the statement or its parameters: they can name people or carry ids.
    """
    fields = {"error_type": type(exc).__name__}
    orig = getattr(exc, "orig", None)
    if orig is not None:
        fields["driver_error"] = type(orig).__name__
        code = getattr(orig, "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
        if code:
            fields["sqlstate"] = str(code)
        constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
        if constraint:
            fields["constraint"] = str(constraint)
    frames = traceback.extract_tb(exc.__traceback__)
    fields["where"] = " <- ".join(f"{f.name} ({f.filename}:{f.lineno})" for f in reversed(frames))
    return fields


def _log_failure(message: str, exc: BaseException) -> None:
    log.error(message, extra=failure_fields(exc))


def _record_failure(
    engine: Engine, dry_run: bool, started_at: datetime, message: str
) -> int | None:
    try:
        with Session(engine) as session, session.begin():
            run_id: int = session.execute(
                insert(_runs)
                .values(
                    status="failed",
                    dry_run=dry_run,
                    started_at=started_at,
                    finished_at=_now(),
                    stats={},
                    error=message[:2000],
                )
                .returning(_runs.c.id)
            ).scalar_one()
            return run_id
    except Exception as exc:
        _log_failure("could not record the failed run", exc)
        return None


@dataclass(slots=True)
class _Current:
    """What the write must respect, read at write time (it may have changed since the read).

    ``newcomers`` maps each involved newcomer still stored to its active flag and requested
    programmes, ``mentors`` each involved mentor still stored to its active flag; those rows
    are locked against erasure (PostgreSQL) until the commit.
    """

    proposed: dict[int, float | None]  # solver proposal id -> score
    proposed_pairs: dict[int, tuple[int, int]]  # solver proposal id -> (newcomer, mentor)
    accepted_requests: set[tuple[int, str]]
    manual_requests: set[tuple[int, str]]  # with a pending manual proposal
    blocked_pairs: set[tuple[int, int]]  # accepted, rejected, ended or proposed by hand
    newcomers: dict[int, tuple[bool, frozenset[str]]] = field(default_factory=dict)
    mentors: dict[int, bool] = field(default_factory=dict)

    def request_valid(self, newcomer_id: int, programme: str) -> bool:
        """Whether the newcomer is still stored, active, and asking for the programme."""
        person = self.newcomers.get(newcomer_id)
        return person is not None and person[0] and programme in person[1]

    def mentor_active(self, mentor_id: int) -> bool:
        """Whether the mentor is still stored and active."""
        return self.mentors.get(mentor_id, False)


def _lock_people(
    session: Session, newcomer_ids: set[int], mentor_ids: set[int]
) -> tuple[dict[int, tuple[bool, frozenset[str]]], dict[int, bool]]:
    """Read the involved people's flags and lock their rows for the write (PostgreSQL).

    ``FOR SHARE`` keeps them from being erased (the inserts' foreign keys would fail) or
    changed (deactivated, a programme dropped) until the commit, in id order, newcomers
    before mentors. SQLite ignores it: its ``BEGIN IMMEDIATE`` already serialises writers.
    """
    newcomers: dict[int, tuple[bool, frozenset[str]]] = {}
    for chunk in _chunks(sorted(newcomer_ids)):
        rows = session.execute(
            select(_newcomers.c.id, _newcomers.c.active, _newcomers.c.programmes)
            .where(_newcomers.c.id.in_(chunk))
            .order_by(_newcomers.c.id)
            .with_for_update(read=True)
        )
        for row in rows:
            newcomers[row.id] = (bool(row.active), frozenset(row.programmes or ()))
    mentors: dict[int, bool] = {}
    for chunk in _chunks(sorted(mentor_ids)):
        rows = session.execute(
            select(_mentors.c.id, _mentors.c.active)
            .where(_mentors.c.id.in_(chunk))
            .order_by(_mentors.c.id)
            .with_for_update(read=True)
        )
        for row in rows:
            mentors[row.id] = bool(row.active)
    return newcomers, mentors


def _current(session: Session, newcomer_ids: set[int], mentor_ids: set[int]) -> _Current:
    newcomers, mentors = _lock_people(session, newcomer_ids, mentor_ids)
    rows = session.execute(
        select(
            _matches.c.id,
            _matches.c.newcomer_id,
            _matches.c.mentor_id,
            _matches.c.programme,
            _matches.c.status,
            _matches.c.score,
            _matches.c.source,
        ).where(_matches.c.status.in_(("proposed", "accepted", "rejected", "ended")))
    ).all()
    current = _Current(
        proposed={},
        proposed_pairs={},
        accepted_requests=set(),
        manual_requests=set(),
        blocked_pairs=set(),
        newcomers=newcomers,
        mentors=mentors,
    )
    for row in rows:
        pair = (row.newcomer_id, row.mentor_id)
        if row.status == "proposed" and row.source != "manual":
            current.proposed[row.id] = row.score
            current.proposed_pairs[row.id] = pair
            continue
        current.blocked_pairs.add(pair)
        if row.status == "proposed":
            current.manual_requests.add((row.newcomer_id, row.programme))
        elif row.status == "accepted":
            current.accepted_requests.add((row.newcomer_id, row.programme))
    return current


def _write(
    session: Session,
    snapshot: Snapshot,
    outcome: Outcome,
    *,
    pause: Checkpoint,
    dry_run: bool,
    started_at: datetime,
    phases: dict[str, float],
    clock: float,
) -> tuple[int, dict[str, Any]]:
    """Write the run in the caller's transaction; return its id and stats."""
    current = _current(
        session,
        {m.newcomer_id for m in outcome.matches} | {u.newcomer_id for u in outcome.unmatched},
        {m.mentor_id for m in outcome.matches},
    )
    pause("locked")
    now = _now()

    def valid(m: ProposedMatch) -> bool:
        request = (m.newcomer_id, m.programme)
        return (
            current.request_valid(*request)
            and current.mentor_active(m.mentor_id)
            and request not in current.accepted_requests
            and request not in current.manual_requests
        )

    kept: dict[int, ProposedMatch] = {}  # proposal row id -> its match in this solution
    for m in outcome.matches:
        # A proposal decided since the snapshot stays as decided; one whose request is no
        # longer valid (person erased or inactive, programme dropped, request taken) goes.
        if m.kept_id is not None and m.kept_id in current.proposed and valid(m):
            kept[m.kept_id] = m
    outgoing = sorted(
        {i for i in snapshot.proposals.values() if i not in kept} | set(snapshot.stale_proposals)
    )
    outgoing = [i for i in outgoing if i in current.proposed]
    # The pairs that stay proposed or decided after this write: never proposed again.
    pairs = set(current.blocked_pairs)
    gone = set(outgoing)
    pairs.update(pair for i, pair in current.proposed_pairs.items() if i not in gone)

    new_rows: list[dict[str, Any]] = []
    for m in outcome.matches:
        pair = (m.newcomer_id, m.mentor_id)
        if m.kept_id is not None or not valid(m) or pair in pairs:
            continue  # changed, erased, decided or proposed by hand since the snapshot
        pairs.add(pair)
        new_rows.append(
            {
                "newcomer_id": m.newcomer_id,
                "mentor_id": m.mentor_id,
                "programme": m.programme,
                "status": "proposed",
                "score": m.score,
                "components": m.components,
                "distance_km": m.distance_km,
                "source": "solver",
                "created_at": now,
                "updated_at": now,
                "version": 1,
            }
        )
    rescored = [
        {
            "b_id": row_id,
            "b_score": m.score,
            "b_components": m.components,
            "b_distance": m.distance_km,
            "b_now": now,
        }
        for row_id, m in kept.items()
        if _changed(current.proposed[row_id], m.score)
    ]

    stats: dict[str, Any] = {
        **{k: outcome.stats[k] for k in ("requests", "mentors", "candidates", "matched")},
        "kept": len(kept),
        "superseded": len(outgoing),
        "new": len(new_rows),
        "objective": outcome.stats["objective"],
        "optimal": outcome.stats["optimal"],
        "seconds": 0.0,
        "unmatched": len(outcome.unmatched),
    }
    run_id: int = session.execute(
        insert(_runs)
        .values(status="running", dry_run=dry_run, started_at=started_at, stats=stats)
        .returning(_runs.c.id)
    ).scalar_one()

    if not dry_run:
        superseded = 0
        for chunk in _chunks(outgoing):
            result = session.execute(
                update(_matches)
                .where(
                    _matches.c.id.in_(chunk),
                    _matches.c.status == "proposed",
                    _matches.c.source != "manual",  # a coordinator's proposal is left alone
                )
                .values(
                    status="superseded",
                    decided_at=now,
                    updated_at=now,
                    version=_matches.c.version + 1,
                )
            )
            superseded += result.rowcount  # type: ignore[attr-defined]
        stats["superseded"] = superseded
        if rescored:
            session.execute(
                update(_matches)
                .where(_matches.c.id == bindparam("b_id"))
                .values(
                    score=bindparam("b_score"),
                    components=bindparam("b_components"),
                    distance_km=bindparam("b_distance"),
                    updated_at=bindparam("b_now"),
                ),
                rescored,
            )
        if new_rows:
            for row in new_rows:
                row["run_id"] = run_id
            session.execute(insert(_matches), new_rows)

    unmatched_rows = [
        row for row in _unmatched_rows(outcome, run_id) if row["newcomer_id"] in current.newcomers
    ]
    if unmatched_rows:
        session.execute(insert(_unmatched), unmatched_rows)

    phases["write"] = time.perf_counter() - clock
    stats["seconds"] = round(sum(phases.values()), 3)
    stats["phases"] = {k: round(v, 3) for k, v in phases.items()}
    session.execute(
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(status="succeeded", finished_at=_now(), stats=stats)
    )
    return run_id, stats


def _changed(stored: float | None, score: float) -> bool:
    return stored is None or abs(stored - score) > SCORE_EPSILON


def _unmatched_rows(outcome: Outcome, run_id: int) -> Iterable[dict[str, Any]]:
    for u in outcome.unmatched:
        yield {
            "run_id": run_id,
            "newcomer_id": u.newcomer_id,
            "programme": u.programme,
            "municipality": u.municipality,
            "language": u.language,
            "reason": u.reason,
            "passed": u.passed,
        }
