"""ASGI middleware: request ids with an access log line, unexpected errors as a 500 logged
without their message, the request body limit, and the refusal of NUL characters."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import problem_response
from app.logs import current_request_id, reset_request_id, set_request_id

log = logging.getLogger("makker.access")
error_log = logging.getLogger("makker.errors")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: :func:`route_template` of a request no route took.
NO_ROUTE = "(no route)"


class RequestIdMiddleware:
    """Give every request an id (``X-Request-ID``), echo it, and log one line per request.

    Only the method, the route's path template (``/api/v1/newcomers/{newcomer_id}``), status and
    duration are logged: a client can put anything, a name too, into a concrete path or a
    query string, so neither is logged.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
            reset_request_id(token)


def route_template(scope: Scope) -> str:
    """The path template of the route that served ``scope`` (``/api/v1/newcomers/{newcomer_id}``).

    The router records the matched route in the scope; its template lacks the prefix of an
    included router, which is the literal front of the concrete path the route's regex does
    not cover.
    """
    route = scope.get("route")
    template, pattern = getattr(route, "path", None), getattr(route, "path_regex", None)
    if not isinstance(template, str) or pattern is None:
        return NO_ROUTE
    path: str = scope["path"]
    for cut in range(len(path) + 1):
        if (cut == 0 or path[cut] == "/") and pattern.match(path[cut:]):
            return path[:cut] + template
    return template


class UnexpectedErrorMiddleware:
    """Answer an unexpected exception with a 500 problem and log it once, by class and
    location (``app.logs.describe_exception``), with the request id.

    Caught here rather than left to the server: Starlette re-raises every unhandled error to
    the server, which would log it a second time, outside the request's context.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            error_log.exception(
                "unexpected error",
                extra={"path": route_template(scope), "request_id": current_request_id()},
            )
            if started:  # part of an answer is out: the connection just ends
                return
            response = problem_response(
                500, "Internal server error", "An unexpected error occurred"
            )
            await response(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413, by header or while streaming.

    Spreadsheet uploads (a path ending in ``/imports``: the API's ``POST .../imports`` and the
    desk's upload forms) may be up to ``import_max_bytes`` instead: a 10,000-row file is larger
    than any JSON body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int, import_max_bytes: int | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.import_max_bytes = import_max_bytes or max_bytes

    def limit_of(self, path: str) -> int:
        """The largest body allowed on ``path``."""
        return self.import_max_bytes if _is_import(path) else self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope["path"])
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await self._too_large(scope, receive, send, limit)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await self._too_large(scope, receive, send, limit)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413, "Payload too large", f"The request body exceeds {limit} bytes"
        )
        await response(scope, receive, send)


class _TooLarge(Exception):
    pass


_XLSX = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class NulGuardMiddleware:
    """Refuse a NUL character anywhere in the path, query, headers or body with a 422 naming
    where it is. PostgreSQL text cannot hold NUL, and no field of ours has a use for it, so
    refusing it once here keeps every route (and every future one) from answering 500.

    Only real NUL characters are refused: a raw NUL byte, or ``\\u0000`` that JSON decodes to
    one (not the escaped text ``\\\\u0000``). A body too deeply nested to decode is a 400.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        field = _nul_in_request_line(scope)
        chunks: list[bytes] = []
        more = True
        while field is None and more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        # An XLSX upload is a ZIP archive (binary), sent as the body or as the file of the
        # desk's upload form; its cells are checked by the schemas.
        content_type = dict(scope["headers"]).get(b"content-type", b"")
        binary = content_type.startswith(_XLSX) or (
            content_type.startswith(b"multipart/form-data") and _is_import(scope["path"])
        )
        if field is None and not binary and (b"\x00" in body or b"\\u0000" in body):
            try:
                field = _nul_in_body(body)
            except RecursionError:
                response = problem_response(
                    400, "Bad request", "The JSON body is nested too deeply to be read"
                )
                await response(scope, receive, send)
                return
        if field is not None:
            response = problem_response(
                422,
                "Validation failed",
                f"{field}: NUL characters are not allowed",
                errors=[{"field": field, "message": "NUL characters are not allowed"}],
            )
            await response(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _is_import(path: str) -> bool:
    """A spreadsheet upload: the API's ``POST .../imports`` or the desk's ``POST /imports``."""
    return path.rstrip("/").endswith("/imports")


def _nul_in_request_line(scope: Scope) -> str | None:
    if "\x00" in scope["path"]:
        return "path"
    query = scope.get("query_string", b"").decode("latin-1")
    for name, value in parse_qsl(query, keep_blank_values=True):
        if "\x00" in name or "\x00" in value:
            return name.replace("\x00", "") or "query"
    header: bytes
    for header, value in scope["headers"]:
        if b"\x00" in value:
            return header.decode("latin-1")
    return None


def _nul_in_body(body: bytes) -> str | None:
    """Where a NUL is in a body: the dotted path of a JSON string holding one, ``body`` for a
    raw NUL in anything else, or None. ``RecursionError`` when the JSON is too deep to decode."""
    try:
        document = json.loads(body)
    except ValueError:
        # Not JSON: only a raw NUL byte is a NUL; the route answers the malformed body itself.
        return "body" if b"\x00" in body else None
    return _nul_path(document)


def _nul_path(document: Any) -> str | None:
    """The dotted path of the first string (or key) in ``document`` that holds a NUL.

    Iterative, so that no nesting depth json.loads accepts can exhaust the stack here.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(document, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return ".".join(path) or "body"
        elif isinstance(value, dict):
            items = list(value.items())
            for key, _item in items:
                if "\x00" in key:
                    return ".".join([*path, key.replace("\x00", "")]) or "body"
            stack.extend((item, (*path, key)) for key, item in reversed(items))
        elif isinstance(value, list):
            stack.extend((item, (*path, str(i))) for i, item in reversed(list(enumerate(value))))
    return None
