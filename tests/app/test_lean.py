"""Lean routes (:mod:`app.lean`): each is served before its documented route, which has the
same method and path, a role rule, and the OpenAPI document's description of it."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient

from app.lean import LeanRoute


def _api_routes(app: FastAPI) -> list[tuple[str, frozenset[str], Any]]:
    """``(path, methods, endpoint)`` of the API's routes in the order the router tries them."""
    found = []
    for context in iter_route_contexts(app.routes):
        route = getattr(context, "original_route", context)
        if isinstance(route, APIRoute) and context.path.startswith("/api/v1"):
            found.append((context.path, frozenset(context.methods or ()), route.endpoint))
    return found


def test_each_lean_route_comes_just_before_its_documented_route(app: FastAPI) -> None:
    routes = _api_routes(app)
    lean = [
        i for i, (_path, _methods, endpoint) in enumerate(routes) if isinstance(endpoint, LeanRoute)
    ]
    assert {routes[i][0] for i in lean} == {
        "/api/v1/matches",
        "/api/v1/newcomers",
        "/api/v1/newcomers/{newcomer_id}/suggestions",
    }
    documented = app.openapi()["paths"]
    for i in lean:
        path, methods, endpoint = routes[i]
        assert routes[i + 1][:2] == (path, methods)
        assert routes[i + 1][2] is not endpoint
        assert endpoint.rule.roles
        assert {m.lower() for m in methods} <= set(documented[path])
        parameters = [p for m in methods for p in documented[path][m.lower()]["parameters"]]
        assert endpoint.names == {p["name"] for p in parameters if p["in"] == "query"}
        assert [f.alias for f in endpoint.path_fields] == [
            p["name"] for p in parameters if p["in"] == "path"
        ]


def test_a_lean_route_checks_its_path_as_fastapi_does(
    client: TestClient, admin: dict[str, str]
) -> None:
    """401 before 422; the path's bad value named before the query's, as on any route."""
    url = "/api/v1/newcomers/0/suggestions?limit=0"
    assert client.get(url).status_code == 401
    bad = client.get(url, headers=admin)
    assert bad.status_code == 422
    assert [e["field"] for e in bad.json()["errors"]] == ["newcomer_id", "limit"]
    other = client.get("/api/v1/mentors/0", headers=admin)  # an ordinary route's path check
    assert [e["field"] for e in other.json()["errors"]] == ["mentor_id"]


def test_a_lean_route_refuses_before_it_checks_parameters(
    client: TestClient, admin: dict[str, str]
) -> None:
    """401 before 422; unknown parameters before bad values; every bad value named at once."""
    assert client.get("/api/v1/matches?limit=0").status_code == 401
    unknown = client.get("/api/v1/matches?limit=0&colour=red", headers=admin)
    assert unknown.json()["errors"] == [{"field": "colour", "message": "unknown query parameter"}]
    bad = client.get("/api/v1/matches?limit=0&status=x&mentor_id=0", headers=admin)
    assert [e["field"] for e in bad.json()["errors"]] == ["limit", "status", "mentor_id"]
