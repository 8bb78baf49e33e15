"""``/api/v1/api-keys`` and ``makker create-key``: shown once, stored hashed, revocable."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.models import ApiKey, AuditEvent
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.factories import make_association

URL = "/api/v1/api-keys"


def test_create_shows_the_key_once_and_it_works(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    created = client.post(
        URL,
        json={"name": "Aarhus", "role": "coordinator", "municipalities": ["751"]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    key = body["key"]
    assert key.startswith(f"mk_{body['prefix']}_")
    assert body["municipalities"] == ["751"]
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/newcomers", headers=headers).status_code == 200

    row = db.get(ApiKey, body["id"])
    assert row is not None
    assert key.split("_", 2)[2] not in row.secret_hash
    db.rollback()  # end the read: SQLite's BEGIN IMMEDIATE holds the write lock
    for listed in client.get(URL, headers=admin).json()["items"]:
        assert "key" not in listed
        assert "secret_hash" not in listed
    got = client.get(f"{URL}/{body['id']}", headers=admin).json()
    assert "key" not in got
    assert got["revoked_at"] is None


def test_revoked_key_answers_401(client: TestClient, admin: dict[str, str], db: Session) -> None:
    association = make_association(db)
    created = client.post(
        URL,
        json={"name": "Klub", "role": "association", "association_id": association.id},
        headers=admin,
    ).json()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.get("/api/v1/mentors", headers=headers).status_code == 200
    assert client.delete(f"{URL}/{created['id']}", headers=admin).status_code == 204
    assert client.delete(f"{URL}/{created['id']}", headers=admin).status_code == 204
    response = client.get("/api/v1/mentors", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    revoked = client.get(URL, params={"revoked": True}, headers=admin).json()["items"]
    assert [k["id"] for k in revoked] == [created["id"]]
    assert client.delete(f"{URL}/99999", headers=admin).status_code == 404
    events = db.query(AuditEvent).filter_by(resource="api_key").order_by(AuditEvent.id).all()
    assert [e.action for e in events] == ["create", "revoke"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "coordinator"}, "municipalities"),
        ({"role": "coordinator", "municipalities": []}, "municipalities"),
        ({"role": "coordinator", "municipalities": ["999"]}, "municipalities.0"),
        ({"role": "association"}, "association_id"),
        ({"role": "association", "association_id": 99999}, "association_id"),
        ({"role": "admin", "municipalities": ["101"]}, "municipalities"),
        ({"role": "admin", "association_id": 1}, "association_id"),
        ({"role": "root"}, "role"),
        ({"role": "admin", "name": ""}, "name"),
    ],
)
def test_invalid_key_request_is_422_and_writes_nothing(
    client: TestClient, app: FastAPI, admin: dict[str, str], body: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json={"name": "k", **body}, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert bodies.count(app, ApiKey) == 1


def test_idempotent_replay_never_shows_the_key_again(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    headers = {**admin, "Idempotency-Key": "key-1"}
    body = {"name": "Ops", "role": "admin"}
    first = client.post(URL, json=body, headers=headers).json()
    again = client.post(URL, json=body, headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] == first["id"]
    assert again.json()["key"] is None
    assert first["key"]
    assert bodies.count(app, ApiKey) == 2


@pytest.mark.parametrize("role", ["coordinator", "association"])
def test_only_admins_manage_keys(client: TestClient, keys: Keys, db: Session, role: str) -> None:
    association = make_association(db)
    headers = keys.coordinator("101") if role == "coordinator" else keys.association(association.id)
    assert client.get(URL, headers=headers).status_code == 403
    assert client.post(URL, json={"name": "x", "role": "admin"}, headers=headers).status_code == 403
    assert client.delete(f"{URL}/1", headers=headers).status_code == 403


def test_cli_create_key_prints_only_the_key(
    client: TestClient, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAKKER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["create-key", "--role", "admin", "--name", "first"])
        assert result.exit_code == 0, result.output
        key = result.stdout.strip()
        assert key.startswith("mk_") and "\n" not in key
        headers = {"Authorization": f"Bearer {key}"}
        assert client.get("/api/v1/programmes", headers=headers).status_code == 200

        bad = CliRunner().invoke(cli, ["create-key", "--role", "coordinator", "--name", "x"])
        assert bad.exit_code == 2
        assert "municipalities" in bad.stderr
        assert bad.stdout == ""
    finally:
        get_settings.cache_clear()
