"""The admin's pages: the accounts, inviting a person, and a password-reset link.

A one-time link is shown once, on the answer to the form that made it (never put in a URL
or stored in plain text): the admin passes it on until Makker sends mail itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
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
from app.web.forms import SchemaT
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    settings_of,
    translator,
)


def admin_router() -> APIRouter:
    """A router of the admin's pages, under ``/admin``."""
    return APIRouter(
        prefix="/admin",
        route_class=DeskRoute,
        include_in_schema=False,
        dependencies=DESK_DEPENDENCIES,
    )


router = admin_router()
Admin = Annotated[SignedIn, Depends(DeskRole("admin"))]
#: The languages a notification is written in, each named in itself.
NOTICE_LANGUAGES = [("da", "Dansk"), ("en", "English")]
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


def association_choices(session: Session, signed: SignedIn) -> list[tuple[int, str]]:
    """The associations to choose from, by name."""
    return sorted(association_names(session, signed).items(), key=lambda pair: pair[1])


def scope_choices(
    session: Session, signed: SignedIn, _: Callable[[str], str]
) -> dict[str, list[tuple[Any, str]]]:
    """The role and scope choices of a form that makes an account or a key."""
    names = role_names(_)
    return {
        "roles": [(role, names[role]) for role in ROLES],
        "municipalities": i18n.municipality_choices(),
        "associations": association_choices(session, signed),
    }


# --- the role and scope of a new account or key: one form part, read and worded alike ------


def scope_page(
    template: str,
    fields: list[str],
    request: Request,
    session: Session,
    signed: SignedIn,
    values: dict[str, Any],
    errors: forms.FormErrors | None = None,
    status: int = 200,
    **extra: Any,
) -> Response:
    """A form that makes an account or a key: the values as typed, each error beside its
    field, the role and scope choices, and ``extra``."""
    context = forms.context(values, errors, fields)
    context |= scope_choices(session, signed, translator(request)) | extra
    return render(request, template, context, status)


def posted_scope(form: Any) -> dict[str, Any]:
    """The role and scope fields of a posted account or key form, as typed."""
    return {
        "role": forms.text(form, "role"),
        "municipalities": forms.chosen(form, "municipalities"),
        "association_id": forms.text(form, "association_id"),
    }


def scope_body(values: dict[str, Any], *, no_municipalities: list[str] | None) -> dict[str, Any]:
    """The scope part of the request body: a coordinator's municipalities (the others get
    ``no_municipalities``, as the schema wants them), an association's association."""
    role = values["role"]
    return {
        "role": role,
        "municipalities": values["municipalities"] if role == "coordinator" else no_municipalities,
        "association_id": (
            forms.whole(values["association_id"]) if role == "association" else None
        ),
    }


def submit_scope_form(
    request: Request,
    page: Callable[..., Response],
    session: Session,
    signed: SignedIn,
    values: dict[str, Any],
    body: dict[str, Any],
    schema: type[SchemaT],
    make: Callable[[SchemaT], Response],
    *,
    taken: tuple[str, str] | None = None,
) -> Response:
    """Make an account or a key from its posted form: ``make``'s answer, or the ``page``
    again with every error beside its field, a scope left out in the form's words (nothing
    written). ``taken``: the field and words of the service's 409, where it has one."""
    _ = translator(request)
    data, errors = forms.parse(schema, body, _)
    if data is not None:
        try:
            return make(data)
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _)
        except Conflict:
            if taken is None:
                raise
            errors.add(*taken)
    for name, message in (
        ("municipalities", _("Choose the coordinator's municipalities.")),
        ("association_id", _("Choose the association.")),
    ):
        if name in errors.by_field:
            errors.by_field[name] = message
    return page(request, session, signed, values, errors, status=400)


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


_invite_page = partial(scope_page, "admin_invite.html", INVITE_FIELDS, languages=NOTICE_LANGUAGES)


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
        "language": forms.text(form, "language") or "da",
        **posted_scope(form),
    }
    body = {
        "email": values["email"],
        "language": values["language"],
        **scope_body(values, no_municipalities=[]),
    }

    def made(data: AccountCreate) -> Response:
        _account, link = accounts.invite(session, signed.principal, data, settings_of(request))
        return render(request, "admin_link.html", {"link": link, "purpose": "invite"})

    taken = ("email", _("An account with this e-mail address already exists."))
    return submit_scope_form(
        request, _invite_page, session, signed, values, body, AccountCreate, made, taken=taken
    )


@router.post("/accounts/{account_id}/reset-link")
def reset_link(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm, account_id: IdPath
) -> Response:
    """A fresh password-reset link for the account, shown once."""
    link = accounts.reset_link_for(session, signed.principal, account_id, settings_of(request))
    return render(request, "admin_link.html", {"link": link, "purpose": "reset"})
