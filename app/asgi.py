"""The app's one ASGI middleware: what used to be seven, nested, in one call.

Outermost first, as they were stacked (each step sees only what the steps inside it send):

1. the request id (``X-Request-ID``, echoed) and one access log line per request
   (:func:`app.middleware.route_template`: no concrete path or query is logged);
2. an unexpected exception answered 500 and logged once, by class and location, with the
   request id (``app.logs.describe_exception``); caught here rather than left to the server,
   which would log it a second time, outside the request's context;
3. the turnstile of ``/api/`` requests (:class:`app.concurrency.ConcurrencyLimit`): 503 with
   ``Retry-After`` when no turn comes in time;
4. the body limit: 413 by ``Content-Length`` or while reading
   (:class:`app.middleware.BodyLimit`);
5. the refusal of NUL characters in the path, query, headers or body (a 422 naming where, a
   400 for a body nested too deeply to read; :func:`app.middleware.nul_refusal`);
6. the security headers (:func:`app.web.setup.with_security_headers`) on the app's answers;
7. the metrics of the app's answers (:class:`app.metrics.RequestMetrics`).

So the answers of steps 2 to 5 (500, 503, 413, 400, 422) carry the request id but neither the
security headers nor a count in the metrics, as before. One call and at most two wrappers of
``send`` a request, instead of seven calls and six wrappers.
"""

from __future__ import annotations

import logging
import time
import uuid
from timeit import default_timer

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.concurrency import ConcurrencyLimit
from app.errors import busy_response, problem_response
from app.logs import current_request_id, reset_request_id, set_request_id
from app.metrics import RequestMetrics
from app.middleware import (
    SAFE_ID,
    BodyLimit,
    TooLarge,
    nul_in_request_line,
    nul_refusal,
    nul_response,
    read_body,
    route_template,
)
from app.web.setup import with_security_headers

log = logging.getLogger("makker.access")
error_log = logging.getLogger("makker.errors")


class ServiceMiddleware:
    """The request id and access log, the 500 guard, the turnstile, the body limit, the NUL
    guard, the security headers and the metrics, in that order (see the module)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        turnstile: ConcurrencyLimit,
        body_limit: BodyLimit,
        metrics: RequestMetrics,
    ) -> None:
        self.app = app
        self.turnstile = turnstile
        self.body_limit = body_limit
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # 1. The request id and the access log.
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = set_request_id(request_id)
        started_at = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = message["status"]
                started = True
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            await send(message)

        try:
            # 2. The 500 guard.
            try:
                await self._admitted(scope, receive, send_with_id)
            except Exception:
                error_log.exception(
                    "unexpected error",
                    extra={"path": route_template(scope), "request_id": current_request_id()},
                )
                if not started:  # part of an answer is out: the connection just ends
                    response = problem_response(
                        500, "Internal server error", "An unexpected error occurred"
                    )
                    await response(scope, receive, send_with_id)
        finally:
            log.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": route_template(scope),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started_at) * 1000, 1),
                },
            )
            reset_request_id(token)

    async def _admitted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """3. The turnstile, for the API's requests."""
        if not self.turnstile.applies(scope):
            await self._limited(scope, receive, send)
            return
        if not await self.turnstile.admit():
            await busy_response()(scope, receive, send)
            return
        try:
            await self._limited(scope, receive, send)
        finally:
            self.turnstile.release()

    async def _limited(self, scope: Scope, receive: Receive, send: Send) -> None:
        """4. The body limit, then 5. the NUL guard, 6. the headers and 7. the metrics."""
        limit = self.body_limit.limit_of(scope["path"])
        if self.body_limit.declared_too_large(scope, limit):
            await self.body_limit.too_large(scope, receive, send, limit)
            return
        limited = self.body_limit.receiver(receive, limit)
        try:
            field = nul_in_request_line(scope)
            if field is not None:  # refused before the body is read
                refusal: Response | None = nul_response(field)
                body = b""
            else:
                body = await read_body(limited)
                refusal = nul_refusal(scope, body)
            if refusal is not None:
                await refusal(scope, limited, send)
                return
            await self._answered(scope, body, limited, send)
        except TooLarge:
            await self.body_limit.too_large(scope, receive, send, limit)

    async def _answered(self, scope: Scope, body: bytes, receive: Receive, send: Send) -> None:
        """The app, on the body read (replayed once), with the security headers on its answer
        and its metrics counted."""
        path: str = scope["path"]
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        started, root_path = default_timer(), scope.get("root_path", "")
        status = 500
        headers: list[tuple[bytes, bytes]] = []

        async def send_answer(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], message.get("headers", [])
                message["headers"] = with_security_headers(headers, path)
            await send(message)

        try:
            await self.app(scope, replay, send_answer)
        finally:
            self.metrics.record(scope, root_path, status, headers, default_timer() - started)
