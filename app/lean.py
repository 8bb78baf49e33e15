"""Lean routes: the busiest ``GET`` routes served in one trip to a worker thread.

A ``def`` route with a role rule costs FastAPI two trips to a worker thread a request (the
key's check, then the handler) and its solving of the route's dependencies (the session, the
credentials, the role rule, the pagination parameters, each query parameter in turn). A lean
route does the same work in the same order on one trip: the credentials (on the event loop),
then on the worker thread the session, the key and the role (401, 429, 403), unknown or
repeated query parameters (422), the path's and the query's parameters checked by FastAPI's
own function (:func:`fastapi.dependencies.utils.request_params_to_args`: the same values and
the same 422s), the handler, and the commit (or the rollback) and close of the session.

Each lean route is registered just before its *documented* route, the ordinary FastAPI route
of the same method and path: a complete route, which the OpenAPI document describes and
whose parameters the lean route reads (their names, types, constraints and order), but
which requests never reach (the router takes the first route that matches).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import get_dependant, request_params_to_args
from fastapi.exceptions import RequestValidationError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.auth import Principal, RoleRule, bearer
from app.db import close_session
from app.query_params import query_names, refuse_undeclared

#: A lean route's work: the session, the caller and the query parameters' values (by the
#: documented route's parameter names) to the answer.
Handler = Callable[[Session, Principal, dict[str, Any]], Response]


def _query_fields(dependant: Dependant) -> list[Any]:
    """The query parameters of a route in the order FastAPI checks them: each dependency's
    (depth first, in declaration order), then the route's own."""
    fields: list[Any] = []
    for sub in dependant.dependencies:
        fields += _query_fields(sub)
    return fields + list(dependant.query_params)


def _role_rule(dependant: Dependant) -> RoleRule:
    """The documented route's role rule (every API route has one)."""
    for sub in dependant.dependencies:
        if isinstance(sub.call, RoleRule):
            return sub.call
    raise ValueError("a lean route's documented route needs a role rule")


class LeanRoute:
    """The lean serving of ``documented`` (a route's endpoint) by ``handler``, with a writer's
    session when ``documented`` is marked :func:`app.db.writes` (an audited read), else a
    reader's."""

    def __init__(self, documented: Callable[..., Any], handler: Handler) -> None:
        dependant = get_dependant(path="", call=documented)
        self.rule = _role_rule(dependant)
        self.fields = _query_fields(dependant)
        self.path_fields = list(dependant.path_params)
        self.names = query_names(dependant)
        self.handler = handler
        self.writes: bool = getattr(documented, "makker_writes", False)

    async def __call__(self, request: Request) -> Response:
        credentials = await bearer(request)
        return await run_in_threadpool(self._serve, request, credentials)

    def _serve(self, request: Request, credentials: Any) -> Response:
        """Everything after the credentials, on one worker thread."""
        state = request.app.state
        factory: sessionmaker[Session] = (
            state.sessionmaker if self.writes else state.read_sessionmaker
        )
        session = factory()
        try:
            principal = self.rule.admit(request, session, credentials)
            refuse_undeclared(request, self.names)
            # The path's parameters, then the query's, as FastAPI checks them.
            path, path_errors = request_params_to_args(self.path_fields, request.path_params)
            values, errors = request_params_to_args(self.fields, request.query_params)
            if path_errors or errors:
                raise RequestValidationError([*path_errors, *errors])
            answer = self.handler(session, principal, {**path, **values})
        except BaseException:
            close_session(session, commit=False)
            raise
        close_session(session, commit=True)
        return answer
