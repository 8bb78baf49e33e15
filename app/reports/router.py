"""``/reports``: summary and shortages (admins exact; coordinators in scope, suppressed)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from app.auth import Staff
from app.db import SessionDep
from app.domain import MAX_ID
from app.errors import problem_responses
from app.reports import service
from app.reports.schemas import Shortages, Summary
from app.resources import MunicipalityQuery

router = APIRouter(prefix="/reports", tags=["reports"])

RunQuery = Annotated[
    int | None, Query(ge=1, le=MAX_ID, description="A succeeded run; default latest")
]
ProgrammeQuery = Annotated[str | None, Query(max_length=50, description="Only this programme")]


def _threshold(request: Request) -> int:
    return int(request.app.state.settings.report_min_count)


@router.get("/summary", response_model=Summary, responses=problem_responses(403, 422))
def get_summary(
    request: Request,
    session: SessionDep,
    principal: Staff,
    municipality: MunicipalityQuery = None,
    programme: ProgrammeQuery = None,
) -> Summary:
    """Requests waiting and matched, coverage and waiting days by municipality and programme.

    Counts below the threshold are ``"<5"`` for coordinators; figures that would reveal
    them are ``null``. Admins see exact numbers.
    """
    return service.summary(
        session,
        principal,
        threshold=_threshold(request),
        municipality=municipality,
        programme=programme,
    )


@router.get("/shortages", response_model=Shortages, responses=problem_responses(403, 404, 422))
def get_shortages(
    request: Request,
    session: SessionDep,
    principal: Staff,
    municipality: MunicipalityQuery = None,
    programme: ProgrammeQuery = None,
    run_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="A succeeded run; default latest")
    ] = None,
) -> Shortages:
    """Unmatched requests of the latest applied run by municipality, language, programme, reason.

    Dry runs are left out by default (their proposals were never written, so their
    ``capacity`` reasons describe a state nobody sees); ``run_id`` picks any succeeded run.
    """
    return service.shortages(
        session,
        principal,
        threshold=_threshold(request),
        municipality=municipality,
        programme=programme,
        run_id=run_id,
    )
