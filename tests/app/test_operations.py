"""Operations endpoints: liveness, readiness, metrics, request ids, body limit."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.app.factories import make_newcomer
from tests.app.live_server import running_server


def test_healthz_answers_without_a_key(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_a_migrated_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def _requests_total(client: TestClient, handler: str, status: str) -> float:
    """The ``http_requests_total`` sample for ``handler`` and ``status`` (0 when absent)."""
    labels = f'{{handler="{handler}",method="GET",status="{status}"}}'
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("http_requests_total" + labels):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_requests_by_route_template_without_ids_or_probes(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    newcomer = make_newcomer(db)
    template = "/api/v1/newcomers/{newcomer_id}"
    before = _requests_total(client, template, "2xx")
    for _ in range(3):
        client.get(f"/api/v1/newcomers/{newcomer.id}", headers=admin)
    client.get("/healthz")
    client.get("/readyz")
    client.get(f"/api/v1/no-such-thing/{newcomer.id}")

    text = client.get("/metrics").text

    assert _requests_total(client, template, "2xx") == before + 3
    # A record's id never becomes a label (no per-person series, bounded cardinality), and
    # the probes, polled every few seconds, are not counted.
    assert f'/{newcomer.id}"' not in text
    assert 'handler="/healthz"' not in text and 'handler="/readyz"' not in text


def test_every_response_carries_a_request_id(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 404


def test_body_over_one_megabyte_is_refused_with_413(client: TestClient) -> None:
    response = client.post(
        "/api/v1/associations",
        content=b"x" * (1_048_576 + 1),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["title"] == "Payload too large"


def test_nul_in_a_body_field_is_a_422_naming_it_and_writes_nothing(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {"name": "Klub", "kind": "other", "municipalities": ["101", "1\x0001"]}
    response = client.post("/api/v1/associations", json=body, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "municipalities.1", "message": "NUL characters are not allowed"}
    ]
    assert client.get("/api/v1/associations", headers=admin).json()["items"] == []


def test_nul_in_a_query_parameter_or_header_is_a_422_naming_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get("/api/v1/mentors?municipality=1%0001", headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "municipality"
    headers = {**admin, "Idempotency-Key": "a\x00b"}
    response = client.post("/api/v1/associations", json={}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "idempotency-key"


@pytest.mark.parametrize(
    ("path", "after"),
    [
        ("/api/v1/newcomers", 2**63),
        ("/api/v1/mentors", 2**31),
        ("/api/v1/matches", -1),
        ("/api/v1/programmes", "\udcff"),
        ("/api/v1/programmes", "x" * 500),
    ],
)
def test_a_forged_cursor_is_a_422_not_a_database_error(
    client: TestClient, admin: dict[str, str], path: str, after: object
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode()
    response = client.get(path, params={"cursor": cursor}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("workers", ["1", "2"])
def test_makker_serve_answers_with_one_or_more_worker_processes(
    database_url: str, admin: dict[str, str], workers: str
) -> None:
    with running_server(
        database_url, {"MAKKER_EMBEDDED_WORKER": "false"}, args=("--workers", workers)
    ) as base:
        assert httpx.get(f"{base}/readyz", timeout=30).json() == {"status": "ready"}
        listed = [
            httpx.get(f"{base}/api/v1/newcomers?limit=5", headers=admin, timeout=30)
            for _ in range(6)
        ]
        assert {response.status_code for response in listed} == {200}
