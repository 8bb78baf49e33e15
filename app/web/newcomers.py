"""The coordinator's newcomers: the list with search and filters, register, edit, erase with a
confirmation, and the export (download) of everything held about one newcomer.

Every read and write goes through :mod:`app.newcomers.service` (and the GDPR export through
:mod:`app.gdpr.service`) with the signed-in person's principal: the same scope, rules and
audit as the API. A newcomer outside the coordinator's municipalities is the 404 page.
A name search is posted, never put in the URL (names are personal data).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app import clock
from app.accounts.service import SignedIn
from app.db import SessionDep, writes
from app.domain import age_on
from app.errors import Forbidden, PreconditionFailed, ValidationFailed
from app.etag import etag_of
from app.gdpr import service as gdpr
from app.households import service as households
from app.matches import repository as matches_repository
from app.models import Newcomer
from app.newcomers import repository as newcomer_queries
from app.newcomers import service
from app.newcomers.schemas import NewcomerCreate, NewcomerUpdate
from app.pagination import PageParams
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
from app.web.proposals import states as match_states

router = APIRouter(
    prefix="/newcomers",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]

PAGE_SIZE = 25
FIELDS = [
    "first_name",
    "last_name",
    "municipality",
    "birth_date",
    "gender",
    "languages_0",
    "languages_1",
    "languages_2",
    "languages_3",
    "interests",
    "programmes",
    "mentor_gender",
    "max_distance_km",
    "lat",
    "lon",
    "active",
]


def _state_names(_: Callable[[str], str]) -> list[tuple[str, str]]:
    return [("waiting", _("Waiting")), ("proposed", _("Proposed")), ("matched", _("Matched"))]


# -- the list ------------------------------------------------------------------------------


def _list_page(
    request: Request,
    session: Session,
    signed: SignedIn,
    *,
    name: str | None,
    municipality: str | None,
    programme: str | None,
    state: str | None,
    cursor: str | None,
) -> Response:
    _ = translator(request)
    municipality = municipality if municipality in dict(i18n.municipality_choices()) else None
    state = state if state in newcomer_queries.STATES else None
    programmes = choices.all_programmes(session)
    programme = programme if programme in {p.code for p in programmes} else None
    rows, next_cursor = service.search_newcomers(
        session,
        signed.principal,
        PageParams(limit=PAGE_SIZE, cursor=cursor),
        name=name,
        municipality=municipality,
        programme=programme,
        state=state,
    )
    return render(
        request,
        "newcomers/list.html",
        {
            "rows": rows,
            "next_cursor": next_cursor,
            "filters": {
                "name": name or "",
                "municipality": municipality,
                "programme": programme,
                "state": state,
            },
            "first_page": cursor is None,
            "municipalities": choices.municipality_options(signed),
            "programmes": [(p.code, p.name) for p in programmes],
            "programme_names": {p.code: p.name for p in programmes},
            "states": _state_names(_),
            "notice": request.query_params.get("done"),
        },
    )


@router.get("")
@writes  # the reads are audited
def list_newcomers(
    request: Request,
    session: SessionDep,
    signed: Staff,
    municipality: Annotated[str | None, Query(max_length=3)] = None,
    programme: Annotated[str | None, Query(max_length=50)] = None,
    state: Annotated[str | None, Query(max_length=20)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The newcomers in scope, filtered by municipality, programme and state (not by name:
    a name is searched by posting the form, so it stays out of the URL)."""
    return _list_page(
        request,
        session,
        signed,
        name=None,
        municipality=municipality or None,
        programme=programme or None,
        state=state or None,
        cursor=cursor or None,
    )


@router.post("")
def search_newcomers(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm
) -> Response:
    """The list searched by name (and filtered), posted so the name stays out of the URL."""
    return _list_page(
        request,
        session,
        signed,
        name=forms.optional(form, "name"),
        municipality=forms.optional(form, "municipality"),
        programme=forms.optional(form, "programme"),
        state=forms.optional(form, "state"),
        cursor=forms.optional(form, "cursor"),
    )


# -- the register and edit form ------------------------------------------------------------


def _values_of(row: Newcomer) -> dict[str, Any]:
    """A stored newcomer as the form shows it."""
    return {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "municipality": row.municipality,
        "birth_date": row.birth_date.isoformat() if row.birth_date else "",
        "gender": row.gender or "",
        "languages": list(row.languages),
        "interests": ", ".join(row.interests),
        "programmes": list(row.programmes),
        "mentor_gender": row.mentor_gender or "",
        "max_distance_km": _number(row.max_distance_km),
        "lat": _number(row.lat),
        "lon": _number(row.lon),
        "active": row.active,
    }


def _number(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def _posted(
    form: FormData, *, editing: bool
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    """What the person typed (kept for the page), the schema body, and the schema's error
    locations mapped to form fields."""
    typed_languages, languages, aliases = choices.posted_languages(form)
    interests = [part.strip() for part in forms.text(form, "interests").split(",") if part.strip()]
    values: dict[str, Any] = {
        "first_name": forms.text(form, "first_name"),
        "last_name": forms.text(form, "last_name"),
        "municipality": forms.text(form, "municipality"),
        "birth_date": forms.text(form, "birth_date"),
        "gender": forms.text(form, "gender"),
        "languages": typed_languages,
        "interests": forms.text(form, "interests"),
        "programmes": forms.chosen(form, "programmes"),
        "mentor_gender": forms.text(form, "mentor_gender"),
        "max_distance_km": forms.text(form, "max_distance_km"),
        "lat": forms.text(form, "lat"),
        "lon": forms.text(form, "lon"),
        "active": form.get("active") == "yes" if editing else True,
    }
    body: dict[str, Any] = {
        "first_name": values["first_name"],
        "last_name": values["last_name"],
        "municipality": values["municipality"],
        "languages": languages,
        "interests": interests,
        "programmes": values["programmes"],
        "birth_date": values["birth_date"] or None,
        "gender": values["gender"] or None,
        "mentor_gender": values["mentor_gender"] or None,
        "max_distance_km": forms.number(values["max_distance_km"]),
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
    row: Newcomer | None = None,
    version: int | None = None,
    status: int = 200,
) -> Response:
    _ = translator(request)
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
    context |= {
        "row": row,
        "version": version,
        "mentor_genders": choices.gender_options(_, _("No wish")),
    }
    return render(request, "newcomers/form.html", context, status=status)


def _empty_values(signed: SignedIn) -> dict[str, Any]:
    own = signed.principal.municipalities
    return {
        "first_name": "",
        "last_name": "",
        "municipality": own[0] if len(own) == 1 else "",
        "birth_date": "",
        "gender": "",
        "languages": [],
        "interests": "",
        "programmes": [],
        "mentor_gender": "",
        "max_distance_km": "",
        "lat": "",
        "lon": "",
        "active": True,
    }


@router.get("/new")
def new_newcomer(request: Request, session: SessionDep, signed: Staff) -> Response:
    """The form to register a newcomer."""
    return _form_page(request, session, signed, values=_empty_values(signed))


@router.post("/new")
def create_newcomer(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm
) -> Response:
    """Register the newcomer, or show the form again with the errors (nothing written)."""
    _ = translator(request)
    values, body, aliases = _posted(form, editing=False)
    data, errors = forms.parse(NewcomerCreate, body, _, aliases=aliases)
    if choices.first_language_missing(body["languages"], values["languages"]):
        errors.by_field = {"languages_0": _("Choose the first language."), **errors.by_field}
        data = None
    if data is not None:
        try:
            row = service.create_newcomer(session, signed.principal, data)
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _, aliases=aliases)
        except Forbidden:
            errors.add("municipality", _("You may register newcomers only in your municipalities."))
        else:
            return see_other(f"/newcomers/{row.id}?done=created")
    return _form_page(request, session, signed, values=values, errors=errors, status=400)


@router.get("/{newcomer_id}")
@writes  # the reads are audited
def show_newcomer(
    request: Request, session: SessionDep, signed: Staff, newcomer_id: IdPath
) -> Response:
    """One newcomer (audited as a read)."""
    row = service.get_newcomer(session, signed.principal, newcomer_id)
    _ = translator(request)
    programmes = {p.code: p.name for p in choices.all_programmes(session)}
    household = households.desk_view(session, signed.principal, row.id)
    mentors = matches_repository.mentors_by_id(
        session, {m.mentor_id for m in household.matches} if household else set()
    )
    return render(
        request,
        "newcomers/detail.html",
        {
            "row": row,
            "household": household,
            "household_mentors": mentors,
            "statuses": match_states(_),
            "ages": {
                m.newcomer_id: age_on(m.row.birth_date, clock.today())
                for m in (household.members if household else [])
                if m.row is not None and m.row.birth_date is not None
            },
            "genders": choices.gender_names(_),
            "programme_names": programmes,
            "notice": request.query_params.get("done"),
        },
    )


@router.get("/{newcomer_id}/edit")
@writes  # the reads are audited
def edit_newcomer(
    request: Request, session: SessionDep, signed: Staff, newcomer_id: IdPath
) -> Response:
    """The form to change a newcomer, filled in."""
    row = service.get_newcomer(session, signed.principal, newcomer_id)
    return _form_page(
        request, session, signed, values=_values_of(row), row=row, version=row.version
    )


def _version(form: FormData) -> str | None:
    typed = forms.text(form, "version")
    return etag_of(int(typed)) if typed.isdigit() and len(typed) < 10 else None


@router.post("/{newcomer_id}/edit")
def update_newcomer(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, newcomer_id: IdPath
) -> Response:
    """Save the changes (refused in words when someone changed the record meanwhile)."""
    _ = translator(request)
    row = service.get_newcomer(session, signed.principal, newcomer_id)
    values, body, aliases = _posted(form, editing=True)
    data, errors = forms.parse(NewcomerUpdate, body, _, aliases=aliases)
    if choices.first_language_missing(body["languages"], values["languages"]):
        errors.by_field = {"languages_0": _("Choose the first language."), **errors.by_field}
        data = None
    version = row.version
    if data is not None:
        try:
            service.update_newcomer(session, signed.principal, newcomer_id, data, _version(form))
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _, aliases=aliases)
        except Forbidden:
            errors.add("municipality", _("You may move newcomers only to your municipalities."))
        except PreconditionFailed:
            errors.add(
                "form",
                _(
                    "Someone else changed this newcomer after you opened the form. "
                    "The form now shows the record as it is; make your changes again."
                ),
            )
            current = service.get_newcomer(session, signed.principal, newcomer_id)
            return _form_page(
                request,
                session,
                signed,
                values=_values_of(current),
                errors=errors,
                row=current,
                version=current.version,
                status=409,
            )
        else:
            return see_other(f"/newcomers/{newcomer_id}?done=saved")
    return _form_page(
        request,
        session,
        signed,
        values=values,
        errors=errors,
        row=row,
        version=version,
        status=400,
    )


# -- erase and export ----------------------------------------------------------------------


@router.get("/{newcomer_id}/erase")
@writes  # the reads are audited
def confirm_erase(
    request: Request, session: SessionDep, signed: Staff, newcomer_id: IdPath
) -> Response:
    """Ask before erasing for good."""
    row = service.get_newcomer(session, signed.principal, newcomer_id)
    return render(request, "newcomers/erase.html", {"row": row})


@router.post("/{newcomer_id}/erase")
def erase_newcomer(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, newcomer_id: IdPath
) -> Response:
    """Erase the newcomer and everything held about them (GDPR art. 17)."""
    service.delete_newcomer(session, signed.principal, newcomer_id, _version(form))
    return see_other("/newcomers?done=erased")


@router.get("/{newcomer_id}/export")
@writes  # the reads are audited
def export_newcomer(
    request: Request, session: SessionDep, signed: Staff, newcomer_id: IdPath
) -> Response:
    """Everything held about the newcomer, as the API's export, to download (audited)."""
    row = newcomer_queries.get_scoped(session, signed.principal, newcomer_id)
    document = gdpr.export_newcomer(session, signed.principal, row)
    body = json.dumps(document.model_dump(mode="json"), ensure_ascii=False, indent=2)
    return Response(
        body,
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="newcomer-{newcomer_id}.json"'},
    )
