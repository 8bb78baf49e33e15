"""What every desk page shares: rendering, who is signed in, CSRF, and errors as pages.

Desk routes use :class:`DeskRoute`, which turns the services' errors into HTML pages (a record
outside the caller's scope is the 404 page, exactly as the API answers 404), sends a person who
is not signed in to the sign-in page, and marks every page ``Cache-Control: no-store``.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import FormData

from app.accounts.service import SignedIn, csrf_matches, resume_session
from app.auth import Role
from app.config import Settings
from app.db import SessionDep
from app.errors import AppError, Forbidden, NotFound
from app.web import i18n

log = logging.getLogger("makker.desk")

SESSION_COOKIE = "makker_session"
#: A random value tying the CSRF token of forms shown before sign-in to this browser.
PRE_SESSION_COOKIE = "makker_pre"
CSRF_FIELD = "csrf_token"

_TEMPLATES = Path(__file__).resolve().parent / "templates"


def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(_TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    return env


templates = Jinja2Templates(env=_environment())


class SignInRequired(Exception):
    """No live session: the person is sent to the sign-in page."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("sign-in required")
        self.expired = expired


class CsrfRefused(Exception):
    """A form arrived without this browser's CSRF token."""


def settings_of(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def secure_cookies(request: Request) -> bool:
    """Whether cookies get the Secure flag: on HTTPS, or when the settings say so."""
    return request.url.scheme == "https" or settings_of(request).cookie_secure


def optional_user(request: Request, session: SessionDep) -> SignedIn | None:
    """The signed-in person, or None (a stale cookie is noted for the sign-in page)."""
    token = request.cookies.get(SESSION_COOKIE)
    signed = resume_session(session, token, settings_of(request)) if token else None
    request.state.signed_in = signed
    request.state.session_expired = token is not None and signed is None
    if signed is not None:
        request.state.principal = signed.principal
    return signed


OptionalUser = Annotated[SignedIn | None, Depends(optional_user)]
#: Every desk router resolves the session first, so each page's forms carry the right token.
DESK_DEPENDENCIES = [Depends(optional_user)]


def current_user(request: Request, signed: OptionalUser) -> SignedIn:
    """The signed-in person; anyone else is sent to sign in."""
    if signed is None:
        raise SignInRequired(expired=request.state.session_expired)
    return signed


CurrentUser = Annotated[SignedIn, Depends(current_user)]


class DeskRole:
    """A page dependency admitting only the given roles (others see the 403 page)."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(self, signed: CurrentUser) -> SignedIn:
        if signed.account.role not in self.roles:
            raise Forbidden("This page is not for your role")
        return signed


def _pre_session_token(request: Request, value: str) -> str:
    secret: bytes = request.app.state.desk_secret
    return hmac.new(secret, value.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token this page's forms carry: the session's, or one tied to the pre-session cookie."""
    signed: SignedIn | None = getattr(request.state, "signed_in", None)
    if signed is not None:
        return signed.row.csrf_token
    value = request.cookies.get(PRE_SESSION_COOKIE) or getattr(request.state, "new_pre", None)
    if value is None:
        value = secrets.token_urlsafe(32)
        request.state.new_pre = value  # set on the response by render()
    return _pre_session_token(request, value)


async def checked_form(request: Request, signed: OptionalUser) -> FormData:
    """The posted form, once its CSRF token is this browser's (403 page otherwise)."""
    form = await request.form()
    presented = form.get(CSRF_FIELD)
    presented = presented if isinstance(presented, str) else None
    if signed is not None:
        expected = signed.row.csrf_token
    else:
        pre = request.cookies.get(PRE_SESSION_COOKIE)
        if pre is None:
            raise CsrfRefused
        expected = _pre_session_token(request, pre)
    if not csrf_matches(expected, presented):
        raise CsrfRefused
    return form


PostedForm = Annotated[FormData, Depends(checked_form)]


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """A page in the visitor's language, with the CSRF token and who is signed in."""
    lang = i18n.language_of(request)
    translations = i18n.translations(lang)
    token = i18n.current.set(translations)
    try:
        values: dict[str, Any] = {
            "lang": lang,
            "csrf_token": csrf_token(request),
            "signed_in": getattr(request.state, "signed_in", None),
            "assets": request.app.state.desk_assets,
            "path": request.url.path,
            "language_name": lambda code: i18n.language_name(code, lang),
            "municipality_name": i18n.municipality_name,
        }
        values.update(context or {})
        body = templates.get_template(template).render({"request": request, **values})
    finally:
        i18n.current.reset(token)
    response = HTMLResponse(body, status_code=status)
    new_pre = getattr(request.state, "new_pre", None)
    if new_pre is not None:
        response.set_cookie(
            PRE_SESSION_COOKIE,
            new_pre,
            httponly=True,
            samesite="lax",
            secure=secure_cookies(request),
        )
    return response


def translator(request: Request) -> Callable[[str], str]:
    """``gettext`` in the visitor's language, for messages made in Python."""
    return i18n.translations(i18n.language_of(request)).gettext


def see_other(url: str) -> RedirectResponse:
    """The redirect of POST-redirect-GET."""
    return RedirectResponse(url, status_code=303)


def error_page(request: Request, status: int) -> HTMLResponse:
    """The page for an error status (no detail that could name a person)."""
    return render(request, "error.html", {"status": status}, status=status)


class DeskRoute(APIRoute):
    """A desk route: errors become pages, a missing session the sign-in page."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def desk_handler(request: Request) -> Response:
            try:
                response = await handler(request)
            except SignInRequired as exc:
                return see_other("/signin?expired=1" if exc.expired else "/signin")
            except CsrfRefused:
                response = error_page(request, 403)
            except (NotFound, RequestValidationError):
                response = error_page(request, 404)
            except AppError as exc:
                response = error_page(request, exc.status)
            except Exception:
                log.exception("desk page failed")
                response = error_page(request, 500)
            response.headers.setdefault("Cache-Control", "no-store")
            return response

        return desk_handler
