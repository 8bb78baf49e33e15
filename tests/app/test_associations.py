"""``/api/v1/associations``: CRUD by admins, reads by scope, conventions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import ApiKey, Association, AuditEvent, IdempotencyRecord
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor

URL = "/api/v1/associations"


def test_create_read_list_update_delete(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post(URL, json=bodies.association(), headers=admin)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["name"] == "Dansk Flygtningehjælp Testby"
    assert body["municipalities"] == ["101", "147"]
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"{URL}/{body['id']}"

    got = client.get(f"{URL}/{body['id']}", headers=admin)
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == '"1"'

    listed = client.get(URL, headers=admin).json()
    assert [a["id"] for a in listed["items"]] == [body["id"]]
    assert listed["next_cursor"] is None

    patched = client.patch(
        f"{URL}/{body['id']}", json={"kind": "other"}, headers={**admin, "If-Match": '"1"'}
    )
    assert patched.status_code == 200
    assert patched.json()["kind"] == "other"
    assert patched.headers["etag"] == '"2"'

    assert client.delete(f"{URL}/{body['id']}", headers=admin).status_code == 204
    assert client.get(f"{URL}/{body['id']}", headers=admin).status_code == 404


def test_pagination_walks_every_record_once(client: TestClient, admin: dict[str, str]) -> None:
    ids = [
        client.post(URL, json=bodies.association(), headers=admin).json()["id"] for _ in range(5)
    ]
    seen: list[int] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get(URL, params=params, headers=admin).json()
        seen += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"limit": 501}, "limit"), ({"cursor": "not-ours"}, "cursor")],
)
def test_bad_paging_is_422(
    client: TestClient, admin: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = client.get(URL, params=params, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "church"}, "kind"),
        ({"contact_email": "not-an-address"}, "contact_email"),
        ({"municipalities": ["999"]}, "municipalities.0"),
        ({"municipalities": ["101", "101"]}, "municipalities"),
        ({"id": 7}, "id"),
    ],
)
def test_invalid_create_is_422_and_writes_nothing(
    client: TestClient, app: FastAPI, admin: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=bodies.association(**change), headers=admin)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert bodies.count(app, Association) == 0
    assert bodies.count(app, AuditEvent) == 0


def test_patch_refuses_null_for_required_fields(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    row = make_association(db)
    response = client.patch(f"{URL}/{row.id}", json={"name": None}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "name"
    cleared = client.patch(f"{URL}/{row.id}", json={"contact_email": None}, headers=admin)
    assert cleared.status_code == 200
    assert cleared.json()["contact_email"] is None


def test_stale_if_match_is_412_and_changes_nothing(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    row = make_association(db)
    first = client.patch(
        f"{URL}/{row.id}", json={"name": "Første"}, headers={**admin, "If-Match": '"1"'}
    )
    assert first.status_code == 200
    stale = client.patch(
        f"{URL}/{row.id}", json={"name": "Anden"}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert client.get(f"{URL}/{row.id}", headers=admin).json()["name"] == "Første"
    deleted = client.delete(f"{URL}/{row.id}", headers={**admin, "If-Match": '"1"'})
    assert deleted.status_code == 412


def test_unchanged_patch_keeps_the_etag(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    row = make_association(db)
    response = client.patch(f"{URL}/{row.id}", json={"name": row.name}, headers=admin)
    assert response.headers["etag"] == '"1"'


def test_idempotent_create_replays_the_first_answer(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    headers = {**admin, "Idempotency-Key": "create-assoc-1"}
    first = client.post(URL, json=bodies.association(), headers=headers)
    again = client.post(URL, json=bodies.association(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert again.headers["etag"] == first.headers["etag"]
    assert bodies.count(app, Association) == 1
    other = client.post(URL, json=bodies.association(name="Andet"), headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_association_key_sees_only_its_own_record(
    client: TestClient, keys: Keys, db: Session
) -> None:
    own = make_association(db)
    other = make_association(db, name="Anden forening")
    headers = keys.association(own.id)
    assert [a["id"] for a in client.get(URL, headers=headers).json()["items"]] == [own.id]
    assert client.get(f"{URL}/{own.id}", headers=headers).status_code == 200
    assert client.get(f"{URL}/{other.id}", headers=headers).status_code == 404


def test_coordinators_read_all_associations(client: TestClient, keys: Keys, db: Session) -> None:
    make_association(db)
    make_association(db, municipalities=["751"])
    assert len(client.get(URL, headers=keys.coordinator("101")).json()["items"]) == 2


@pytest.mark.parametrize("role", ["coordinator", "association"])
def test_only_admins_write(client: TestClient, keys: Keys, db: Session, role: str) -> None:
    row = make_association(db)
    headers = keys.coordinator("101") if role == "coordinator" else keys.association(row.id)
    assert client.post(URL, json=bodies.association(), headers=headers).status_code == 403
    assert client.patch(f"{URL}/{row.id}", json={"name": "x"}, headers=headers).status_code == 403
    assert client.delete(f"{URL}/{row.id}", headers=headers).status_code == 403


def test_delete_with_mentors_is_409_and_keys_go_with_the_association(
    client: TestClient, app: FastAPI, keys: Keys, admin: dict[str, str], db: Session
) -> None:
    busy = make_association(db)
    make_mentor(db, busy)
    assert client.delete(f"{URL}/{busy.id}", headers=admin).status_code == 409

    empty = make_association(db, name="Tom")
    headers = keys.association(empty.id)
    assert client.delete(f"{URL}/{empty.id}", headers=admin).status_code == 204
    assert client.get(URL, headers=headers).status_code == 401
    assert bodies.count(app, ApiKey) == 1  # the admin's


def test_writes_are_audited_without_personal_data(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    created = client.post(URL, json=bodies.association(), headers=admin).json()
    client.patch(f"{URL}/{created['id']}", json={"kind": "other"}, headers=admin)
    client.delete(f"{URL}/{created['id']}", headers=admin)
    events = db.query(AuditEvent).order_by(AuditEvent.id).all()
    assert [(e.action, e.resource, e.record_id) for e in events] == [
        ("create", "association", str(created["id"])),
        ("update", "association", str(created["id"])),
        ("delete", "association", str(created["id"])),
    ]
    assert all(e.actor.startswith("key:") and e.request_id for e in events)


def test_an_idempotency_key_expires_after_its_ttl(
    client: TestClient, app: FastAPI, admin: dict[str, str], db: Session
) -> None:
    headers = {**admin, "Idempotency-Key": "expiring"}
    first = client.post(URL, json=bodies.association(), headers=headers).json()
    ttl = app.state.settings.idempotency_ttl_hours
    db.execute(
        update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=ttl, minutes=1))
    )
    db.commit()
    second = client.post(URL, json=bodies.association(), headers=headers)
    assert second.status_code == 201
    assert "idempotent-replayed" not in second.headers
    assert second.json()["id"] != first["id"]
    assert bodies.count(app, IdempotencyRecord) == 1
