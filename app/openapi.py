"""The OpenAPI document tells the truth about errors: every API operation lists the
problem-details answers the shared machinery can give, as ``application/problem+json``.

Role rules, path parameters, bodies and the body limit apply to every route, so their answers
(400 for a body that is not JSON, 401, 403, 404, 413, 422) are documented here once rather
than on each route; 409 and 412 are listed for every write. Routes may still document their
own statuses; this only adds and normalises.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from app.errors import PROBLEM_JSON, PROBLEM_TITLES, Problem

API_PREFIX = "/api/v1"
_REF = {"$ref": "#/components/schemas/Problem"}
_WRITES = {"post", "put", "patch", "delete"}


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = {401, 403, 422}
    if "{" in path:
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if method in _WRITES:
        statuses |= {409, 412}
    return statuses


def document_problems(schema: dict[str, Any]) -> None:
    """Add and normalise problem-details responses in an OpenAPI document, in place."""
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(problem.pop("$defs", {}))
    components["Problem"] = problem
    for path, operations in schema.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, operation):
                responses.setdefault(str(status), {"description": PROBLEM_TITLES[status]})
            for status, response in responses.items():
                if status.startswith("4"):
                    response["content"] = {PROBLEM_JSON: {"schema": dict(_REF)}}
                    if status in {"422"}:
                        response["description"] = PROBLEM_TITLES[422]
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)


def install_openapi(app: FastAPI) -> None:
    """Make ``app.openapi()`` return the document with problem details documented."""
    original: Callable[[], dict[str, Any]] = app.openapi
    done: set[int] = set()

    def openapi() -> dict[str, Any]:
        schema = original()
        if id(schema) not in done:
            document_problems(schema)
            done.add(id(schema))
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
