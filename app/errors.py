"""One error hierarchy, rendered as RFC 9457 problem details by one set of handlers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from matching.errors import ProblemError

PROBLEM_JSON = "application/problem+json"
#: Seconds a client waits before retrying when the database is down or busy.
RETRY_AFTER_UNAVAILABLE = 5
log = logging.getLogger("makker.errors")


class AppError(Exception):
    """Base of every error the API answers with on purpose."""

    status: int = 400
    title: str = "Bad request"
    type: str = "about:blank"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers


class Unauthorized(AppError):
    status, title = 401, "Unauthorized"


class Forbidden(AppError):
    status, title = 403, "Forbidden"


class NotFound(AppError):
    status, title = 404, "Not found"


class Conflict(AppError):
    status, title = 409, "Conflict"


class Gone(AppError):
    status, title = 410, "Gone"


class PreconditionFailed(AppError):
    status, title = 412, "Precondition failed"


class TooManyRequests(AppError):
    status, title = 429, "Too many requests"


class PreconditionRequired(AppError):
    status, title = 428, "Precondition required"


class PayloadTooLarge(AppError):
    status, title = 413, "Payload too large"


class ValidationFailed(AppError):
    """A domain validation error; ``field`` names the offending field (dotted path)."""

    status, title = 422, "Validation failed"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[{"field": field, "message": message}])


class FieldError(BaseModel):
    """One invalid field of a request."""

    field: str
    message: str


class Problem(BaseModel):
    """An RFC 9457 problem-details body (``application/problem+json``)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None


PROBLEM_TITLES = {
    400: "Bad request",
    401: "Unauthorized: no API key, or one that is not valid",
    403: "Forbidden: the key's role or scope does not allow this",
    404: "Not found (or outside the key's scope)",
    409: "Conflict",
    410: "Gone: the record an Idempotency-Key created no longer exists",
    412: "Precondition failed: If-Match names a stale ETag",
    413: "Payload too large",
    422: "Validation failed; `errors` names each field",
    429: "Too many failed authentications from this address; retry after `Retry-After` seconds",
    503: "The database is unavailable or busy; retry after `Retry-After` seconds",
}
#: Every API route authenticates and reads the database, so it may answer these.
ALWAYS = (401, 429, 503)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem-details answers (401, 429 and 503
    always)."""
    ref = {"schema": {"$ref": "#/components/schemas/Problem"}}
    return {
        status: {
            "model": Problem,
            "description": PROBLEM_TITLES[status],
            "content": {PROBLEM_JSON: ref},
        }
        for status in sorted({*ALWAYS, *statuses})
    }


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    body["detail"] = detail
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field_of(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        parts = parts[1:] or parts
    return ".".join(parts)


#: Seconds a client is asked to wait when the service is saturated.
RETRY_AFTER_SECONDS = 1


def busy_response() -> JSONResponse:
    """503 with ``Retry-After``: no connection (or turn) came free in time."""
    return problem_response(
        503,
        "Service unavailable",
        "The service is busy; retry shortly",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem details."""

    @app.exception_handler(PoolTimeout)
    async def _pool_timeout(_request: Request, _exc: PoolTimeout) -> JSONResponse:
        return busy_response()

    @app.exception_handler(AppError)
    async def _app_error(_request: Request, exc: AppError) -> JSONResponse:
        return problem_response(
            exc.status, exc.title, exc.detail, errors=exc.errors, headers=exc.headers
        )

    @app.exception_handler(ProblemError)
    async def _matching_error(_request: Request, exc: ProblemError) -> JSONResponse:
        field = ".".join(p for p in (exc.record, exc.field) if p) or "problem"
        return problem_response(
            422, "Validation failed", str(exc), errors=[{"field": field, "message": str(exc)}]
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": _field_of(err.get("loc", ())),
                "message": str(err.get("msg", "invalid")).removeprefix("Value error, "),
            }
            for err in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem_response(422, "Validation failed", detail, errors=errors)

    @app.exception_handler(OperationalError)
    async def _database_unavailable(_request: Request, exc: OperationalError) -> JSONResponse:
        log.warning("database unavailable", extra={"error": type(exc.orig).__name__})
        return problem_response(
            503,
            "Service unavailable",
            "The database is unavailable or busy; try again shortly",
            headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, _exc: Exception) -> JSONResponse:
        # Only what escapes app.asgi.ServiceMiddleware (which logs) gets here;
        # Starlette re-raises it and the server logs it through app.logs.JsonFormatter.
        return problem_response(500, "Internal server error", "An unexpected error occurred")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {400: "Bad request", 404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "Error"
        )
        return problem_response(
            exc.status_code, title, str(exc.detail), headers=getattr(exc, "headers", None)
        )
