"""Mount the desk on the application: its pages, its static files, its security headers."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


class SecurityHeadersMiddleware:
    """Add the security headers to every response (the CSP to all but the API docs)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_csp = not scope["path"].startswith(_NO_CSP)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                added = [(n, v) for n, v in _HEADERS if n not in present]
                if with_csp and b"content-security-policy" not in present:
                    added.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = [*message.get("headers", []), *added]
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
    app.add_middleware(SecurityHeadersMiddleware)
