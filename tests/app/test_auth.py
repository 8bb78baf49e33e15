"""Keys and roles across the whole API: 401 without a valid key; a role rule on every route."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.auth import RoleRule
from app.models import Newcomer
from tests.app.factories import make_newcomer


def _api_routes(app: FastAPI) -> dict[tuple[str, str], Dependant]:
    """``(method, full path) -> dependant`` of every API route, however routers are nested."""
    try:  # FastAPI >= 0.16x keeps included routers as branches; flatten them.
        from fastapi.routing import iter_route_contexts

        contexts: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI flattens on include
        contexts = list(app.routes)
    found: dict[tuple[str, str], Dependant] = {}
    for context in contexts:
        route = getattr(context, "original_route", context)
        path = context.path
        if isinstance(route, APIRoute) and path and path.startswith("/api/v1"):
            for method in context.methods or ():
                found[(method, path)] = route.dependant
    return found


def _role_rules(dependant: Dependant) -> list[RoleRule]:
    found = [dependant.call] if isinstance(dependant.call, RoleRule) else []
    for sub in dependant.dependencies:
        found += _role_rules(sub)
    return found  # type: ignore[return-value]


def test_every_route_in_the_openapi_document_has_a_role_rule(app: FastAPI) -> None:
    documented = {
        (method.upper(), path)
        for path, operations in app.openapi()["paths"].items()
        for method in operations
    }
    routes = _api_routes(app)
    assert documented == set(routes)
    missing = [key for key, dependant in routes.items() if not _role_rules(dependant)]
    assert missing == [], f"routes without a RoleRule: {missing}"
    for dependant in routes.values():
        assert all(rule.roles for rule in _role_rules(dependant))


def test_registry_role_rules(app: FastAPI) -> None:
    """The registry's rules, as documented in the README."""
    expected = {
        ("GET", "/api/v1/associations"): {"admin", "coordinator", "association"},
        ("POST", "/api/v1/associations"): {"admin"},
        ("PATCH", "/api/v1/associations/{association_id}"): {"admin"},
        ("DELETE", "/api/v1/associations/{association_id}"): {"admin"},
        ("GET", "/api/v1/programmes"): {"admin", "coordinator", "association"},
        ("POST", "/api/v1/programmes"): {"admin"},
        ("PATCH", "/api/v1/programmes/{code}"): {"admin"},
        ("GET", "/api/v1/mentors"): {"admin", "association"},
        ("POST", "/api/v1/mentors"): {"admin", "association"},
        ("DELETE", "/api/v1/mentors/{mentor_id}"): {"admin", "association"},
        ("GET", "/api/v1/newcomers"): {"admin", "coordinator"},
        ("POST", "/api/v1/newcomers"): {"admin", "coordinator"},
        ("DELETE", "/api/v1/newcomers/{newcomer_id}"): {"admin", "coordinator"},
        ("GET", "/api/v1/api-keys"): {"admin"},
        ("POST", "/api/v1/api-keys"): {"admin"},
        ("DELETE", "/api/v1/api-keys/{key_id}"): {"admin"},
    }
    routes = _api_routes(app)
    for key, roles in expected.items():
        (rule,) = _role_rules(routes[key])
        assert rule.roles == roles, key


def _concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: "mentor" if m.group(1) == "code" else "1", path)


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer not-a-key",
        "Bearer mk_000000000000_wrongsecret",
    ],
)
def test_every_route_answers_401_without_a_valid_key(
    client: TestClient, app: FastAPI, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    routes = _api_routes(app)
    assert routes
    for method, path in routes:
        kwargs: dict[str, Any] = {"headers": headers}
        if method in {"POST", "PATCH", "PUT"}:
            kwargs["json"] = {}
        response = client.request(method, _concrete(path), **kwargs)
        assert response.status_code == 401, (method, path, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")


def test_a_valid_prefix_with_a_wrong_secret_is_401(
    client: TestClient, admin: dict[str, str]
) -> None:
    prefix = admin["Authorization"].split("_")[1]
    forged = {"Authorization": f"Bearer mk_{prefix}_{'A' * 43}"}
    assert client.get("/api/v1/programmes", headers=forged).status_code == 401
    assert client.get("/api/v1/programmes", headers=admin).status_code == 200


def test_an_unexpected_error_is_a_problem_500_without_internals(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    """A real failure inside a handler: a stored row the read model cannot represent (as a
    bad manual fix in the database would leave it). The answer is problem details, 500,
    without the exception, the SQL or the offending value."""
    newcomer = make_newcomer(db)
    db.execute(
        update(Newcomer).where(Newcomer.id == newcomer.id).values(languages={"secret": "internals"})
    )
    db.commit()

    response = client.get(f"/api/v1/newcomers/{newcomer.id}", headers=admin)

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["title"] == "Internal server error"
    for internal in ("secret", "internals", "languages", "ValidationError", "Traceback"):
        assert internal not in response.text
