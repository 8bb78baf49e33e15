"""``/api/v1/match-runs``: queue a run (a worker executes it), list and read runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Request, Response, status
from fastapi.responses import JSONResponse

from app.auth import Staff
from app.db import SessionDep
from app.idempotency import IdempotencyDep
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
    replay = idempotency.replay()
    if replay is not None:
        return replay
    dry_run = (body or MatchRunCreate()).dry_run
    payload = service.start(session, principal, dry_run=dry_run).model_dump(mode="json")
    headers = {"Location": f"/api/v1/match-runs/{payload['id']}"}
    idempotency.save(status.HTTP_202_ACCEPTED, payload, headers)
    worker = getattr(request.app.state, "run_worker", None)
    if worker is not None:
        background.add_task(worker.wake)  # after the response: the queued row is committed
    return JSONResponse(payload, status_code=status.HTTP_202_ACCEPTED, headers=headers)


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
