"""``/api/v1/match-runs``: start a run (the nightly job's code path), list and read runs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
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
    status_code=status.HTTP_201_CREATED,
    response_model=MatchRunRead,
    responses={409: {"description": "Another run is in progress"}},
)
def create_run(
    request: Request,
    principal: Staff,
    session: SessionDep,
    idempotency: IdempotencyDep,
    body: MatchRunCreate | None = None,
) -> Response:
    """Run the matcher now (synchronously); ``dry_run`` writes no proposals."""
    replay = idempotency.replay(lambda ref: _created(service.get_run(session, principal, int(ref))))
    if replay is not None:
        return replay
    # The job owns its transactions: end the request's first (on SQLite it holds the lock).
    session.commit()
    dry_run = (body or MatchRunCreate()).dry_run
    run_id = service.start(request.app.state.engine, principal, dry_run=dry_run)
    answer = _created(service.get_run(session, principal, run_id))
    idempotency.save("match_run", run_id)
    payload = answer.body.model_dump(mode="json")
    return JSONResponse(payload, status_code=status.HTTP_201_CREATED, headers=answer.headers())


def _created(run: MatchRunRead) -> Created:
    return Created(run, f"/api/v1/match-runs/{run.id}")


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
