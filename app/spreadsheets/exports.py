"""``GET /matches/export``, ``/follow-ups/export`` and ``/reports/retention/export``: the
lists as CSV or XLSX files, scoped exactly as the lists are (Danish column names)."""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import Select, select

from app import audit, clock
from app.auth import AnyRole, Staff
from app.db import SessionDep, writes
from app.domain import IsoDate
from app.errors import problem_responses
from app.followups import retention, service
from app.matches import repository as match_repo
from app.models import Match, Newcomer
from app.spreadsheets.reading import XLSX
from app.spreadsheets.writing import Format, Value, download

router = APIRouter(tags=["spreadsheets"])
FormatQuery = Annotated[Format, Query(alias="format", description="`csv` or `xlsx`")]
_FILE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, XLSX: {}}, "description": "The file"}
}


@router.get(
    "/matches/export", responses={**_FILE, **problem_responses(422)}, response_class=Response
)
@writes  # an association's export shows its newcomers' municipality: audited as a list
def export_matches(principal: AnyRole, session: SessionDep, fmt: FormatQuery = "csv") -> Response:
    """Every match in the caller's scope. Associations get no newcomer ids nor scores."""
    query = match_repo.scoped(
        principal,
        cast(
            "Select[Any]",
            select(Match, Newcomer.municipality)
            .join(Newcomer, Newcomer.id == Match.newcomer_id)
            .order_by(Match.id),
        ),
    )
    rows = session.execute(query).all()
    staff = principal.role != "association"
    header = ["Match-id", "Status", "Program", "Kommune", "Mentor-id"]
    if staff:
        header += ["Nytilkommen-id", "Score", "Afstand (km)", "Kilde"]
    header += ["Oprettet", "Besluttet", "Afsluttet", "Årsag"]
    table: list[list[Value]] = []
    for match, municipality in rows:
        line: list[Value] = [
            match.id,
            match.status,
            match.programme,
            municipality,
            match.mentor_id,
        ]
        if staff:
            line += [match.newcomer_id, match.score, match.distance_km, match.source]
        line += [match.created_at, match.decided_at, match.ended_at, match.reason]
        table.append(line)
    if not staff:
        ids = sorted({m.newcomer_id for m, _ in rows})
        audit.record_many(session, principal, "list", "newcomer", ids)
    return download(fmt, "matches", header, table)


@router.get(
    "/follow-ups/export",
    responses={**_FILE, **problem_responses(403, 422)},
    response_class=Response,
)
def export_follow_ups(
    principal: Staff,
    session: SessionDep,
    fmt: FormatQuery = "csv",
    due_before: Annotated[IsoDate | None, Query()] = None,
) -> Response:
    """The follow-ups due, as ``GET /follow-ups`` lists them."""
    header = [
        "Match-id",
        "Program",
        "Kommune",
        "Nytilkommen-id",
        "Mentor-id",
        "Accepteret",
        "Opfølgning",
        "Dage efter",
        "Seneste opfølgning",
    ]
    table: list[list[Value]] = [
        [
            f.match_id,
            f.programme,
            f.municipality,
            f.newcomer_id,
            f.mentor_id,
            f.accepted_on,
            f.due_on,
            f.days_after,
            f.last_check_in_on,
        ]
        for f in service.list_due(session, principal, due_before)
    ]
    return download(fmt, "follow-ups", header, table)


@router.get(
    "/reports/retention/export",
    responses={**_FILE, **problem_responses(403, 422)},
    response_class=Response,
)
def export_retention(
    request: Request,
    principal: Staff,
    session: SessionDep,
    fmt: FormatQuery = "csv",
    on: Annotated[IsoDate | None, Query()] = None,
) -> Response:
    """The retention report's rows, suppressed as the report is."""
    report = retention.retention(
        session,
        principal,
        on=on or clock.today(),
        threshold=int(request.app.state.settings.report_min_count),
    )
    header = [
        "Kommune",
        "Program",
        "Accepteret",
        "Nået 3 mdr.",
        "Aktive 3 mdr.",
        "Aktive 3 mdr. (%)",
        "Nået 6 mdr.",
        "Aktive 6 mdr.",
        "Aktive 6 mdr. (%)",
    ]
    table: list[list[Value]] = [
        [
            r.municipality,
            r.programme,
            r.accepted,
            r.reached_3m,
            r.active_3m,
            r.active_3m_pct,
            r.reached_6m,
            r.active_6m,
            r.active_6m_pct,
        ]
        for r in report.rows
    ]
    return download(fmt, "retention", header, table)
