"""Match runs through the API: queued here, executed by a worker (app/jobs/worker.py) with
the nightly job's code path (app/jobs/rematch.py)."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.db import utcnow
from app.errors import Conflict, Forbidden, NotFound
from app.models import MatchRun
from app.models.match_run import RunStatus
from app.pagination import Page, PageParams
from app.runs import repository as repo
from app.runs.schemas import MatchRunRead, MatchRunSummary, RunGroupRead, RunUnmatchedRead


def start(session: Session, principal: Principal, *, dry_run: bool) -> MatchRunRead:
    """Queue a run in the caller's transaction (audited with it); the queued run.

    A run that writes proposals changes every municipality's, so only admins (and the nightly
    job) start one; a coordinator, scoped to some municipalities, may start dry runs. A key, and
    a desk account, has at most one run in flight (queued or running), and one writing run is
    in flight at most: 409 otherwise (each backed by a unique index, so concurrent requests
    cannot slip by).
    """
    if not dry_run and not principal.is_admin:
        raise Forbidden(
            "A run writes proposals in every municipality: a coordinator may start dry runs only"
        )
    if principal.account_id is not None:
        mine = repo.in_flight(session, account=principal.account_id)
        if mine is not None:
            raise Conflict(f"You already have a run in flight (run {mine}): wait for it to end")
    else:
        mine = repo.in_flight(session, requested_by=principal.key_id)
        if mine is not None:
            raise Conflict(f"This key already has a run in flight (run {mine}): wait for it to end")
    if not dry_run:
        writing = repo.in_flight(session, writing=True)
        if writing is not None:
            raise Conflict(f"another run is in progress (run {writing})")
    try:
        run_id = session.execute(
            insert(MatchRun)
            .values(
                status=RunStatus.QUEUED,
                dry_run=dry_run,
                requested_by=principal.key_id,
                requested_by_account=principal.account_id,
                queued_at=utcnow(),
                started_at=None,  # not the column's default: it starts when a worker claims it
                stats={},
            )
            .returning(MatchRun.id)
        ).scalar_one()
    except IntegrityError as exc:  # a concurrent request queued one first
        raise Conflict(
            "another run is in flight for this key or account, or another writing run"
        ) from exc
    audit.record(session, principal, "run", "match_run", run_id)
    return get_run(session, principal, run_id)


def get_run(session: Session, principal: Principal, run_id: int) -> MatchRunRead:
    """A run with the unmatched requests the caller may see; 404 when there is none."""
    run = repo.get(session, run_id)
    if run is None:
        raise NotFound(f"Match run {run_id} not found")
    return _read(session, principal, run)


def _read(session: Session, principal: Principal, run: MatchRun) -> MatchRunRead:
    rows = repo.unmatched(session, principal, run.id)
    return MatchRunRead(
        **MatchRunSummary.model_validate(run).model_dump(),
        unmatched=[RunUnmatchedRead.model_validate(r) for r in rows],
        groups=_groups(session, principal, run.id),
    )


def _groups(session: Session, principal: Principal, run_id: int) -> list[RunGroupRead]:
    """The run's groups as the caller may see them (scoped on where participants live now)."""
    found: dict[tuple[str, int], RunGroupRead] = {}
    for programme, mentor_id, newcomer_id, municipality in repo.groups(session, run_id):
        group = found.setdefault(
            (programme, mentor_id),
            RunGroupRead(programme=programme, mentor_id=mentor_id, size=0, newcomer_ids=[]),
        )
        group.size += 1
        if principal.is_admin or municipality in principal.municipalities:
            group.newcomer_ids.append(newcomer_id)
    return [g for g in found.values() if principal.is_admin or g.newcomer_ids]


def list_runs(session: Session, params: PageParams) -> Page[MatchRunSummary]:
    """A page of runs."""
    rows, cursor = repo.list_page(session, params)
    return Page[MatchRunSummary](
        items=[MatchRunSummary.model_validate(r) for r in rows], next_cursor=cursor
    )


def latest_runs(session: Session, limit: int) -> list[MatchRunSummary]:
    """The ``limit`` newest runs, newest first, without their unmatched lists."""
    return [MatchRunSummary.model_validate(r) for r in repo.latest(session, limit)]
