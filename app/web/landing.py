"""An association's landing page: its mentors' matches, the newcomer shown only as the API's
association view shows them (first name, age, languages, municipality — no contact details).
Coordinators land on the newcomers list, admins on the accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.service import SignedIn
from app.associations import service as associations
from app.db import SessionDep
from app.matches import service as matches
from app.mentors import service as mentors
from app.models import Mentor
from app.pagination import PageParams
from app.web import choices
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    render,
    settings_of,
    translator,
)
from app.web.proposals import states

router = APIRouter(route_class=DeskRoute, include_in_schema=False, dependencies=DESK_DEPENDENCIES)
Association = Annotated[SignedIn, Depends(DeskRole("association"))]
PAGE_SIZE = 25


@router.get("/association")
def association_home(
    request: Request,
    session: SessionDep,
    signed: Association,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The association's mentors' matches, as the association may see them."""
    association_id = signed.account.association_id or 0
    row = associations.get_association(session, signed.principal, association_id)
    page = matches.list_matches(
        session, signed.principal, PageParams(limit=PAGE_SIZE, cursor=cursor or None)
    )
    mentor_names = {m.id: m.first_name for m in _mentors(session, signed)}
    return render(
        request,
        "association.html",
        {
            "association_name": row.name,
            "signup_link": settings_of(request).public_url.rstrip("/")
            + f"/join/{row.signup_token}",
            "matches": page.items,
            "next_cursor": page.next_cursor,
            "mentor_names": mentor_names,
            "programme_names": {p.code: p.name for p in choices.all_programmes(session)},
            "states": states(translator(request)),
        },
    )


def _mentors(session: Session, signed: SignedIn) -> list[Mentor]:
    rows, _cursor = mentors.list_mentors(
        session,
        signed.principal,
        PageParams(limit=500),
        association_id=None,
        municipality=None,
        active=None,
    )
    return list(rows)
