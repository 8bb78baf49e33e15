"""Prometheus metrics of every request, by route template (``/api/v1/newcomers/{newcomer_id}``).

The instrumentator's own middleware matches the request against every route of the app
before it runs (the desk's and the API's: a tenth of the admin list's CPU); the router has
already recorded the route it chose in the scope when the answer is out, so the template is
read from there instead (:func:`app.middleware.route_template`); only a request no route
took (a mount's, or a 404) is looked up as before. The metrics and labels are the library's
defaults (``http_requests_total``, ``http_request_duration_seconds``, ...; ``none`` for a
request matching no route), in the app's own registry.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from timeit import default_timer
from typing import Any, cast

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_fastapi_instrumentator import Instrumentator, metrics, routing
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.middleware import NO_ROUTE, route_template


class _Answered:
    """What the instrumentation reads of a response: its headers."""

    __slots__ = ("headers",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.headers = Headers(raw=raw)


class MetricsMiddleware:
    """ASGI middleware: count and time each request under its route's template."""

    def __init__(
        self, app: ASGIApp, *, registry: CollectorRegistry, excluded: Sequence[str] = ()
    ) -> None:
        self.app = app
        self.excluded = [re.compile(path) for path in excluded]
        instrumentation = metrics.default(registry=registry)
        self.instrumentations = [instrumentation] if instrumentation else []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, root_path = default_timer(), scope.get("root_path", "")
        status = 500
        headers: list[tuple[bytes, bytes]] = []

        async def send_wrapper(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], message.get("headers", [])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            self._record(scope, root_path, status, headers, default_timer() - started)

    def _record(
        self,
        scope: Scope,
        root_path: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        seconds: float,
    ) -> None:
        handler = route_template(scope)
        request = Request(scope)
        if handler == NO_ROUTE:
            # No route in the scope: a mount (the desk's static files) or no match at all;
            # only then the instrumentator's own lookup, for the same labels as before (on the
            # scope as it came: a mount has set its own root path in it).
            handler = (
                routing.get_route_name(
                    Request({**scope, "root_path": root_path}), should_include_root_path=False
                )
                or ""
            )
        # Excluded by template, or (as the instrumentator does) an unrouted one by its path.
        if any(pattern.search(handler or scope["path"]) for pattern in self.excluded):
            return
        info = metrics.Info(
            request=request,
            response=cast(Response, _Answered(headers)),
            method=scope["method"],
            modified_handler=handler or "none",
            modified_status=f"{str(status)[0]}xx",
            modified_duration=max(seconds, 0.0),
        )
        for instrumentation in self.instrumentations:
            instrumentation(info)


def install_metrics(app: FastAPI, excluded: Sequence[str]) -> None:
    """Count every request of ``app`` (but ``excluded``) and serve ``GET /metrics``.

    A registry per app: the library's metrics are process-global otherwise, and a second
    app in the process (tests) would count nothing of its own.
    """
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    options: dict[str, Any] = {"registry": registry, "excluded": excluded}
    app.add_middleware(MetricsMiddleware, **options)
    Instrumentator(registry=registry).expose(app, include_in_schema=False)
