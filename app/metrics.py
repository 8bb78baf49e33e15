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
from typing import cast

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, GCCollector, PlatformCollector, ProcessCollector
from prometheus_fastapi_instrumentator import Instrumentator, metrics, routing
from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from app.middleware import NO_ROUTE, route_template


class _Answered:
    """What the instrumentation reads of a response: its headers."""

    __slots__ = ("headers",)

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.headers = Headers(raw=raw)


class RequestMetrics:
    """Count and time each request under its route's template (the app's middleware,
    :mod:`app.asgi`, calls :meth:`record` once the answer is out)."""

    def __init__(self, *, registry: CollectorRegistry, excluded: Sequence[str] = ()) -> None:
        self.excluded = [re.compile(path) for path in excluded]
        instrumentation = metrics.default(registry=registry)
        self.instrumentations = [instrumentation] if instrumentation else []

    def record(
        self,
        scope: Scope,
        root_path: str,
        status: int,
        headers: list[tuple[bytes, bytes]],
        seconds: float,
    ) -> None:
        """Count a request: ``root_path`` as the scope had it on arrival, the answer's
        ``status`` and ``headers`` (500 and none when the app failed before answering)."""
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


def install_metrics(app: FastAPI, excluded: Sequence[str]) -> RequestMetrics:
    """Serve ``GET /metrics`` for ``app`` and return what counts its requests (but
    ``excluded``), for the app's middleware.

    A registry per app: the library's metrics are process-global otherwise, and a second
    app in the process (tests) would count nothing of its own.
    """
    registry = CollectorRegistry()
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    Instrumentator(registry=registry).expose(app, include_in_schema=False)
    return RequestMetrics(registry=registry, excluded=excluded)
