"""An association's mentors: the list, register, edit, and deactivate (a mentor who stops
is set inactive, keeping their matches' history), on :mod:`app.mentors.service` with the
association's principal — its own mentors only; another association's mentor is a 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.service import SignedIn
from app.db import SessionDep
from app.domain import GENDERS
from app.errors import Conflict, Forbidden, PreconditionFailed, ValidationFailed
from app.etag import etag_of
from app.matches import service as matches
from app.mentors import service
from app.mentors.schemas import MentorCreate, MentorUpdate
from app.models import MatchStatus, Mentor
from app.pagination import MAX_LIMIT, PageParams
from app.resources import IdPath
from app.web import choices, forms, i18n
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    see_other,
    translator,
)
from app.web.proposals import states

router = APIRouter(
    prefix="/mentors",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Association = Annotated[SignedIn, Depends(DeskRole("association"))]
PAGE_SIZE = 25
FIELDS = [
    *choices.VOLUNTEER_FIELDS,
    "capacity",
    "programmes",
    "interests",
    "accepts_genders",
    "child_certificate",
    "lat",
    "lon",
    "active",
]


@router.get("")
def list_mentors(
    request: Request,
    session: SessionDep,
    signed: Association,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
    pending_cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The association's confirmed sign-ups awaiting approval and its mentors, each paged by id."""
    pending, next_pending = service.pending_signups(
        session, signed.principal, PageParams(limit=PAGE_SIZE, cursor=pending_cursor or None)
    )
    rows, next_cursor = service.list_mentors(
        session,
        signed.principal,
        PageParams(limit=PAGE_SIZE, cursor=cursor or None),
        association_id=None,
        municipality=None,
        active=None,
    )
    everything = choices.all_programmes(session)
    programmes = {p.code: p.name for p in everything}
    return render(
        request,
        "mentors/list.html",
        {
            "pending": pending,
            "next_pending": next_pending,
            "pending_cursor": pending_cursor,
            "rows": rows,
            "next_cursor": next_cursor,
            "cursor": cursor,
            "programme_names": programmes,
            "group_codes": {p.code for p in everything if p.unit == "group"},
            "notice": request.query_params.get("done"),
        },
    )


@router.post("/{mentor_id}/approve")
def approve_mentor(
    request: Request, session: SessionDep, signed: Association, form: PostedForm, mentor_id: IdPath
) -> Response:
    """Approve a volunteer's sign-up: the mentor becomes active (audited by the service)."""
    typed = forms.text(form, "version")
    version = etag_of(int(typed)) if typed.isdigit() and len(typed) < 10 else None
    try:
        service.approve_signup(session, signed.principal, mentor_id, version)
    except (Conflict, PreconditionFailed):
        return see_other("/mentors?done=stale")
    return see_other("/mentors?done=approved")


def _values_of(row: Mentor) -> dict[str, Any]:
    return {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "email": row.email or "",
        "phone": row.phone or "",
        "birth_year": str(row.birth_year) if row.birth_year else "",
        "gender": row.gender or "",
        "languages": list(row.languages),
        "municipality": row.municipality,
        "max_distance_km": _number(row.max_distance_km),
        "capacity": str(row.capacity),
        "programmes": list(row.programmes),
        "interests": ", ".join(row.interests),
        "accepts_genders": list(row.accepts_genders or []),
        "child_certificate": row.child_certificate,
        "lat": _number(row.lat),
        "lon": _number(row.lon),
        "active": row.active,
    }


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _posted(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    typed, languages, aliases = choices.posted_languages(form)
    values: dict[str, Any] = {
        name: forms.text(form, name)
        for name in (
            "first_name",
            "last_name",
            "email",
            "phone",
            "birth_year",
            "gender",
            "municipality",
            "max_distance_km",
            "capacity",
            "interests",
            "lat",
            "lon",
        )
    }
    values |= {
        "languages": typed,
        "programmes": forms.chosen(form, "programmes"),
        "accepts_genders": forms.chosen(form, "accepts_genders"),
        "child_certificate": form.get("child_certificate") == "yes",
        "active": form.get("active") == "yes",
    }
    interests = [part.strip() for part in values["interests"].split(",") if part.strip()]
    body: dict[str, Any] = {
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "email": values["email"] or None,
        "phone": values["phone"] or None,
        "birth_year": forms.whole(values["birth_year"]),
        "gender": values["gender"] or None,
        "languages": languages,
        "municipality": values["municipality"],
        "max_distance_km": forms.number(values["max_distance_km"]),
        "capacity": forms.whole(values["capacity"]) if values["capacity"] else 1,
        "programmes": values["programmes"],
        "interests": interests,
        "accepts_genders": values["accepts_genders"] or None,
        "child_certificate": values["child_certificate"],
        "lat": forms.number(values["lat"]),
        "lon": forms.number(values["lon"]),
        "active": values["active"],
    }
    return values, body, aliases


def _form_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    *,
    values: dict[str, Any],
    errors: forms.FormErrors | None = None,
    row: Mentor | None = None,
    status: int = 200,
) -> Response:
    _ = translator(request)
    genders = choices.gender_names(_)
    context = choices.person_form(
        session,
        values,
        errors,
        FIELDS,
        municipalities=choices.municipality_options(signed),
        no_gender=_("Not given"),
        gettext=_,
        lang=i18n.language_of(request),
    )
    context |= {"row": row, "accepts": [(g, genders[g], "") for g in GENDERS]}
    return render(request, "mentors/form.html", context, status=status)


@router.get("/new")
def new_mentor(request: Request, session: SessionDep, signed: Association) -> Response:
    """The form to register a mentor."""
    values: dict[str, Any] = {name: "" for name in FIELDS}
    values |= {
        "languages": [],
        "programmes": [],
        "accepts_genders": [],
        "capacity": "1",
        "child_certificate": False,
        "active": True,
    }
    return _form_page(request, session, signed, values=values)


def _parse(
    request: Request, form: FormData, schema: type[MentorCreate] | type[MentorUpdate]
) -> tuple[Any, forms.FormErrors, dict[str, Any], dict[str, str]]:
    _ = translator(request)
    values, body, aliases = _posted(form)
    data, errors = forms.parse(schema, body, _, aliases=aliases)
    if choices.first_language_missing(body["languages"], values["languages"]):
        errors.by_field = {"languages_0": _("Choose the first language."), **errors.by_field}
        data = None
    return data, errors, values, aliases


@router.post("/new")
def create_mentor(
    request: Request, session: SessionDep, signed: Association, form: PostedForm
) -> Response:
    """Register the mentor, or show the form again with the errors (nothing written)."""
    _ = translator(request)
    data, errors, values, aliases = _parse(request, form, MentorCreate)
    if data is not None:
        try:
            service.create_mentor(session, signed.principal, data)
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _, aliases=aliases)
        else:
            return see_other("/mentors?done=created")
    return _form_page(request, session, signed, values=values, errors=errors, status=400)


@router.get("/{mentor_id}/groups")
def trainer_groups(
    request: Request, session: SessionDep, signed: Association, mentor_id: IdPath
) -> Response:
    """The groups a trainer leads: per group programme its size, bounds and participants,
    each shown only as the API's association view of a match shows a newcomer (audited)."""
    row = service.get_mentor(session, signed.principal, mentor_id)
    groups = []
    for programme in choices.all_programmes(session):
        if programme.unit != "group":
            continue
        live: list[Any] = []
        for status in (MatchStatus.ACCEPTED, MatchStatus.PROPOSED):
            page = matches.list_matches(
                session,
                signed.principal,
                PageParams(limit=MAX_LIMIT),
                status=status,
                mentor_id=row.id,
                programme=programme.code,
            )
            live += page.items
        if programme.code not in row.programmes and not live:
            continue
        groups.append(
            {
                "programme": programme,
                "participants": sorted(live, key=lambda m: m.id),
                "accepted": sum(1 for m in live if m.status == MatchStatus.ACCEPTED),
            }
        )
    return render(
        request,
        "mentors/groups.html",
        {"row": row, "groups": groups, "states": states(translator(request))},
    )


@router.get("/{mentor_id}/edit")
def edit_mentor(
    request: Request, session: SessionDep, signed: Association, mentor_id: IdPath
) -> Response:
    """The form to change a mentor (or deactivate them), filled in."""
    row = service.get_mentor(session, signed.principal, mentor_id)
    return _form_page(request, session, signed, values=_values_of(row), row=row)


@router.post("/{mentor_id}/edit")
def update_mentor(
    request: Request, session: SessionDep, signed: Association, form: PostedForm, mentor_id: IdPath
) -> Response:
    """Save the changes (refused in words when someone changed the mentor meanwhile)."""
    _ = translator(request)
    row = service.get_mentor(session, signed.principal, mentor_id)
    data, errors, values, aliases = _parse(request, form, MentorUpdate)
    typed = forms.text(form, "version")
    version = etag_of(int(typed)) if typed.isdigit() and len(typed) < 10 else None
    if data is not None:
        try:
            service.update_mentor(session, signed.principal, mentor_id, data, version)
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _, aliases=aliases)
        except Forbidden:
            errors.add("form", _("You may change only your association's mentors."))
        except PreconditionFailed:
            errors.add(
                "form",
                _(
                    "Someone else changed this mentor after you opened the form. "
                    "The form now shows the mentor as they are; make your changes again."
                ),
            )
            current = service.get_mentor(session, signed.principal, mentor_id)
            return _form_page(
                request,
                session,
                signed,
                values=_values_of(current),
                errors=errors,
                row=current,
                status=409,
            )
        else:
            return see_other("/mentors?done=saved")
    return _form_page(request, session, signed, values=values, errors=errors, row=row, status=400)
