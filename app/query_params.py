"""Unknown or repeated query parameters are refused (422 naming them), as unknown body
fields are.

A misspelt filter (``?municipalty=101``) would otherwise be ignored and the list answered
unfiltered, which looks like an answer to the question asked; a filter given twice
(``?programme=a&programme=b``) would silently keep one of the two. No parameter of the API
takes several values.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from app.errors import ValidationFailed

_CACHE = "_makker_query_names"


def refuse_unknown_query(request: Request) -> None:
    """Raise a 422 naming the first query parameter the request's route does not declare,
    or the first one given more than once."""
    route = request.scope.get("route")
    if getattr(route, "dependant", None) is None:
        return
    declared: frozenset[str] | None = getattr(route, _CACHE, None)
    if declared is None:
        declared = query_names(route.dependant)  # type: ignore[union-attr]
        setattr(route, _CACHE, declared)
    refuse_undeclared(request, declared)


def refuse_undeclared(request: Request, declared: frozenset[str]) -> None:
    """:func:`refuse_unknown_query` for a route whose query parameters are ``declared``."""
    unknown = sorted(set(request.query_params) - declared)
    if unknown:
        raise ValidationFailed(unknown[0] or "query", "unknown query parameter")
    repeated = sorted(
        name for name in request.query_params if len(request.query_params.getlist(name)) > 1
    )
    if repeated:
        raise ValidationFailed(repeated[0], "given more than once")


def query_names(dependant: Any) -> frozenset[str]:
    """The query parameter names of a route, its dependencies' included."""
    names: set[str] = set()
    stack = [dependant]
    while stack:
        current = stack.pop()
        names.update(param.alias for param in current.query_params)
        stack.extend(current.dependencies)
    return frozenset(names)
