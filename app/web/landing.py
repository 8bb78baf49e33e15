"""An association's landing page (coordinators land on the newcomers list, admins on the
accounts)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.accounts.service import SignedIn
from app.associations import service as associations
from app.db import SessionDep
from app.web.pages import DESK_DEPENDENCIES, DeskRole, DeskRoute, render

router = APIRouter(route_class=DeskRoute, include_in_schema=False, dependencies=DESK_DEPENDENCIES)
Association = Annotated[SignedIn, Depends(DeskRole("association"))]


@router.get("/association")
def association_home(request: Request, session: SessionDep, signed: Association) -> Response:
    """An association's landing page."""
    association_id = signed.account.association_id or 0
    row = associations.get_association(session, signed.principal, association_id)
    return render(request, "association.html", {"association_name": row.name})
