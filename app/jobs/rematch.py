"""The match run: one code path for ``makker rematch``, the worker, and ``POST /match-runs``.

1. **Lock**: a writing run holds the run lock (:func:`app.locks.exclusive`): one writing run at
   a time, and the lock dies with its holder. A dry run takes no lock: it writes no proposals,
   so it never keeps a writing run (the nightly job) from starting, and runs beside one.
2. **Read** a snapshot in one short transaction (:func:`app.matches.mapping.load_problem`).
3. **Solve** with no transaction open.
4. **Write** the outcome in one transaction: the run row with its stats, the unmatched
   requests, kept proposals left as they are (same row ids), the other proposals of the
   snapshot ``superseded``, the new ones inserted. A dry run writes the run and its unmatched
   requests but no proposals, and prunes the unmatched rows of older dry runs (all but the
   latest ``keep_dry_runs``; their rows say ``details_pruned``).

A run comes without a row (``makker rematch``: its row is written with its outcome, in the
write transaction) or as a queued run a worker claimed (``run_id``, see app/jobs/worker.py: the
row, already ``running``, gets each phase as the run enters it, and its outcome in the write
transaction). Either way a run killed at any moment has committed none of its outcome, so the
data stays exactly as before (a claimed run's row stays ``running`` until a worker finds its
executor gone and marks it ``failed``). A run that fails with an error records a ``failed``
run and raises :class:`RunFailed`; both carry only the exception's class (a database error's
text can carry people's ids and values), and the log only its class, SQLSTATE and constraint.

What changed between the read and the write is respected. The write locks the newcomers and
mentors it refers to (``FOR SHARE`` on PostgreSQL, so none is erased or changed before the
commit; SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway) and re-reads their active flags
and requested programmes, and the matches' standing (:mod:`app.matches.standing`, the same
classification the read used). It never supersedes a proposal that was decided meanwhile, nor
writes a proposal (new or kept) for a person erased or deactivated, a programme no longer
requested, a request accepted or proposed by hand, or a pair that was rejected, accepted or
proposed meanwhile, nor a mentor a housemate was given meanwhile (accepted or proposed by
hand: a newcomer never gets the same mentor twice, read household-wide); a kept proposal no
longer valid is superseded. A coordinator's manual proposal is never superseded.
"""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Engine,
    Integer,
    Table,
    Text,
    any_,
    bindparam,
    cast,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from app import audit, clock
from app.bulk import insert_rows
from app.database import unavailable
from app.locks import LockBusy, exclusive
from app.logs import current_request_id
from app.matches.mapping import (
    Outcome,
    ProposedMatch,
    Snapshot,
    decode_json,
    load_problem,
    never_twice,
    solve_snapshot,
)
from app.matches.standing import StoredMatch, read_standing
from app.models import (
    Household,
    HouseholdMember,
    Match,
    MatchRun,
    MatchSource,
    MatchStatus,
    Mentor,
    Newcomer,
    Programme,
    RunGroupMember,
    RunUnmatched,
)
from app.models.match_run import RunPhase, RunStatus
from app.principal import SYSTEM, Principal

log = logging.getLogger("makker.rematch")

LOCK_NAME = "rematch"
#: Ids per ``IN (...)`` list: below SQLite's and PostgreSQL's bind-parameter limits.
CHUNK = 5000
#: Scores closer than this are the same (no rewrite of a kept proposal).
SCORE_EPSILON = 1e-9
#: Dry runs whose unmatched rows are kept (the settings' ``dry_run_details_kept``).
KEEP_DRY_RUNS = 5

Progress = Callable[[str], None]
Checkpoint = Callable[[str], None]

_matches: Table = Match.__table__  # type: ignore[assignment]
_runs: Table = MatchRun.__table__  # type: ignore[assignment]
_unmatched: Table = RunUnmatched.__table__  # type: ignore[assignment]
_group_members: Table = RunGroupMember.__table__  # type: ignore[assignment]
_newcomers: Table = Newcomer.__table__  # type: ignore[assignment]
_mentors: Table = Mentor.__table__  # type: ignore[assignment]


class RunInProgress(Exception):
    """Another writing run holds the lock; this one did nothing."""

    def __init__(self) -> None:
        super().__init__("another run is in progress")


class RunFailed(Exception):
    """The run failed; a ``failed`` run was recorded (``run_id``) and nothing else written."""

    def __init__(self, message: str, run_id: int | None) -> None:
        super().__init__(message)
        self.run_id = run_id


class RunNotRunning(Exception):
    """The claimed run's row is no longer ``running`` (another worker gave it up)."""


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run did: its id, stats, and the seconds each phase took."""

    run_id: int
    dry_run: bool
    stats: dict[str, Any]
    phases: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Job:
    """One run's settings and hooks."""

    engine: Engine
    dry_run: bool
    run_id: int | None  # a claimed queued run, or None (the row comes with the outcome)
    today: date | None
    say: Progress
    pause: Checkpoint
    actor: Principal
    keep_dry_runs: int

    def enter(self, phase: RunPhase) -> None:
        """Show a claimed run's phase on its row (its own short transaction)."""
        if self.run_id is None:
            return
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(_runs)
                .where(_runs.c.id == self.run_id, _runs.c.status == RunStatus.RUNNING)
                .values(phase=phase)
            )


_now = clock.utcnow


def _quiet(_line: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class _Ids:
    """Some ids, to select in a ``WHERE`` clause as suits the database."""

    ids: Sequence[int]
    as_array: bool

    def among(self, column: ColumnElement[int] | InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """``column`` is one of these ids."""
        if self.as_array:
            return column == any_(bindparam(None, list(self.ids), type_=ARRAY(Integer)))
        return column.in_(self.ids)


def _id_sets(session: Session, ids: Iterable[int]) -> Iterator[_Ids]:
    """``ids`` in order: on PostgreSQL one set, sent as one array parameter (a statement of
    thousands of placeholders costs the driver more to parse than the database to run),
    elsewhere sets of :data:`CHUNK` (SQLite's limit on bind parameters)."""
    ordered = sorted(ids)
    if session.get_bind().dialect.name == "postgresql":
        if ordered:
            yield _Ids(ordered, as_array=True)
        return
    for start in range(0, len(ordered), CHUNK):
        yield _Ids(ordered[start : start + CHUNK], as_array=False)


def rematch(
    engine: Engine,
    *,
    dry_run: bool = False,
    run_id: int | None = None,
    today: date | None = None,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    actor: Principal = SYSTEM,
    keep_dry_runs: int = KEEP_DRY_RUNS,
) -> RunResult:
    """Run the solver over the stored data and write (or, dry, only report) the outcome.

    ``run_id`` is a queued run a worker claimed (its row is ``running``); without it the run's
    row is written with the outcome. ``progress`` receives one line per phase. ``checkpoint``
    is called with ``"solve"`` (no transaction open, before solving), ``"locked"`` (inside the
    write transaction, the people it refers to locked and re-read, nothing written yet) and
    ``"write"`` (inside the write transaction, after every statement, before the commit):
    tests use it to kill the run, or change the data, at a known moment.
    ``actor`` is written to the audit log with a run that comes without a row (a queued run
    was audited when it was asked for). ``keep_dry_runs``: how many dry runs keep their
    unmatched rows. Raises :class:`RunInProgress` when this is a writing run and another
    holds the lock, :class:`RunFailed` when this one fails.
    """
    job = _Job(
        engine=engine,
        dry_run=dry_run,
        run_id=run_id,
        today=today,
        say=progress or _quiet,
        pause=checkpoint or _quiet,
        actor=actor,
        keep_dry_runs=keep_dry_runs,
    )
    if dry_run:
        return _run(job)
    try:
        with exclusive(engine, LOCK_NAME):
            return _run(job)
    except LockBusy as exc:
        raise RunInProgress() from exc


def _run(job: _Job) -> RunResult:
    started_at = _now()
    phases: dict[str, float] = {}
    try:
        job.enter(RunPhase.READ)
        clock = time.perf_counter()
        with Session(job.engine) as session, session.begin():
            snapshot = load_problem(session, today=job.today)
        phases["read"] = time.perf_counter() - clock
        job.say(f"read: {snapshot.summary()} in {phases['read']:.1f} s")

        job.enter(RunPhase.SOLVE)
        job.pause("solve")
        clock = time.perf_counter()
        outcome = solve_snapshot(snapshot)
        phases["solve"] = time.perf_counter() - clock
        job.say(
            f"solve: {outcome.stats['matched']} of {outcome.stats['requests']} requests matched "
            f"from {outcome.stats['candidates']} candidate pairs in {phases['solve']:.1f} s"
        )

        job.enter(RunPhase.WRITE)
        clock = time.perf_counter()
        with Session(job.engine) as session, session.begin():
            run_id, stats = _write(session, job, snapshot, outcome, started_at, phases, clock)
            job.pause("write")
        phases["write"] = time.perf_counter() - clock
        job.say(
            f"write: run {run_id}{' (dry run)' if job.dry_run else ''}: {stats['kept']} kept, "
            f"{stats['superseded']} superseded, {stats['new']} new, "
            f"{len(outcome.unmatched)} unmatched in {phases['write']:.1f} s"
        )
        return RunResult(run_id=run_id, dry_run=job.dry_run, stats=stats, phases=phases)
    except Exception as exc:
        _log_failure("match run failed", exc, job.run_id)
        if unavailable(exc) is not None:
            # The database is down or missing: nothing can be recorded; the caller says so
            # in one line (a queued run's row is failed by the next worker that reaps it).
            raise
        message = failure_message(exc)
        failed_id = _record_failure(job, started_at, message)
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


def _log_failure(message: str, exc: BaseException, run_id: int | None = None) -> None:
    # A queued run has no request id in the worker: its run id ties the log to the row.
    extra = failure_fields(exc) if run_id is None else {**failure_fields(exc), "run": run_id}
    log.error(message, extra=extra)


def _record_failure(job: _Job, started_at: datetime, message: str) -> int | None:
    """Record the failed run (a claimed run's row, or a new one); its id."""
    values = {"status": RunStatus.FAILED, "finished_at": _now(), "error": message[:2000]}
    try:
        with Session(job.engine) as session, session.begin():
            if job.run_id is not None:
                session.execute(
                    update(_runs)
                    .where(_runs.c.id == job.run_id, _runs.c.status == RunStatus.RUNNING)
                    .values(**values)
                )
                return job.run_id
            run_id: int = session.execute(
                insert(_runs)
                .values(
                    dry_run=job.dry_run,
                    requested_by=job.actor.key_id,
                    queued_at=started_at,
                    started_at=started_at,
                    stats={},
                    **values,
                )
                .returning(_runs.c.id)
            ).scalar_one()
            return run_id
    except Exception as exc:
        _log_failure("could not record the failed run", exc, job.run_id)
        return job.run_id


@dataclass(slots=True)
class _Current:
    """What the write must respect, read at write time (it may have changed since the read).

    ``newcomers`` maps each involved newcomer still stored to its active flag and requested
    programmes, ``mentors`` each involved mentor still stored to its active flag; those rows
    are locked against erasure (PostgreSQL) until the commit.
    """

    proposed: dict[int, float | None]  # solver proposal id -> score
    proposed_pairs: dict[int, tuple[int, int]]  # solver proposal id -> (newcomer, mentor)
    closed_requests: set[tuple[int, str]]  # accepted or proposed by hand
    blocked_pairs: set[tuple[int, int]]  # accepted, rejected, ended or proposed by hand
    newcomers: dict[int, tuple[bool, frozenset[str]]]
    mentors: dict[int, bool]
    contacts: dict[int, int]  # each involved household still stored -> its contact person
    #: Each involved newcomer in a household -> the housemates' accepted and manual matches.
    housemates: dict[int, list[StoredMatch]] = field(default_factory=dict)
    groups: frozenset[str] = frozenset()  # the group programmes' codes

    def valid(self, m: ProposedMatch) -> bool:
        """Whether the match may still be proposed: both people stored and active, the
        programme still requested, the request neither accepted nor proposed by hand, a
        household match's household still stored with the newcomer as its contact person,
        and its mentor not a housemate's (accepted or proposed by hand, ``never_twice``)."""
        person = self.newcomers.get(m.newcomer_id)
        return (
            person is not None
            and (m.household_id is None or self.contacts.get(m.household_id) == m.newcomer_id)
            and person[0]
            and m.programme in person[1]
            and self.mentors.get(m.mentor_id, False)
            and (m.newcomer_id, m.programme) not in self.closed_requests
            and not any(
                s.mentor_id == m.mentor_id
                and never_twice(s, m.newcomer_id, m.programme, self.groups)
                for s in self.housemates.get(m.newcomer_id, ())
            )
        )


def _lock_people(
    session: Session, newcomer_ids: set[int], mentor_ids: set[int]
) -> tuple[dict[int, tuple[bool, frozenset[str]]], dict[int, bool]]:
    """Read the involved people's flags and lock their rows for the write (PostgreSQL).

    ``FOR SHARE`` keeps them from being erased (the inserts' foreign keys would fail) or
    changed (deactivated, a programme dropped) until the commit, in id order, newcomers
    before mentors. SQLite ignores it: its ``BEGIN IMMEDIATE`` already serialises writers.
    """
    newcomers: dict[int, tuple[bool, frozenset[str]]] = {}
    for chunk in _id_sets(session, newcomer_ids):
        # The programmes as JSON texts, decoded together (decode_json): one driver decode
        # per row costs more than the statement.
        rows = session.execute(
            select(_newcomers.c.id, _newcomers.c.active, cast(_newcomers.c.programmes, Text))
            .where(chunk.among(_newcomers.c.id))
            .order_by(_newcomers.c.id)
            .with_for_update(read=True)
        ).all()
        for (newcomer_id, active, _text), (programmes,) in zip(
            rows, decode_json(rows, 1), strict=True
        ):
            newcomers[newcomer_id] = (bool(active), frozenset(programmes or ()))
    mentors: dict[int, bool] = {}
    for chunk in _id_sets(session, mentor_ids):
        rows = session.execute(
            select(_mentors.c.id, _mentors.c.active)
            .where(chunk.among(_mentors.c.id))
            .order_by(_mentors.c.id)
            .with_for_update(read=True)
        ).all()
        for mentor_id, active in rows:
            mentors[mentor_id] = bool(active)
    return newcomers, mentors


def _lock_households(session: Session, household_ids: set[int]) -> dict[int, int]:
    """Each of these households still stored -> its contact person, the households locked
    ``FOR SHARE`` until the commit (before the people: the order household edits lock in)."""
    contacts: dict[int, int] = {}
    for chunk in _id_sets(session, household_ids):
        session.execute(
            select(Household.id)
            .where(chunk.among(Household.id))
            .order_by(Household.id)
            .with_for_update(read=True)
        )
        rows = session.execute(
            select(HouseholdMember.household_id, HouseholdMember.newcomer_id).where(
                chunk.among(HouseholdMember.household_id), HouseholdMember.position == 0
            )
        )
        contacts.update({household_id: newcomer_id for household_id, newcomer_id in rows})
    return contacts


def _households_of(session: Session, newcomer_ids: set[int]) -> dict[int, list[int]]:
    """The members of every household one of these newcomers is in, by household id."""
    ids: set[int] = set()
    for chunk in _id_sets(session, newcomer_ids):
        ids.update(
            session.scalars(
                select(HouseholdMember.household_id).where(chunk.among(HouseholdMember.newcomer_id))
            )
        )
    households: dict[int, list[int]] = {}
    for chunk in _id_sets(session, ids):
        rows = session.execute(
            select(HouseholdMember.household_id, HouseholdMember.newcomer_id)
            .where(chunk.among(HouseholdMember.household_id))
            .order_by(HouseholdMember.household_id, HouseholdMember.position)
        )
        for household_id, newcomer_id in rows:
            households.setdefault(household_id, []).append(newcomer_id)
    return households


def _current(session: Session, outcome: Outcome) -> _Current:
    """Lock and re-read the households and people the outcome refers to (the matched
    newcomers' housemates too: a manual proposal for one locks them), and the matches'
    standing."""
    contacts = _lock_households(
        session, {m.household_id for m in outcome.matches if m.household_id is not None}
    )
    matched = {m.newcomer_id for m in outcome.matches}
    households = _households_of(session, matched)
    newcomers, mentors = _lock_people(
        session,
        matched
        | {u.newcomer_id for u in outcome.unmatched}
        | {n for g in outcome.groups for n in g.newcomer_ids}
        | {n for members in households.values() for n in members},
        {m.mentor_id for m in outcome.matches} | {g.mentor_id for g in outcome.groups},
    )
    standing = read_standing(session)
    decided: dict[int, list[StoredMatch]] = {}
    for s in (*standing.fixed, *standing.manual):
        decided.setdefault(s.newcomer_id, []).append(s)
    housemates = {
        n: [s for other in members if other != n for s in decided.get(other, ())]
        for members in households.values()
        for n in members
        if n in matched
    }
    return _Current(
        housemates=housemates,
        groups=frozenset(session.scalars(select(Programme.code).where(Programme.unit == "group"))),
        proposed={m.id: m.score for m in standing.previous},
        proposed_pairs={m.id: m.pair for m in standing.previous},
        closed_requests=standing.closed_requests(),
        blocked_pairs=standing.blocked_pairs(),
        newcomers=newcomers,
        mentors=mentors,
        contacts=contacts,
    )


@dataclass(frozen=True, slots=True)
class _Plan:
    """What the write changes: proposals kept (row id -> match), superseded, new, rescored."""

    kept: dict[int, ProposedMatch]
    outgoing: list[int]
    new: list[dict[str, Any]]
    rescored: list[dict[str, Any]]


def _plan(snapshot: Snapshot, outcome: Outcome, current: _Current, now: datetime) -> _Plan:
    """Reconcile the solution with what is stored now."""
    kept: dict[int, ProposedMatch] = {}
    for m in outcome.matches:
        # A proposal decided since the snapshot stays as decided; one whose request is no
        # longer valid (person erased or inactive, programme dropped, request taken) goes.
        if m.kept_id is not None and m.kept_id in current.proposed and current.valid(m):
            kept[m.kept_id] = m
    outgoing = sorted(
        i
        for i in {*snapshot.proposals.values(), *snapshot.stale_proposals}
        if i not in kept and i in current.proposed
    )
    # The pairs that stay proposed or decided after this write: never proposed again.
    gone = set(outgoing)
    pairs = current.blocked_pairs | {
        pair for i, pair in current.proposed_pairs.items() if i not in gone
    }
    new: list[dict[str, Any]] = []
    for m in outcome.matches:
        pair = (m.newcomer_id, m.mentor_id)
        if m.kept_id is not None or not current.valid(m) or pair in pairs:
            continue  # changed, erased, decided or proposed by hand since the snapshot
        pairs.add(pair)
        new.append(_new_row(m, now))
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
    return _Plan(kept=kept, outgoing=outgoing, new=new, rescored=rescored)


def _new_row(m: ProposedMatch, now: datetime) -> dict[str, Any]:
    return {
        "newcomer_id": m.newcomer_id,
        "mentor_id": m.mentor_id,
        "programme": m.programme,
        "status": MatchStatus.PROPOSED,
        "score": m.score,
        "components": m.components,
        "distance_km": m.distance_km,
        "source": MatchSource.SOLVER,
        "household_id": m.household_id,
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }


def _write(
    session: Session,
    job: _Job,
    snapshot: Snapshot,
    outcome: Outcome,
    started_at: datetime,
    phases: dict[str, float],
    clock: float,
) -> tuple[int, dict[str, Any]]:
    """Write the run in the caller's transaction; return its id and stats."""
    current = _current(session, outcome)
    job.pause("locked")
    now = _now()
    plan = _plan(snapshot, outcome, current, now)
    stats: dict[str, Any] = {
        **{k: outcome.stats[k] for k in ("requests", "mentors", "candidates", "matched")},
        "kept": len(plan.kept),
        "superseded": len(plan.outgoing),
        "new": len(plan.new),
        "objective": outcome.stats["objective"],
        "optimal": outcome.stats["optimal"],
        "seconds": 0.0,
        "unmatched": len(outcome.unmatched),
        "groups": len(outcome.groups),
    }
    if "gap" in outcome.stats:
        stats["gap"] = outcome.stats["gap"]
    run_id = _open_row(session, job, started_at, stats)
    if not job.dry_run:
        stats["superseded"] = _apply(session, plan, run_id, now)
    _insert_unmatched(session, outcome, current, run_id)
    _insert_groups(session, outcome, current, run_id)
    phases["write"] = time.perf_counter() - clock
    stats["seconds"] = round(sum(phases.values()), 3)
    stats["phases"] = {k: round(v, 3) for k, v in phases.items()}
    session.execute(
        update(_runs)
        .where(_runs.c.id == run_id)
        .values(status=RunStatus.SUCCEEDED, phase=None, finished_at=_now(), stats=stats)
    )
    if job.run_id is None:
        audit.record(session, job.actor, "run", "match_run", run_id)
    if job.dry_run:
        _prune_dry_run_details(session, job.keep_dry_runs)
    session.flush()
    return run_id, stats


def _open_row(session: Session, job: _Job, started_at: datetime, stats: dict[str, Any]) -> int:
    """The run's row: the claimed one (locked, still ``running``) or a new one.

    A new row is written ``succeeded`` at once (the transaction commits all or nothing): it is
    never a writing run in flight, which only queued runs are (one at a time, by index).
    """
    if job.run_id is not None:
        claimed = session.execute(
            update(_runs)
            .where(_runs.c.id == job.run_id, _runs.c.status == RunStatus.RUNNING)
            .values(stats=stats)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise RunNotRunning()
        return job.run_id
    run_id: int = session.execute(
        insert(_runs)
        .values(
            status=RunStatus.SUCCEEDED,
            dry_run=job.dry_run,
            requested_by=job.actor.key_id,
            queued_at=started_at,
            started_at=started_at,
            stats=stats,
        )
        .returning(_runs.c.id)
    ).scalar_one()
    return run_id


def _apply(session: Session, plan: _Plan, run_id: int, now: datetime) -> int:
    """Supersede, rescore and insert the proposals; the number superseded."""
    superseded = 0
    for chunk in _id_sets(session, plan.outgoing):
        result = session.execute(
            update(_matches)
            .where(
                chunk.among(_matches.c.id),
                _matches.c.status == MatchStatus.PROPOSED,
                _matches.c.source != MatchSource.MANUAL,  # a coordinator's proposal is left alone
            )
            .values(
                status=MatchStatus.SUPERSEDED,
                decided_at=now,
                updated_at=now,
                version=_matches.c.version + 1,
            )
        )
        superseded += result.rowcount  # type: ignore[attr-defined]
    if plan.rescored:
        session.execute(
            update(_matches)
            .where(_matches.c.id == bindparam("b_id"))
            .values(
                score=bindparam("b_score"),
                components=bindparam("b_components"),
                distance_km=bindparam("b_distance"),
                updated_at=bindparam("b_now"),
            ),
            plan.rescored,
        )
    if plan.new:
        insert_rows(session, _matches, [{**row, "run_id": run_id} for row in plan.new])
    return superseded


def _insert_unmatched(session: Session, outcome: Outcome, current: _Current, run_id: int) -> None:
    """The unmatched requests of newcomers still stored."""
    rows = [
        row for row in _unmatched_rows(outcome, run_id) if row["newcomer_id"] in current.newcomers
    ]
    if rows:
        insert_rows(session, _unmatched, rows)


def _insert_groups(session: Session, outcome: Outcome, current: _Current, run_id: int) -> None:
    """The solution's groups, one row per participant still stored (with their trainer)."""
    rows = [
        {"run_id": run_id, "programme": g.programme, "mentor_id": g.mentor_id, "newcomer_id": n}
        for g in outcome.groups
        if g.mentor_id in current.mentors
        for n in g.newcomer_ids
        if n in current.newcomers
    ]
    if rows:
        insert_rows(session, _group_members, rows)


def _prune_dry_run_details(session: Session, keep: int) -> None:
    """Delete the unmatched rows of all dry runs but the latest ``keep`` that have them.

    The run rows stay (with their counts) and say ``details_pruned``. They are locked newest
    first, so concurrent dry runs prune one after the other.
    """
    older = session.scalars(
        select(_runs.c.id)
        .where(
            _runs.c.dry_run.is_(True),
            _runs.c.status == RunStatus.SUCCEEDED,
            _runs.c.details_pruned.is_(False),
        )
        .order_by(_runs.c.id.desc())
        .offset(max(keep, 0))
        .with_for_update()
    ).all()
    for chunk in _id_sets(session, older):
        session.execute(delete(_unmatched).where(chunk.among(_unmatched.c.run_id)))
        session.execute(delete(_group_members).where(chunk.among(_group_members.c.run_id)))
        session.execute(update(_runs).where(chunk.among(_runs.c.id)).values(details_pruned=True))


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
            "group_shortfall": u.group_shortfall,
        }
