"""``POST /newcomers/imports`` and ``/mentors/imports`` (preview), ``.../{id}/commit``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request

from app.auth import Principal, allow
from app.db import SessionDep
from app.domain import MAX_ID
from app.errors import ValidationFailed, problem_responses
from app.spreadsheets import imports
from app.spreadsheets.imports import ImportPreview, ImportResult
from app.spreadsheets.reading import XLSX

router = APIRouter(tags=["spreadsheets"])
Coordinating = Annotated[Principal, Depends(allow("admin", "coordinator"))]
Associating = Annotated[Principal, Depends(allow("admin", "association"))]
ImportId = Annotated[str, Path(min_length=10, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")]
#: The mentors' association: an admin names it; an association's is its own.
AssociationQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]

_FILE = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string", "format": "binary"}},
            XLSX: {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


async def _file(request: Request) -> bytes:
    """The uploaded file: the raw body (CSV or XLSX; the format is told by the content)."""
    content = await request.body()
    if not content.strip():
        raise ValidationFailed("file", "the request body is the file; it is empty")
    return content


File = Annotated[bytes, Depends(_file)]


@router.post(
    "/newcomers/imports",
    openapi_extra=_FILE,
    responses=problem_responses(403, 413, 422),
)
def preview_newcomers(principal: Coordinating, session: SessionDep, file: File) -> ImportPreview:
    """Upload newcomers (Danish Excel CSV or XLSX): every row checked as ``POST /newcomers``
    would, every error by row and Danish column; nothing is created until the commit."""
    return imports.preview(session, principal, "newcomers", file)


@router.post(
    "/newcomers/imports/{import_id}/commit", responses=problem_responses(403, 404, 410, 422)
)
def commit_newcomers(
    import_id: ImportId, principal: Coordinating, session: SessionDep
) -> ImportResult:
    """Create every previewed newcomer, all or none, once (a second commit answers alike)."""
    return imports.commit(session, principal, "newcomers", import_id)


@router.post("/mentors/imports", openapi_extra=_FILE, responses=problem_responses(403, 413, 422))
def preview_mentors(
    principal: Associating,
    session: SessionDep,
    file: File,
    association_id: AssociationQuery = None,
) -> ImportPreview:
    """Upload mentors (Danish Excel CSV or XLSX), checked as ``POST /mentors`` would, for
    ``association_id`` (an admin names it; an association key's is its own)."""
    return imports.preview(session, principal, "mentors", file, association_id=association_id)


@router.post("/mentors/imports/{import_id}/commit", responses=problem_responses(403, 404, 410, 422))
def commit_mentors(
    import_id: ImportId,
    principal: Associating,
    session: SessionDep,
    association_id: AssociationQuery = None,
) -> ImportResult:
    """Create every previewed mentor, all or none, once, for the preview's association (an
    ``association_id`` naming another is refused)."""
    return imports.commit(session, principal, "mentors", import_id, association_id=association_id)
