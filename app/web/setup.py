"""Mount the desk on the application: its pages, its static files, its security headers."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from app.accounts.service import SignInLimiter
from app.config import Settings

_STATIC = Path(__file__).resolve().parent / "static"
_ROOT = Path(__file__).resolve().parents[2]

#: No inline script or style, nothing from elsewhere, never in a frame.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]
#: The API's own documentation pages load Swagger UI and ReDoc from their CDN.
_NO_CSP = ("/docs", "/redoc")


_CSP = (b"content-security-policy", CONTENT_SECURITY_POLICY.encode())


def with_security_headers(
    headers: list[tuple[bytes, bytes]], path: str
) -> list[tuple[bytes, bytes]]:
    """``headers`` of a response to ``path`` with the security headers it lacks added (the
    CSP on all but the API docs), as a new list. The app's middleware (:mod:`app.asgi`) adds
    them to every response of the app."""
    present = {name.lower() for name, _ in headers}
    added = [(n, v) for n, v in _HEADERS if n not in present]
    if not path.startswith(_NO_CSP) and b"content-security-policy" not in present:
        added.append(_CSP)
    return [*headers, *added]


def _assets_dir(settings: Settings) -> Path:
    configured = Path(settings.desk_assets_dir)
    return configured if configured.is_absolute() else _ROOT / configured


def install_desk(app: FastAPI, settings: Settings) -> None:
    """Register the desk's pages and static files on ``app`` (after the API's routes)."""
    from app.web import (
        admin,
        admin_records,
        auth,
        by_hand,
        followups,
        imports,
        join,
        landing,
        matches,
        mentors,
        newcomers,
        overview,
        proposals,
        runs,
    )

    app.state.desk_secret = (
        settings.secret_key.encode() if settings.secret_key else secrets.token_bytes(32)
    )
    app.state.signin_limiter = SignInLimiter(settings)
    app.state.signup_limiter = join.SignUpLimiter(settings)
    dkfds = _assets_dir(settings) / "dkfds" / "dist"
    app.state.desk_assets = {"dkfds": (dkfds / "css" / "dkfds.min.css").is_file()}
    app.mount("/static/desk", StaticFiles(directory=_STATIC), name="desk-static")
    if app.state.desk_assets["dkfds"]:
        app.mount("/static/dkfds", StaticFiles(directory=dkfds), name="dkfds")
    for router in (
        auth.router,
        admin.router,
        admin_records.router,
        landing.router,
        newcomers.router,
        proposals.router,
        followups.router,  # /matches/{id}/check-in before the matches' own pages
        by_hand.router,
        runs.router,
        overview.router,
        imports.router,
        matches.router,
        mentors.router,
        join.router,
    ):
        app.include_router(router)
