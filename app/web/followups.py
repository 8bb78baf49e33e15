"""Follow-ups on the desk: record a check-in on a match, and the follow-ups due.

Both go through :mod:`app.followups.service`, like the API's routes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.accounts.service import SignedIn
from app.db import SessionDep
from app.errors import Conflict
from app.followups import service
from app.followups.schemas import CheckInCreate
from app.matches import service as matches
from app.resources import IdPath
from app.web import forms
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    see_other,
    translator,
)
from app.web.proposals import cards, states

router = APIRouter(route_class=DeskRoute, include_in_schema=False, dependencies=DESK_DEPENDENCIES)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]


def _statuses(gettext: Callable[[str], str]) -> list[tuple[str, str]]:
    return [
        ("meeting", gettext("They meet")),
        ("paused", gettext("Paused")),
        ("not_started", gettext("Not started yet")),
        ("ended", gettext("They have stopped")),
    ]


def _page(
    request: Request,
    session: SessionDep,
    signed: SignedIn,
    match_id: int,
    *,
    errors: dict[str, str],
    values: dict[str, str],
    status: int = 200,
) -> Response:
    _ = translator(request)
    match = matches.get_match(session, signed.principal, match_id)
    context = {
        "card": cards(request, session, signed, [match])[0],
        "check_ins": service.list_check_ins(session, signed.principal, match_id),
        "statuses": _statuses(_),
        "status_names": dict(_statuses(_)),
        "errors": errors,
        "values": values,
        "states": states(_),
    }
    return render(request, "matches/check_in.html", context, status=status)


@router.get("/matches/{match_id}/check-in")
def check_in_form(
    request: Request, session: SessionDep, signed: Staff, match_id: IdPath
) -> Response:
    """The match's check-ins so far, and the form for a new one."""
    return _page(request, session, signed, match_id, errors={}, values={})


@router.post("/matches/{match_id}/check-in")
def check_in(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, match_id: IdPath
) -> Response:
    """Record the check-in; back to the follow-ups due."""
    _ = translator(request)
    values = {"status": forms.text(form, "status"), "note": forms.text(form, "note")}
    body = {"status": values["status"] or None, "note": values["note"] or None}
    data, errors = forms.parse(CheckInCreate, body, _)
    if data is None:
        if not values["status"]:
            errors.by_field["status"] = _("Choose how the pair is doing.")
        return _page(
            request, session, signed, match_id, errors=errors.by_field, values=values, status=400
        )
    try:
        service.record_check_in(session, signed.principal, match_id, data)
    except Conflict:
        errors.by_field["status"] = _("Only an accepted or ended match is followed up.")
        return _page(
            request, session, signed, match_id, errors=errors.by_field, values=values, status=409
        )
    return see_other("/follow-ups?done=recorded")


@router.get("/follow-ups")
def follow_ups(request: Request, session: SessionDep, signed: Staff) -> Response:
    """The matches in the caller's municipalities with a follow-up due today."""
    due = service.list_due(session, signed.principal, None)
    shown = [matches.get_match(session, signed.principal, d.match_id) for d in due]
    context = {
        "rows": list(zip(due, cards(request, session, signed, shown), strict=True)),
        "notice": request.query_params.get("done"),
        "states": states(translator(request)),
    }
    return render(request, "follow_ups.html", context)
