"""Spreadsheets on the desk: upload newcomers (coordinators) or mentors (associations; an
admin chooses their association), read the preview with every error by row and column,
confirm; and the exports as downloads.

One more adapter over :mod:`app.spreadsheets.imports` and :mod:`app.spreadsheets.exports`:
the same preview, commit, scope and audit as ``POST .../imports`` and ``GET .../export``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app import clock
from app.accounts.service import SignedIn
from app.db import SessionDep, writes
from app.errors import AppError, Forbidden, Gone, NotFound, ValidationFailed
from app.spreadsheets import exports, imports
from app.spreadsheets.imports import ImportFailed, Kind, RowError
from app.web import forms
from app.web.admin import association_choices
from app.web.pages import (
    DESK_DEPENDENCIES,
    CurrentUser,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    see_other,
    translator,
)

router = APIRouter(route_class=DeskRoute, include_in_schema=False, dependencies=DESK_DEPENDENCIES)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]
Token = Annotated[str, Path(min_length=10, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")]
FileFormat = Annotated[Literal["csv", "xlsx"], Query(alias="format")]

#: What each role imports (an admin chooses).
KINDS_OF: dict[str, tuple[Kind, ...]] = {
    "admin": ("newcomers", "mentors"),
    "coordinator": ("newcomers",),
    "association": ("mentors",),
}
#: Where a committed import is seen (an admin's mentors: with the associations).
LANDING: dict[str, str] = {"newcomers": "/newcomers", "mentors": "/mentors"}
ADMIN_MENTORS_LANDING = "/admin/associations?done=imported"


def _kinds(signed: SignedIn) -> tuple[Kind, ...]:
    kinds = KINDS_OF.get(signed.principal.role, ())
    if not kinds:
        raise NotFound("No imports for this role")
    return kinds


def message_of(error: RowError, gettext: Callable[[str], str]) -> str:
    """A preview's error in the visitor's language (the API's English message otherwise)."""
    _ = gettext
    own = {
        "unknown_column": _("This column is not one Makker reads; rename or remove it."),
        "column_missing": _("This column is required and missing."),
        "date": _("Enter the date as dd-mm-yyyy."),
        "whole_number": _("Enter a whole number."),
        "number": _("Enter a number."),
        "yes_no": _("Write ja or nej."),
    }
    if error.type in own:
        return own[error.type]
    return forms.error_message(error.type or "rule", error.message, gettext)


def _page(
    request: Request,
    session: Session,
    signed: SignedIn,
    *,
    kind: str | None = None,
    error: str | None = None,
    preview: imports.ImportPreview | None = None,
    association_id: int | None = None,
    association_error: str | None = None,
    status: int = 200,
) -> Response:
    _ = translator(request)
    kinds = _kinds(signed)
    # An admin chooses the mentors' association.
    choices = association_choices(session, signed) if signed.principal.is_admin else None
    context = {
        "kinds": [(k, _("Newcomers") if k == "newcomers" else _("Mentors")) for k in kinds],
        "kind": kind or kinds[0],
        "upload_error": error,
        "preview": preview,
        "problems": [
            (e.row, e.column or "", message_of(e, _)) for e in (preview.errors if preview else [])
        ],
        "columns": [c.name for c in imports.KINDS[kind or kinds[0]].columns],
        "associations": choices,
        "association_id": association_id,
        "errors": {"association_id": association_error} if association_error else {},
    }
    return render(request, "imports/page.html", context, status=status)


def _kind_of(signed: SignedIn, chosen: str) -> Kind:
    """The kind of import posted, one the caller's role imports (404 otherwise)."""
    if chosen not in _kinds(signed):
        raise NotFound("No such import")
    return "newcomers" if chosen == "newcomers" else "mentors"


def _association_of(form: Any) -> int | None:
    """The association the form names (None when it names none or no number)."""
    typed = forms.whole(forms.text(form, "association_id"))
    return typed if isinstance(typed, int) else None


def _names_association(exc: AppError) -> bool:
    return any(e.get("field") == "association_id" for e in exc.errors or ())


@router.get("/imports")
def import_page(request: Request, session: SessionDep, signed: CurrentUser) -> Response:
    """The upload form."""
    kind = request.query_params.get("kind")
    return _page(request, session, signed, kind=kind if kind in _kinds(signed) else None)


@router.post("/imports")
def upload(
    request: Request, session: SessionDep, signed: CurrentUser, form: PostedForm
) -> Response:
    """Read and check the file: the preview, with every error by row and column."""
    _ = translator(request)
    kind = _kind_of(signed, forms.text(form, "kind") or _kinds(signed)[0])
    association_id = _association_of(form) if kind == "mentors" else None
    page = partial(_page, request, session, signed, kind=kind, association_id=association_id)
    file = form.get("file")
    content = file.file.read() if isinstance(file, UploadFile) else b""
    if not content.strip():
        return page(error=_("Choose a file to upload."), status=400)
    try:
        preview = imports.preview(
            session, signed.principal, kind, content, association_id=association_id
        )
    except Forbidden:
        raise  # an association naming another one: the 403 page, as the API's 403
    except AppError as exc:
        session.rollback()
        if _names_association(exc):
            return page(association_error=_("Choose the association."), status=400)
        error = _("The file could not be read: save it as CSV or Excel (.xlsx).")
        return page(error=error, status=400)
    return page(preview=preview)


@router.post("/imports/{token}/commit")
def confirm(
    request: Request, session: SessionDep, signed: CurrentUser, form: PostedForm, token: Token
) -> Response:
    """Create every previewed row, all or none, once, for the association previewed."""
    _ = translator(request)
    kind = _kind_of(signed, forms.text(form, "kind"))
    association_id = _association_of(form) if kind == "mentors" else None
    page = partial(_page, request, session, signed, kind=kind, association_id=association_id)
    try:
        result = imports.commit(
            session, signed.principal, kind, token, association_id=association_id
        )
    except Gone:
        session.rollback()
        return page(error=_("The preview has expired: upload the file again."), status=410)
    except ImportFailed:
        session.rollback()
        error = _("Some rows no longer pass: upload the file again to see why.")
        return page(error=error, status=422)
    except ValidationFailed as exc:
        if not _names_association(exc):
            raise
        session.rollback()
        error = _("The file was checked for another association, or it is gone: upload again.")
        return page(error=error, status=422)
    if kind == "mentors" and signed.principal.is_admin:
        return see_other(ADMIN_MENTORS_LANDING)
    return see_other(f"{LANDING[kind]}?imported={result.created}")


@router.get("/exports/matches")
@writes  # an association's export is audited as a list of the newcomers shown
def download_matches(session: SessionDep, signed: CurrentUser, fmt: FileFormat = "csv") -> Response:
    """The matches in the caller's scope, as the API's export."""
    return exports.export_matches(signed.principal, session, fmt)


@router.get("/exports/follow-ups")
def download_follow_ups(session: SessionDep, signed: Staff, fmt: FileFormat = "csv") -> Response:
    """The follow-ups due today in the caller's municipalities."""
    return exports.export_follow_ups(signed.principal, session, fmt, None)


@router.get("/exports/retention")
def download_retention(
    request: Request, session: SessionDep, signed: Staff, fmt: FileFormat = "csv"
) -> Response:
    """The retention report, suppressed as it is shown."""
    return exports.export_retention(request, signed.principal, session, fmt, clock.today())
