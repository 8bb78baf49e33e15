"""Match runs through the API: the same job as ``makker rematch`` (app/jobs/rematch.py)."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.auth import Principal
from app.errors import AppError, Conflict, Forbidden, NotFound
from app.jobs.rematch import RunFailed, RunInProgress, rematch
from app.models import MatchRun
from app.pagination import Page, PageParams
from app.runs import repository as repo
from app.runs.schemas import MatchRunRead, MatchRunSummary, RunUnmatchedRead


class RunFailedError(AppError):
    """The run failed; a ``failed`` run was recorded."""

    status, title = 500, "Match run failed"


def start(engine: Engine, principal: Principal, *, dry_run: bool) -> int:
    """Run the job (it opens and commits its own short transactions); the new run's id.

    The caller must hold no open transaction on the database: on SQLite it would hold the
    write lock the job needs. The run is audited in its own write transaction.

    A run that writes proposals changes every municipality's, so only admins (and the nightly
    job) start one; a coordinator, scoped to some municipalities, may start dry runs.
    """
    if not dry_run and not principal.is_admin:
        raise Forbidden(
            "A run writes proposals in every municipality: a coordinator may start dry runs only"
        )
    try:
        return rematch(engine, dry_run=dry_run, actor=principal).run_id
    except RunInProgress as exc:
        raise Conflict(str(exc)) from exc
    except RunFailed as exc:
        raise RunFailedError(f"{exc} (run {exc.run_id})") from exc


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
    )


def list_runs(session: Session, params: PageParams) -> Page[MatchRunSummary]:
    """A page of runs."""
    rows, cursor = repo.list_page(session, params)
    return Page[MatchRunSummary](
        items=[MatchRunSummary.model_validate(r) for r in rows], next_cursor=cursor
    )
