"""``/api/v1/match-runs``: queue a run (a worker executes it), list and read runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth import Staff
from app.db import SessionDep
from app.idempotency import Created, IdempotencyDep
from app.pagination import Page, PageParams, page_params
from app.resources import IdPath
from app.runs import service
from app.runs.schemas import MatchRunCreate, MatchRunRead, MatchRunSummary

router = APIRouter(prefix="/match-runs", tags=["match runs"])


@router.post(
    "",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=MatchRunRead,
    responses={
        409: {"description": "This key has a run in flight, or another writing run is"},
    },
)
def create_run(
    request: Request,
    principal: Staff,
    session: SessionDep,
    idempotency: IdempotencyDep,
    background: BackgroundTasks,
    body: MatchRunCreate | None = None,
) -> Response:
    """Queue a run (``dry_run`` writes no proposals); 202 at once, a worker executes it.

    Follow ``Location``: the run goes ``queued`` → ``running`` → ``succeeded`` | ``failed``.
    """
    replay = idempotency.replay(lambda ref: _queued(service.get_run(session, principal, int(ref))))
    if replay is not None:
        return replay
    dry_run = (body or MatchRunCreate()).dry_run
    run = service.start(session, principal, dry_run=dry_run)
    answer = _queued(run)
    idempotency.save("match_run", run.id)
    worker = getattr(request.app.state, "run_worker", None)
    if worker is not None:
        background.add_task(worker.wake)  # after the response: the queued row is committed
    payload = answer.body.model_dump(mode="json")
    return JSONResponse(payload, status_code=answer.status, headers=answer.headers())


def _queued(run: MatchRunRead) -> Created:
    return Created(run, f"/api/v1/match-runs/{run.id}", status=status.HTTP_202_ACCEPTED)


@router.get("", response_model=Page[MatchRunSummary])
def list_runs(
    principal: Staff, session: SessionDep, params: Annotated[PageParams, Depends(page_params)]
) -> Page[MatchRunSummary]:
    """Runs, oldest first, without their unmatched lists."""
    return service.list_runs(session, params)


@router.get("/{run_id}", response_model=MatchRunRead)
def get_run(run_id: IdPath, principal: Staff, session: SessionDep) -> MatchRunRead:
    """One run with its stats and the unmatched requests the caller may see."""
    return service.get_run(session, principal, run_id)
