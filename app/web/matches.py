"""Matches: the active and the ended ones in the caller's scope; end one with a reason.

The same cards, states and lost-race words as the proposals (:mod:`app.web.proposals`); the
end goes through :func:`app.matches.service.end`, like the API's.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from app.accounts.service import SignedIn
from app.db import SessionDep
from app.errors import Conflict, PreconditionFailed
from app.matches import repository as matches
from app.matches import service
from app.matches.schemas import MatchDecision
from app.models import MatchStatus
from app.pagination import PageParams
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
from app.web.proposals import cards, lost_race, race_message, states, version_of

router = APIRouter(
    prefix="/matches",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]
PAGE_SIZE = 20
#: The list's two views and the match status each shows.
VIEWS = {"active": MatchStatus.ACCEPTED, "ended": MatchStatus.ENDED}


@router.get("")
def list_matches(
    request: Request,
    session: SessionDep,
    signed: Staff,
    view: Annotated[str, Query(max_length=10)] = "active",
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Active (accepted) or ended matches, by id."""
    view = view if view in VIEWS else "active"
    rows, next_cursor = matches.list_page(
        session,
        signed.principal,
        PageParams(limit=PAGE_SIZE, cursor=cursor or None),
        status=VIEWS[view],
    )
    return render(
        request,
        "matches/list.html",
        {
            "cards": cards(request, session, signed, rows),
            "view": view,
            "next_cursor": next_cursor,
            "states": states(translator(request)),
            "notice": request.query_params.get("done"),
        },
    )


@router.get("/{match_id}/end")
def end_form(request: Request, session: SessionDep, signed: Staff, match_id: IdPath) -> Response:
    """Ask for the reason a match ends."""
    match = service.get_match(session, signed.principal, match_id)
    card = cards(request, session, signed, [match])[0]
    context = {"card": card, "errors": {}, "reason": "", "states": states(translator(request))}
    return render(request, "matches/end.html", context)


@router.post("/{match_id}/end")
def end(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, match_id: IdPath
) -> Response:
    """End the match with a reason (the mentor's place is free again)."""
    _ = translator(request)
    reason = forms.text(form, "reason")
    data, errors = forms.parse(MatchDecision, {"reason": reason}, _)
    if data is None:
        match = service.get_match(session, signed.principal, match_id)
        if not reason:
            errors.by_field["reason"] = _("Write why the match ends.")
        context = {
            "card": cards(request, session, signed, [match])[0],
            "errors": errors.by_field,
            "reason": reason,
            "states": states(_),
        }
        return render(request, "matches/end.html", context, status=400)
    try:
        service.end(session, signed.principal, match_id, version_of(form), data.reason)
    except (Conflict, PreconditionFailed) as exc:
        return lost_race(request, session, signed, match_id, race_message(exc, _))
    return see_other("/matches?view=ended&done=ended")
