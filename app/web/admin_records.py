"""The admin's records: associations (list, create, edit, delete after a confirmation),
programmes (list, create, edit, with their age rules) and API keys (list, create — the key is
shown once, on the answer — and revoke), on the API's own services and schemas; disabling
an account. Every write is the service's, audited there."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import Path, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts import service as accounts
from app.accounts.service import SignedIn
from app.api_keys import service as keys
from app.api_keys.schemas import ApiKeyCreate
from app.associations import service as associations
from app.associations.schemas import AssociationCreate, AssociationUpdate
from app.db import SessionDep
from app.domain import AssociationKind
from app.errors import Conflict, PreconditionFailed, ValidationFailed
from app.etag import etag_of
from app.pagination import MAX_LIMIT, PageParams
from app.programmes import service as programmes
from app.programmes.schemas import ProgrammeCreate, ProgrammeUpdate
from app.resources import IdPath
from app.web import choices, forms, i18n
from app.web.admin import (
    NOTICE_LANGUAGES,
    Admin,
    admin_router,
    association_names,
    posted_scope,
    role_names,
    scope_body,
    scope_page,
    submit_scope_form,
)
from app.web.pages import (
    PostedForm,
    render,
    see_other,
    translator,
)

router = admin_router()
ProgrammeCode = Annotated[str, Path(pattern=r"^[a-z][a-z0-9_]{1,49}$")]
ASSOCIATION_FIELDS = ["name", "kind", "contact_email", "language", "municipalities"]
PROGRAMME_FIELDS = [
    "code",
    "name",
    "description",
    "min_age",
    "max_age",
    "requires_language",
    "requires_first_language",
    "unit",
    "group_min",
    "group_max",
    "active",
]
KEY_FIELDS = ["name", "role", "municipalities", "association_id"]
KINDS: tuple[AssociationKind, ...] = (
    "red_cross",
    "refugee_council",
    "sports_club",
    "housing",
    "other",
)


def kind_names(_: Callable[[str], str]) -> dict[str, str]:
    """The kinds of association in words."""
    return {
        "red_cross": _("Red Cross"),
        "refugee_council": _("Danish Refugee Council"),
        "sports_club": _("Sports club"),
        "housing": _("Housing association"),
        "other": _("Other"),
    }


def _version(form: Any) -> str | None:
    typed = forms.text(form, "version")
    return etag_of(int(typed)) if typed.isdigit() and len(typed) < 10 else None


def _changed_meanwhile(_: Callable[[str], str]) -> str:
    return _(
        "Someone else changed this after you opened the form. "
        "The form now shows it as it is; make your changes again."
    )


# --- associations -------------------------------------------------------------------------


@router.get("/associations")
def association_list(request: Request, session: SessionDep, signed: Admin) -> Response:
    """Every association."""
    rows, _cursor = associations.list_associations(
        session, signed.principal, PageParams(limit=MAX_LIMIT)
    )
    return render(
        request,
        "admin/associations.html",
        {
            "rows": rows,
            "kinds": kind_names(translator(request)),
            "notice": request.query_params.get("done"),
        },
    )


def _association_page(
    request: Request,
    values: dict[str, Any],
    errors: forms.FormErrors | None = None,
    row: Any = None,
    status: int = 200,
) -> Response:
    names = kind_names(translator(request))
    context = forms.context(values, errors, ASSOCIATION_FIELDS) | {
        "row": row,
        "kinds": [(kind, names[kind]) for kind in KINDS],
        "municipalities": i18n.municipality_choices(),
        "languages": NOTICE_LANGUAGES,
    }
    return render(request, "admin/association_form.html", context, status=status)


def _association_values(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "kind": row.kind,
        "contact_email": row.contact_email or "",
        "language": row.language or "da",
        "municipalities": list(row.municipalities),
    }


def _posted_association(form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    values = {
        "name": forms.text(form, "name"),
        "kind": forms.text(form, "kind"),
        "contact_email": forms.text(form, "contact_email"),
        "language": forms.text(form, "language") or "da",
        "municipalities": forms.chosen(form, "municipalities"),
    }
    body = {**values, "contact_email": values["contact_email"] or None}
    return values, body


@router.get("/associations/new")
def association_new(request: Request, signed: Admin) -> Response:
    """The form to register an association."""
    values = {"name": "", "kind": "", "contact_email": "", "language": "da", "municipalities": []}
    return _association_page(request, values)


@router.post("/associations/new")
def association_create(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm
) -> Response:
    """Register the association, or show the errors (nothing written)."""
    _ = translator(request)
    values, body = _posted_association(form)
    data, errors = forms.parse(AssociationCreate, body, _)
    if data is not None:
        associations.create_association(session, signed.principal, data)
        return see_other("/admin/associations?done=created")
    return _association_page(request, values, errors, status=400)


@router.get("/associations/{association_id}/edit")
def association_edit(
    request: Request, session: SessionDep, signed: Admin, association_id: IdPath
) -> Response:
    """The form to change an association, filled in."""
    row = associations.get_association(session, signed.principal, association_id)
    return _association_page(request, _association_values(row), row=row)


@router.post("/associations/{association_id}/edit")
def association_update(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm, association_id: IdPath
) -> Response:
    """Save the changes (refused in words when someone changed it meanwhile)."""
    _ = translator(request)
    row = associations.get_association(session, signed.principal, association_id)
    values, body = _posted_association(form)
    data, errors = forms.parse(AssociationUpdate, body, _)
    if data is not None:
        try:
            associations.update_association(
                session, signed.principal, association_id, data, _version(form)
            )
        except PreconditionFailed:
            errors.add("form", _changed_meanwhile(_))
            current = associations.get_association(session, signed.principal, association_id)
            return _association_page(
                request, _association_values(current), errors, row=current, status=409
            )
        return see_other("/admin/associations?done=saved")
    return _association_page(request, values, errors, row=row, status=400)


@router.get("/associations/{association_id}/delete")
def association_confirm_delete(
    request: Request, session: SessionDep, signed: Admin, association_id: IdPath
) -> Response:
    """Ask before deleting an association."""
    row = associations.get_association(session, signed.principal, association_id)
    return render(request, "admin/association_delete.html", {"row": row, "refusal": None})


@router.post("/associations/{association_id}/delete")
def association_delete(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm, association_id: IdPath
) -> Response:
    """Delete the association; one that still has mentors is refused in words."""
    _ = translator(request)
    try:
        associations.delete_association(session, signed.principal, association_id, _version(form))
    except (Conflict, PreconditionFailed) as exc:
        refusal = (
            _("The association still has mentors. Delete or move them first.")
            if isinstance(exc, Conflict)
            else _("Someone else changed the association meanwhile. Look at it again first.")
        )
        row = associations.get_association(session, signed.principal, association_id)
        return render(
            request,
            "admin/association_delete.html",
            {"row": row, "refusal": refusal},
            status=exc.status,
        )
    return see_other("/admin/associations?done=deleted")


# --- programmes ---------------------------------------------------------------------------


@router.get("/programmes")
def programme_list(request: Request, session: SessionDep, signed: Admin) -> Response:
    """Every programme, with its rules in words."""
    _ = translator(request)
    lang = i18n.language_of(request)
    rows = choices.all_programmes(session)
    return render(
        request,
        "admin/programmes.html",
        {
            "rows": [(row, choices.programme_rule(row, _, lang)) for row in rows],
            "notice": request.query_params.get("done"),
        },
    )


def _programme_page(
    request: Request,
    values: dict[str, Any],
    errors: forms.FormErrors | None = None,
    row: Any = None,
    status: int = 200,
) -> Response:
    held = [values["requires_language"]] if values["requires_language"] else []
    context = forms.context(values, errors, PROGRAMME_FIELDS) | {
        "row": row,
        "language_choices": i18n.language_choices(i18n.language_of(request), also=held),
        "unit_choices": choices.unit_options(translator(request)),
    }
    return render(request, "admin/programme_form.html", context, status=status)


def _programme_values(row: Any) -> dict[str, Any]:
    return {
        "code": row.code,
        "name": row.name,
        "description": row.description,
        "min_age": "" if row.min_age is None else str(row.min_age),
        "max_age": "" if row.max_age is None else str(row.max_age),
        "requires_language": row.requires_language or "",
        "requires_first_language": row.requires_first_language,
        "unit": row.unit,
        "group_min": "" if row.group_min is None else str(row.group_min),
        "group_max": "" if row.group_max is None else str(row.group_max),
        "active": row.active,
    }


def _posted_programme(form: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    values: dict[str, Any] = {
        name: forms.text(form, name)
        for name in (
            "code",
            "name",
            "description",
            "min_age",
            "max_age",
            "requires_language",
            "unit",
            "group_min",
            "group_max",
        )
    }
    values["requires_first_language"] = form.get("requires_first_language") == "yes"
    values["active"] = form.get("active") == "yes"
    body = {
        **values,
        "min_age": forms.whole(values["min_age"]),
        "max_age": forms.whole(values["max_age"]),
        "requires_language": values["requires_language"] or None,
        "unit": values["unit"] or "person",
        "group_min": forms.whole(values["group_min"]),
        "group_max": forms.whole(values["group_max"]),
    }
    return values, body


@router.get("/programmes/new")
def programme_new(request: Request, signed: Admin) -> Response:
    """The form to add a programme."""
    values: dict[str, Any] = {name: "" for name in PROGRAMME_FIELDS}
    values |= {"requires_first_language": False, "active": True, "unit": "person"}
    return _programme_page(request, values)


@router.post("/programmes/new")
def programme_create(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm
) -> Response:
    """Add the programme, or show the errors (nothing written)."""
    _ = translator(request)
    values, body = _posted_programme(form)
    data, errors = forms.parse(ProgrammeCreate, body, _)
    if data is not None:
        try:
            programmes.create_programme(session, signed.principal, data)
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _)
        except Conflict:
            errors.add("code", _("A programme with this code exists already."))
        else:
            return see_other("/admin/programmes?done=created")
    if "min_age" in errors.by_field and values["min_age"] and values["max_age"]:
        errors.by_field["min_age"] = _("The youngest age must not be above the oldest.")
    return _programme_page(request, values, errors, status=400)


@router.get("/programmes/{code}/edit")
def programme_edit(
    request: Request, session: SessionDep, signed: Admin, code: ProgrammeCode
) -> Response:
    """The form to change a programme (its code never changes)."""
    row = programmes.get_programme(session, code)
    return _programme_page(request, _programme_values(row), row=row)


@router.post("/programmes/{code}/edit")
def programme_update(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm, code: ProgrammeCode
) -> Response:
    """Save the changes (refused in words when someone changed it meanwhile)."""
    _ = translator(request)
    row = programmes.get_programme(session, code)
    values, body = _posted_programme(form)
    values["code"] = row.code
    body.pop("code")
    data, errors = forms.parse(ProgrammeUpdate, body, _)
    if data is not None:
        try:
            programmes.update_programme(session, signed.principal, code, data, _version(form))
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _)
        except Conflict:
            errors.add("group_max", _("A trainer's accepted group is larger than this."))
            return _programme_page(request, values, errors, row=row, status=409)
        except PreconditionFailed:
            errors.add("form", _changed_meanwhile(_))
            current = programmes.get_programme(session, code)
            return _programme_page(
                request, _programme_values(current), errors, row=current, status=409
            )
        else:
            return see_other("/admin/programmes?done=saved")
    if "min_age" in errors.by_field and values["min_age"] and values["max_age"]:
        errors.by_field["min_age"] = _("The youngest age must not be above the oldest.")
    return _programme_page(request, values, errors, row=row, status=400)


# --- API keys -----------------------------------------------------------------------------


def _keys_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    refusal: str | None = None,
    status: int = 200,
) -> Response:
    rows, _cursor = keys.list_keys(session, PageParams(limit=MAX_LIMIT), revoked=None)
    return render(
        request,
        "admin/keys.html",
        {
            "rows": rows,
            "roles": role_names(translator(request)),
            "associations": association_names(session, signed),
            "refusal": refusal,
            "notice": request.query_params.get("done"),
        },
        status=status,
    )


@router.get("/keys")
def key_list(request: Request, session: SessionDep, signed: Admin) -> Response:
    """Every API key's metadata (never a secret)."""
    return _keys_page(request, session, signed)


_key_form = partial(scope_page, "admin/key_form.html", KEY_FIELDS)


@router.get("/keys/new")
def key_new(request: Request, session: SessionDep, signed: Admin) -> Response:
    """The form to create an API key."""
    values = {"name": "", "role": "association", "municipalities": [], "association_id": ""}
    return _key_form(request, session, signed, values)


@router.post("/keys/new")
def key_create(request: Request, session: SessionDep, signed: Admin, form: PostedForm) -> Response:
    """Create the key and show it, once."""
    values: dict[str, Any] = {"name": forms.text(form, "name"), **posted_scope(form)}
    body = {"name": values["name"], **scope_body(values, no_municipalities=None)}

    def made(data: ApiKeyCreate) -> Response:
        row, key = keys.create_key(session, signed.principal, data)
        return render(request, "admin/key_created.html", {"row": row, "key": key})

    return submit_scope_form(request, _key_form, session, signed, values, body, ApiKeyCreate, made)


@router.post("/keys/{key_id}/revoke")
def key_revoke(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm, key_id: IdPath
) -> Response:
    """Revoke the key; the last admin key is refused in words (the service's 409)."""
    _ = translator(request)
    try:
        keys.revoke_key(session, signed.principal, key_id)
    except Conflict:
        refusal = _(
            "This is the last active admin key. Create another admin key before you revoke it."
        )
        return _keys_page(request, session, signed, refusal=refusal, status=409)
    return see_other("/admin/keys?done=revoked")


# --- accounts -----------------------------------------------------------------------------


@router.post("/accounts/{account_id}/disable")
def account_disable(
    request: Request, session: SessionDep, signed: Admin, form: PostedForm, account_id: IdPath
) -> Response:
    """Disable the account: it cannot sign in, and its sessions end now."""
    try:
        accounts.disable_account(session, signed.principal, account_id)
    except Conflict:
        return see_other("/admin?done=own")
    return see_other("/admin?done=disabled")
