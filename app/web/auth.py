"""Signing in and out, one-time links (invitation, password reset), the language switch, and
the landing page of each role."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response

from app.accounts import service
from app.accounts.schemas import MAX_PASSWORD, MIN_PASSWORD, NewPassword, SignIn
from app.db import SessionDep
from app.web import forms, i18n
from app.web.pages import (
    DESK_DEPENDENCIES,
    SESSION_COOKIE,
    CurrentUser,
    DeskRoute,
    OptionalUser,
    PostedForm,
    render,
    secure_cookies,
    see_other,
    settings_of,
    translator,
)

log = logging.getLogger("makker.desk")
router = APIRouter(route_class=DeskRoute, include_in_schema=False, dependencies=DESK_DEPENDENCIES)

#: Where each role lands after signing in.
LANDING = {"admin": "/admin", "coordinator": "/newcomers", "association": "/association"}
LinkToken = Annotated[str, Path(min_length=20, max_length=100, pattern=r"^[A-Za-z0-9_-]+$")]


def _client_address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def _local(path: str | None) -> str | None:
    """A safe place to go back to: a path on this site only."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path:
        return path
    return None


@router.get("/")
def home(signed: OptionalUser) -> Response:
    """The front page: the role's landing page, or the sign-in page."""
    if signed is None:
        return see_other("/signin")
    return see_other(LANDING[signed.account.role])


@router.get("/signin")
def signin_page(request: Request, signed: OptionalUser, expired: bool = False) -> Response:
    """The sign-in form."""
    if signed is not None:
        return see_other(LANDING[signed.account.role])
    return render(request, "signin.html", {"errors": {}, "summary": [], "expired": expired})


@router.post("/signin")
def signin(request: Request, session: SessionDep, form: PostedForm) -> Response:
    """Check the address and password; a failure counts against the address and the account."""
    _ = translator(request)
    email = forms.text(form, "email")
    limiter: service.SignInLimiter = request.app.state.signin_limiter
    address = _client_address(request)
    if not limiter.allowed(address, email):
        log.warning("sign-in refused: too many failed attempts")
        return render(request, "signin.html", _signin_failure(email, _, limited=True), 429)
    data, errors = forms.parse(SignIn, {"email": email, "password": form.get("password") or ""}, _)
    account = service.check_password(session, data.email, data.password) if data else None
    if account is None:
        if data is not None:
            limiter.failed(address, email)
            log.info("sign-in failed")
        return render(request, "signin.html", _signin_failure(email, _, errors=errors), 400)
    _row, token = service.start_session(session, account, settings_of(request))
    response = see_other(LANDING[account.role])
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=settings_of(request).session_max_hours * 3600,
    )
    return response


def _signin_failure(
    email: str,
    gettext: Callable[[str], str],
    *,
    limited: bool = False,
    errors: forms.FormErrors | None = None,
) -> dict[str, object]:
    if limited:
        message = gettext("Too many failed attempts. Wait a quarter of an hour and try again.")
        by_field = {"email": message}
    elif errors:
        by_field = errors.by_field
    else:
        by_field = {"email": gettext("The e-mail address or the password is not right.")}
    return {
        "errors": by_field,
        "summary": list(by_field.items()),
        "email": email,
        "expired": False,
    }


@router.post("/signout")
def signout(session: SessionDep, signed: CurrentUser, form: PostedForm) -> Response:
    """End the session (audited) and forget the cookie."""
    service.end_session(session, signed)
    response = see_other("/signin")
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language")
def choose_language(
    request: Request, session: SessionDep, signed: OptionalUser, form: PostedForm
) -> Response:
    """Remember the chosen page language and go back to the page. Signed in, it is also the
    account's own language: the notifications it receives (the digests, the follow-up
    reminders) are written in it."""
    lang = forms.text(form, "lang")
    response = see_other(_local(forms.text(form, "next")) or "/")
    if lang in i18n.LANGUAGES:
        if signed is not None:
            service.set_language(session, signed.account, lang)
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            lang,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
        )
    return response


def _link_page(request: Request, purpose: str, status: int = 200, **extra: object) -> HTMLResponse:
    context: dict[str, object] = {
        "purpose": purpose,
        "errors": {},
        "summary": [],
        "min_password": MIN_PASSWORD,
        "max_password": MAX_PASSWORD,
    }
    context.update(extra)
    return render(request, "link_password.html", context, status)


def _link_form(request: Request, session: SessionDep, token: str, purpose: str) -> Response:
    if service.valid_link(session, token, purpose, lock=False) is None:  # a GET only reads
        return _link_page(request, purpose, 404, invalid=True)
    return _link_page(request, purpose)


def _redeem(
    request: Request, session: SessionDep, form: PostedForm, token: str, purpose: str
) -> Response:
    _ = translator(request)
    link = service.valid_link(session, token, purpose)
    if link is None:
        return _link_page(request, purpose, 404, invalid=True)
    password = form.get("password") if isinstance(form.get("password"), str) else ""
    data, errors = forms.parse(NewPassword, {"password": password}, _)
    if data is not None and password != form.get("password_again"):
        errors.add("password_again", _("The two passwords are not the same."))
    if data is None or errors:
        if "password" in errors.by_field:
            errors.by_field["password"] = _("Choose a password of at least 10 characters.")
        summary = errors.ordered(["password", "password_again"])
        return _link_page(request, purpose, 400, errors=errors.by_field, summary=summary)
    account = service.redeem_link(session, link, data.password)
    _row, session_token = service.start_session(session, account, settings_of(request))
    response = see_other(LANDING[account.role])
    response.set_cookie(
        SESSION_COOKIE,
        session_token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=settings_of(request).session_max_hours * 3600,
    )
    return response


@router.get("/invitation/{token}")
def invitation_page(request: Request, session: SessionDep, token: LinkToken) -> Response:
    """Choose the first password through an invitation link."""
    return _link_form(request, session, token, service.INVITE)


@router.post("/invitation/{token}")
def accept_invitation(
    request: Request, session: SessionDep, form: PostedForm, token: LinkToken
) -> Response:
    """Set the password (the link is used up) and sign in."""
    return _redeem(request, session, form, token, service.INVITE)


@router.get("/reset/{token}")
def reset_page(request: Request, session: SessionDep, token: LinkToken) -> Response:
    """Choose a new password through a reset link."""
    return _link_form(request, session, token, service.RESET)


@router.post("/reset/{token}")
def reset_password(
    request: Request, session: SessionDep, form: PostedForm, token: LinkToken
) -> Response:
    """Set the new password (the link is used up, other sessions end) and sign in."""
    return _redeem(request, session, form, token, service.RESET)
