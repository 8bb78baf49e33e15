"""The parts of the app's middleware (:mod:`app.asgi`): the route template of a request (the
access log's and the metrics' label), the request body limit, and the refusal of NUL
characters."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from app.errors import problem_response

#: A client's ``X-Request-ID`` that is echoed (else a fresh id is made).
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: :func:`route_template` of a request no route took.
NO_ROUTE = "(no route)"


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


class BodyLimit:
    """Request bodies over ``max_bytes`` are refused with 413, by header or while reading.

    Spreadsheet uploads (a path ending in ``/imports``: the API's ``POST .../imports`` and the
    desk's upload forms) may be up to ``import_max_bytes`` instead: a 10,000-row file is larger
    than any JSON body. Used by the app's middleware (:mod:`app.asgi`).
    """

    def __init__(self, max_bytes: int, import_max_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.import_max_bytes = import_max_bytes or max_bytes

    def limit_of(self, path: str) -> int:
        """The largest body allowed on ``path``."""
        return self.import_max_bytes if _is_import(path) else self.max_bytes

    @staticmethod
    def declared_too_large(scope: Scope, limit: int) -> bool:
        """Whether the request's ``Content-Length`` is over ``limit``."""
        length = dict(scope["headers"]).get(b"content-length")
        return length is not None and length.isdigit() and int(length) > limit

    @staticmethod
    def receiver(receive: Receive, limit: int) -> Receive:
        """``receive`` raising :class:`TooLarge` once the body read exceeds ``limit``."""
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise TooLarge
            return message

        return limited_receive

    @staticmethod
    async def too_large(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Answer 413."""
        response = problem_response(
            413, "Payload too large", f"The request body exceeds {limit} bytes"
        )
        await response(scope, receive, send)


class TooLarge(Exception):
    """The body read so far exceeds the limit."""


_XLSX = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def read_body(receive: Receive) -> bytes:
    """The whole request body (for :func:`nul_refusal`; the app gets it replayed)."""
    chunks: list[bytes] = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def nul_refusal(scope: Scope, body: bytes) -> Response | None:
    """The answer refusing a NUL character in the request's body (a 422 naming where it is),
    or None. PostgreSQL text cannot hold NUL, and no field of ours has a use for it, so
    refusing it once in the app's middleware keeps every route (and every future one) from
    answering 500. (The path, query and headers: :func:`nul_in_request_line`, checked
    before the body is read.)

    Only real NUL characters are refused: a raw NUL byte, or ``\\u0000`` that JSON decodes to
    one (not the escaped text ``\\\\u0000``). A body too deeply nested to decode is a 400.
    """
    # An XLSX upload is a ZIP archive (binary), sent as the body or as the file of the
    # desk's upload form; its cells are checked by the schemas.
    content_type = dict(scope["headers"]).get(b"content-type", b"")
    binary = content_type.startswith(_XLSX) or (
        content_type.startswith(b"multipart/form-data") and _is_import(scope["path"])
    )
    if binary or (b"\x00" not in body and b"\\u0000" not in body):
        return None
    try:
        field = _nul_in_body(body)
    except RecursionError:
        return problem_response(400, "Bad request", "The JSON body is nested too deeply to be read")
    return None if field is None else nul_response(field)


def nul_response(field: str) -> Response:
    """The 422 naming where a NUL character is."""
    return problem_response(
        422,
        "Validation failed",
        f"{field}: NUL characters are not allowed",
        errors=[{"field": field, "message": "NUL characters are not allowed"}],
    )


def _is_import(path: str) -> bool:
    """A spreadsheet upload: the API's ``POST .../imports`` or the desk's ``POST /imports``."""
    return path.rstrip("/").endswith("/imports")


def nul_in_request_line(scope: Scope) -> str | None:
    """Where a NUL character is in the path, the query or a header (its name), or None."""
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
