"""The landing pages of the admin and of an association (the coordinator lands on the
newcomers list)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from app.accounts import service as accounts
from app.accounts.service import SignedIn
from app.associations import service as associations
from app.db import SessionDep
from app.pagination import MAX_LIMIT, PageParams
from app.web.pages import DESK_DEPENDENCIES, DeskRole, DeskRoute, render, translator

router = APIRouter(route_class=DeskRoute, include_in_schema=False, dependencies=DESK_DEPENDENCIES)
Admin = Annotated[SignedIn, Depends(DeskRole("admin"))]
Association = Annotated[SignedIn, Depends(DeskRole("association"))]


def role_names(request: Request) -> dict[str, str]:
    """The roles in words."""
    _ = translator(request)
    return {
        "admin": _("Administrator"),
        "coordinator": _("Coordinator"),
        "association": _("Association"),
    }


@router.get("/admin")
def admin_home(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The accounts and what an admin can do here."""
    rows, _cursor = associations.list_associations(
        session, signed.principal, PageParams(limit=MAX_LIMIT)
    )
    return render(
        request,
        "admin.html",
        {
            "accounts": accounts.list_accounts(session, signed.principal),
            "associations": {row.id: row.name for row in rows},
            "roles": role_names(request),
        },
    )


@router.get("/association")
def association_home(request: Request, session: SessionDep, signed: Association) -> Response:
    """An association's landing page."""
    association_id = signed.account.association_id or 0
    row = associations.get_association(session, signed.principal, association_id)
    return render(request, "association.html", {"association_name": row.name})
