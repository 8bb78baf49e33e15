"""The volunteers' public sign-up page of an association (``/join/<token>``), no sign-in.

The association is named by its unguessable sign-up token, never by its id, so the links
cannot be enumerated. A volunteer gives what matching needs and how to reach them, and
consents to the processing; the form is validated by the API's own mentor schema and saved by
the mentors service (:func:`app.mentors.service.sign_up`) as an inactive mentor, and a
one-time link is mailed to them: once they confirm their address by it (``/join/confirm/…``,
a page with a button, so a mail scanner opening the link confirms nothing), the association
sees the sign-up on its mentors page and approves it. Against spam: posts are limited per
client address (``limits``), and a honeypot field that people never see answers a filled-in
form like success and writes nothing. Invalid input writes nothing either.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.associations import service as associations
from app.config import Settings
from app.db import SessionDep
from app.errors import Conflict, NotFound, ValidationFailed
from app.mentors import service as mentors
from app.mentors.schemas import MentorCreate
from app.models import Association
from app.web import choices, forms, i18n
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRoute,
    PostedForm,
    render,
    see_other,
    settings_of,
    translator,
)

log = logging.getLogger("makker.desk")
router = APIRouter(
    prefix="/join",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
SignupToken = Annotated[str, Path(min_length=20, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
ConfirmToken = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]
#: The honeypot: a field hidden from people (and labelled to leave it empty), filled by bots.
HONEYPOT = "website"
FIELDS = [
    *choices.VOLUNTEER_FIELDS,
    "programmes",
    "interests",
    "consent",
]


class SignUpLimiter:
    """Sign-ups posted per client address, in a moving window (in the process's memory)."""

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._limit = parse(settings.signup_limit_per_address)

    def hit(self, address: str) -> bool:
        """Count a post from ``address``; False when it is over the limit."""
        return self._limiter.hit(self._limit, "signup", address)


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _page(
    request: Request,
    session: Session,
    association: Association,
    values: dict[str, Any],
    errors: forms.FormErrors | None = None,
    status: int = 200,
) -> Response:
    _ = translator(request)
    context = choices.person_form(
        session,
        values,
        errors,
        FIELDS,
        municipalities=i18n.municipality_choices(),
        no_gender=_("I would rather not say"),
        gettext=_,
        lang=i18n.language_of(request),
    )
    context["association"] = association
    return render(request, "join.html", context, status=status)


@router.get("/confirm/{code}")
def confirm_page(request: Request, session: SessionDep, code: ConfirmToken) -> Response:
    """The confirmation link's page: a button that confirms (a GET only reads)."""
    row = mentors.signup_to_confirm(session, code, settings_of(request))
    if row is None:
        return render(request, "join_confirm.html", {"invalid": True}, status=404)
    association = session.get(Association, row.association_id)
    return render(request, "join_confirm.html", {"invalid": False, "association": association})


@router.post("/confirm/{code}")
def confirm(
    request: Request, session: SessionDep, form: PostedForm, code: ConfirmToken
) -> Response:
    """Confirm the volunteer's address (the link is used up): the association sees them now."""
    try:
        row = mentors.confirm_signup(session, code, settings_of(request))
    except NotFound:
        return render(request, "join_confirm.html", {"invalid": True}, status=404)
    association = session.get(Association, row.association_id)
    assert association is not None  # held by its mentor (RESTRICT)
    return see_other(f"/join/{association.signup_token}/confirmed")


@router.get("/{token}")
def join_page(request: Request, session: SessionDep, token: SignupToken) -> Response:
    """The sign-up form of the association the link names."""
    association = associations.by_signup_token(session, token)
    values: dict[str, Any] = {name: "" for name in FIELDS}
    values |= {"languages": [], "programmes": [], "consent": False}
    return _page(request, session, association, values)


def _posted(form: FormData) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    typed, languages, aliases = choices.posted_languages(form)
    names = ("first_name", "last_name", "email", "phone", "birth_year", "gender")
    values: dict[str, Any] = {name: forms.text(form, name) for name in names}
    values |= {
        "municipality": forms.text(form, "municipality"),
        "max_distance_km": forms.text(form, "max_distance_km"),
        "interests": forms.text(form, "interests"),
        "languages": typed,
        "programmes": forms.chosen(form, "programmes"),
        "consent": form.get("consent") == "yes",
    }
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
        "programmes": values["programmes"],
        "interests": [p.strip() for p in values["interests"].split(",") if p.strip()],
    }
    return values, body, aliases


@router.post("/{token}")
def sign_up(
    request: Request, session: SessionDep, form: PostedForm, token: SignupToken
) -> Response:
    """Register the volunteer as an inactive mentor, or show the errors (nothing written)."""
    _ = translator(request)
    association = associations.by_signup_token(session, token)
    limiter: SignUpLimiter = request.app.state.signup_limiter
    if not limiter.hit(_address(request)):
        log.warning("sign-up refused: too many from one address")
        return render(request, "join_limited.html", {}, status=429)
    if forms.text(form, HONEYPOT):
        log.info("sign-up caught by the honeypot")
        return see_other(f"/join/{token}/thanks")
    values, body, aliases = _posted(form)
    data, errors = forms.parse(MentorCreate, body, _, aliases=aliases)
    if choices.first_language_missing(body["languages"], values["languages"]):
        errors.by_field = {"languages_0": _("Choose the first language."), **errors.by_field}
        data = None
    if not values["email"] and "email" not in errors.by_field:
        errors.add("email", _("Enter your e-mail address, so the association can reach you."))
        data = None
    if not values["consent"]:
        errors.add(
            "consent", _("Tick the box to consent, or the association cannot use your sign-up.")
        )
        data = None
    if data is not None:
        try:
            mentors.sign_up(
                session,
                association.id,
                data,
                language=i18n.language_of(request),
                settings=settings_of(request),
            )
        except ValidationFailed as exc:
            errors = forms.service_errors(exc, _, aliases=aliases)
        except Conflict:
            errors.add("form", _("The association is no longer taking sign-ups."))
        else:
            return see_other(f"/join/{token}/thanks")
    return _page(request, session, association, values, errors, status=400)


@router.get("/{token}/thanks")
def thanks(request: Request, session: SessionDep, token: SignupToken) -> Response:
    """The answer to a sign-up (the same whether or not the honeypot caught it)."""
    association = associations.by_signup_token(session, token)
    hours = settings_of(request).signup_confirm_ttl_hours
    return render(request, "join_thanks.html", {"association": association, "hours": hours})


@router.get("/{token}/confirmed")
def confirmed(request: Request, session: SessionDep, token: SignupToken) -> Response:
    """The answer to a confirmation."""
    association = associations.by_signup_token(session, token)
    return render(request, "join_confirmed.html", {"association": association})
