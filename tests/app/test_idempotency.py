"""Idempotency-Key by reference: a retry renders the record it created as it is now, a
correction never turns a retry into a second person, a retry after erasure is a 410, and
expired keys are swept by ``makker purge`` (not by creates)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import utcnow
from app.models import Association, AuditEvent, IdempotencyRecord, Mentor, Newcomer
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

NEWCOMERS = "/api/v1/newcomers"


def _keys(db: Session) -> dict[str, str | None]:
    rows = db.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)).all()
    kept = {row.key: row.request_hash for row in rows}
    db.rollback()  # end the read: SQLite's write lock is taken at BEGIN
    return kept


def _expire_all_keys(db: Session, app: FastAPI) -> None:
    ttl = app.state.settings.idempotency_ttl_hours
    db.execute(
        update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=ttl, minutes=1))
    )
    db.commit()


def test_a_retry_after_a_correction_shows_the_record_as_it_is_now(
    app: FastAPI, client: TestClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Idempotency-Key": "form-1"}
    body = bodies.newcomer(first_name="Wrongname")
    created = client.post(NEWCOMERS, json=body, headers=headers)
    assert created.status_code == 201
    url = f"{NEWCOMERS}/{created.json()['id']}"
    fixed = client.patch(url, json={"first_name": "Rightname"}, headers=admin)
    assert fixed.status_code == 200

    retry = client.post(NEWCOMERS, json=body, headers=headers)

    assert retry.status_code == 201
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == fixed.json()
    assert retry.json()["first_name"] == "Rightname"
    assert retry.headers["etag"] == fixed.headers["etag"] == '"2"'
    assert retry.headers["location"] == url
    assert bodies.count(app, Newcomer) == 1


def test_a_replay_of_a_newcomer_is_an_audited_read(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    headers = {**admin, "Idempotency-Key": "audited"}
    first = client.post(NEWCOMERS, json=bodies.newcomer(), headers=headers)
    client.post(NEWCOMERS, json=bodies.newcomer(), headers=headers)
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.record_id == str(first.json()["id"]))
    ).all()
    db.rollback()
    assert sorted(actions) == ["create", "read"]


def test_a_retry_after_erasure_is_410_and_creates_nobody(
    app: FastAPI, client: TestClient, admin: dict[str, str], db: Session
) -> None:
    headers = {**admin, "Idempotency-Key": "erased-1"}
    body = bodies.newcomer(first_name="Erasedperson")
    created = client.post(NEWCOMERS, json=body, headers=headers)
    assert client.delete(f"{NEWCOMERS}/{created.json()['id']}", headers=admin).status_code == 204
    assert _keys(db) == {"erased-1": None}  # the key stays; what it knew of the request goes

    retry = client.post(NEWCOMERS, json=body, headers=headers)
    other_body = client.post(NEWCOMERS, json=bodies.newcomer(), headers=headers)

    assert retry.status_code == 410
    assert retry.headers["content-type"].startswith("application/problem+json")
    assert "Erasedperson" not in retry.text
    assert other_body.status_code == 410
    assert bodies.count(app, Newcomer) == 0


def test_a_retry_for_a_record_no_longer_in_scope_is_410_without_its_data(
    client: TestClient, keys: Keys, admin: dict[str, str]
) -> None:
    coordinator = {**keys.coordinator("101"), "Idempotency-Key": "moved"}
    body = bodies.newcomer(first_name="Movedperson")
    created = client.post(NEWCOMERS, json=body, headers=coordinator)
    url = f"{NEWCOMERS}/{created.json()['id']}"
    assert client.patch(url, json={"municipality": "751"}, headers=admin).status_code == 200

    retry = client.post(NEWCOMERS, json=body, headers=coordinator)

    assert retry.status_code == 410
    assert "Movedperson" not in retry.text and "751" not in retry.text


@pytest.fixture
def association_id(db: Session) -> int:
    return make_association(db, municipalities=[]).id


@pytest.mark.parametrize("collection", ["mentors", "associations"])
def test_every_create_answers_a_retry_after_deletion_with_410(
    app: FastAPI,
    client: TestClient,
    admin: dict[str, str],
    association_id: int,
    collection: str,
) -> None:
    url = f"/api/v1/{collection}"
    model = Mentor if collection == "mentors" else Association
    body = (
        bodies.mentor(association_id=association_id)
        if collection == "mentors"
        else bodies.association()
    )
    headers = {**admin, "Idempotency-Key": f"gone-{collection}"}
    created = client.post(url, json=body, headers=headers)
    assert created.status_code == 201, created.text
    replay = client.post(url, json=body, headers=headers)
    assert replay.status_code == 201 and replay.json() == created.json()
    before = bodies.count(app, model)
    assert client.delete(f"{url}/{created.json()['id']}", headers=admin).status_code == 204

    retry = client.post(url, json=body, headers=headers)

    assert retry.status_code == 410
    assert bodies.count(app, model) == before - 1


def test_a_manual_match_retry_after_the_newcomer_is_erased_is_410(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    newcomer = make_newcomer(db)
    mentor = make_mentor(db, make_association(db))
    body = {"newcomer_id": newcomer.id, "mentor_id": mentor.id, "programme": "mentor"}
    headers = {**coordinator, "Idempotency-Key": "match-1"}
    first = client.post("/api/v1/matches", json=body, headers=headers)
    assert first.status_code == 201, first.text
    accepted = client.post(f"/api/v1/matches/{first.json()['id']}/accept", headers=coordinator)
    replay = client.post("/api/v1/matches", json=body, headers=headers)
    assert replay.json()["status"] == "accepted"
    assert replay.headers["etag"] == accepted.headers["etag"]
    assert client.delete(f"{NEWCOMERS}/{newcomer.id}", headers=coordinator).status_code == 204

    assert client.post("/api/v1/matches", json=body, headers=headers).status_code == 410


def test_the_same_key_with_another_body_is_still_a_422(
    client: TestClient, admin: dict[str, str]
) -> None:
    headers = {**admin, "Idempotency-Key": "reused"}
    assert client.post(NEWCOMERS, json=bodies.newcomer(), headers=headers).status_code == 201
    other = client.post(NEWCOMERS, json=bodies.newcomer(first_name="Other"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"
    elsewhere = client.post("/api/v1/associations", json=bodies.association(), headers=headers)
    assert elsewhere.status_code == 422


def test_an_expired_key_is_not_replayed_and_creates_do_not_sweep_others(
    app: FastAPI, client: TestClient, admin: dict[str, str], db: Session
) -> None:
    for key in ("old", "other-old"):
        client.post(NEWCOMERS, json=bodies.newcomer(), headers={**admin, "Idempotency-Key": key})
    _expire_all_keys(db, app)

    again = client.post(
        NEWCOMERS, json=bodies.newcomer(), headers={**admin, "Idempotency-Key": "old"}
    )
    client.post(NEWCOMERS, json=bodies.newcomer(), headers={**admin, "Idempotency-Key": "new"})

    assert again.status_code == 201 and "idempotent-replayed" not in again.headers
    assert bodies.count(app, Newcomer) == 4
    assert set(_keys(db)) == {"old", "other-old", "new"}


@pytest.fixture
def cli_database(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MAKKER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_makker_purge_deletes_expired_keys_only(
    app: FastAPI, client: TestClient, admin: dict[str, str], db: Session, cli_database: None
) -> None:
    client.post(NEWCOMERS, json=bodies.newcomer(), headers={**admin, "Idempotency-Key": "stale"})
    _expire_all_keys(db, app)
    client.post(NEWCOMERS, json=bodies.newcomer(), headers={**admin, "Idempotency-Key": "fresh"})

    # The retention date is today: a key from earlier today is still within its time to live.
    result = CliRunner().invoke(cli, ["purge", "--ended-before", date.today().isoformat()])

    assert result.exit_code == 0, result.output
    assert "idempotency_records: 1" in result.stdout
    assert set(_keys(db)) == {"fresh"}
