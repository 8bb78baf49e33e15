"""Stored create answers (Idempotency-Key) hold personal data: they follow corrections and
expire after their time to live whether or not the key is replayed."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import IdempotencyRecord
from tests.app import bodies


def _stored_names(db: Session) -> list[str]:
    rows = db.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)).all()
    names = [r.response_body.get("first_name", "") for r in rows]
    db.rollback()  # end the read: SQLite's write lock is taken at BEGIN
    return names


def test_a_correction_removes_the_stored_copy_of_the_old_data(
    db: Session, client: TestClient, admin: dict[str, str]
) -> None:
    created = client.post(
        "/api/v1/newcomers",
        json=bodies.newcomer(first_name="Wrongname"),
        headers={**admin, "Idempotency-Key": "form-1"},
    )
    assert created.status_code == 201
    assert _stored_names(db) == ["Wrongname"]

    fixed = client.patch(
        f"/api/v1/newcomers/{created.json()['id']}", json={"first_name": "Rightname"}, headers=admin
    )
    assert fixed.status_code == 200
    assert _stored_names(db) == []


def test_expired_answers_are_deleted_on_the_next_create(
    db: Session, client: TestClient, admin: dict[str, str]
) -> None:
    for key in ("old", "new"):
        response = client.post(
            "/api/v1/newcomers",
            json=bodies.newcomer(first_name=key.title()),
            headers={**admin, "Idempotency-Key": key},
        )
        assert response.status_code == 201
        if key == "old":
            db.execute(update(IdempotencyRecord).values(created_at=utcnow() - timedelta(hours=25)))
            db.commit()
    assert _stored_names(db) == ["New"]
