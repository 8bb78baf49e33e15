"""The admin's pages: the accounts, inviting a person, and a password-reset link.

A one-time link is shown once, on the answer to the form that made it (never put in a URL
or stored in plain text): the admin passes it on until Makker sends mail itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.schemas import AccountCreate
from app.accounts.service import SignedIn
from app.associations import service as associations
from app.auth import ROLES
from app.db import SessionDep
from app.errors import Conflict, ValidationFailed
from app.pagination import MAX_LIMIT, PageParams
from app.resources import IdPath
from app.web import forms, i18n
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    settings_of,
    translator,
)

router = APIRouter(
    prefix="/admin",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Admin = Annotated[SignedIn, Depends(DeskRole("admin"))]
INVITE_FIELDS = ["email", "role", "language", "municipalities", "association_id"]


def role_names(_: Callable[[str], str]) -> dict[str, str]:
    """The roles in words."""
    return {
        "admin": _("Administrator"),
        "coordinator": _("Coordinator"),
        "association": _("Association"),
    }


def association_names(session: Session, signed: SignedIn) -> dict[int, str]:
    """The names of the associations, by id (an admin sees them all)."""
    rows, _cursor = associations.list_associations(
        session, signed.principal, PageParams(limit=MAX_LIMIT)
    )
    return {row.id: row.name for row in rows}


def scope_choices(
    session: Session, signed: SignedIn, _: Callable[[str], str]
) -> dict[str, list[tuple[Any, str]]]:
    """The role and scope choices of a form that makes an account or a key."""
    names = role_names(_)
    return {
        "roles": [(role, names[role]) for role in ROLES],
        "municipalities": i18n.municipality_choices(),
        "associations": sorted(
            association_names(session, signed).items(), key=lambda pair: pair[1]
        ),
    }


@router.get("")
def admin_home(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The accounts, with a reset link for each."""
    return render(
        request,
        "admin.html",
        {
            "accounts": accounts.list_accounts(session, signed.principal),
            "associations": association_names(session, signed),
            "roles": role_names(translator(request)),
            "notice": request.query_params.get("done"),
        },
    )


def _invite_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    values: dict[str, Any],
    errors: forms.FormErrors | None = None,
    status: int = 200,
) -> Response:
    context = forms.context(values, errors, INVITE_FIELDS)
    context |= scope_choices(session, signed, translator(request))
    context["languages"] = [("da", "Dansk"), ("en", "English")]
    return render(request, "admin_invite.html", context, status)


@router.get("/invite")
def invite_form(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The form to invite a person."""
    values = {
        "email": "",
        "role": "coordinator",
        "language": "da",
        "municipalities": [],
        "association_id": "",
    }
    return _invite_page(request, session, signed, values)


@router.post("/invite")
def invite(request: Request, session: SessionDep, signed: Admin, form: PostedForm) -> Response:
    """Create the account and show its one-time link (once)."""
    _ = translator(request)
    values = {
        "email": forms.text(form, "email"),
        "role": forms.text(form, "role"),
        "language": forms.text(form, "language") or "da",
        "municipalities": forms.chosen(form, "municipalities"),
        "association_id": forms.text(form, "association_id"),
    }
    role = values["role"]
    association_id = forms.whole(forms.text(form, "association_id"))
    body = {
        "email": values["email"],
        "role": role,
        "language": values["language"],
        "municipalities": values["municipalities"] if role == "coordinator" else [],
        "association_id": association_id if role == "association" else None,
    }
    data, errors = forms.parse(AccountCreate, body, _)
    if data is not None:
        try:
            _account, link = accounts.invite(session, signed.principal, data, settings_of(request))
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _)
        except Conflict:
            errors.add("email", _("An account with this e-mail address already exists."))
        else:
            return render(request, "admin_link.html", {"link": link, "purpose": "invite"})
    for name, message in (
        ("municipalities", _("Choose the coordinator's municipalities.")),
        ("association_id", _("Choose the association.")),
    ):
        if name in errors.by_field:
            errors.by_field[name] = message
    return _invite_page(request, session, signed, values, errors, status=400)


@router.post("/accounts/{account_id}/reset-link")
def reset_link(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm, account_id: IdPath
) -> Response:
    """A fresh password-reset link for the account, shown once."""
    link = accounts.reset_link_for(session, signed.principal, account_id, settings_of(request))
    return render(request, "admin_link.html", {"link": link, "purpose": "reset"})
