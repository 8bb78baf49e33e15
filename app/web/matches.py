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
from app.matches import repository as matches
from app.matches import service
from app.models import MatchStatus
from app.pagination import PageParams
from app.resources import IdPath
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    translator,
)
from app.web.proposals import (
    cards,
    decide_with_reason,
    reason_form,
    states,
)

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
    return reason_form(request, session, signed, match_id, "matches/end.html")


@router.post("/{match_id}/end")
def end(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, match_id: IdPath
) -> Response:
    """End the match with a reason (the mentor's place is free again)."""
    _ = translator(request)
    return decide_with_reason(
        request,
        session,
        signed,
        form,
        match_id,
        template="matches/end.html",
        missing=_("Write why the match ends."),
        decide=service.end,
        done="/matches?view=ended&done=ended",
    )
