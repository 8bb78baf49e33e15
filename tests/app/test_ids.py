"""Ids are never reused: an erased record's id is not given to the next record, so nothing
that names an id (the audit log, an export, a client's copy) ever points at someone else."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from app.db import Base
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

NEWCOMERS = "/api/v1/newcomers"


def test_an_erased_newcomers_id_and_trail_never_pass_to_the_next_newcomer(
    client: TestClient, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    erased = client.post(NEWCOMERS, json=bodies.newcomer(), headers=coordinator).json()["id"]
    client.get(f"{NEWCOMERS}/{erased}", headers=coordinator)
    client.patch(f"{NEWCOMERS}/{erased}", json={"interests": ["chess"]}, headers=coordinator)
    assert client.delete(f"{NEWCOMERS}/{erased}", headers=coordinator).status_code == 204

    created = client.post(NEWCOMERS, json=bodies.newcomer(), headers=coordinator).json()["id"]
    export = client.get(f"{NEWCOMERS}/{created}/export", headers=coordinator).json()

    assert created > erased
    assert [(a["action"], a["record_id"]) for a in export["audit"]] == [("create", str(created))]


def test_an_erased_match_id_is_never_given_to_the_next_match(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    mentor = make_mentor(db, make_association(db), capacity=2)
    first, second = make_newcomer(db), make_newcomer(db)

    def propose(newcomer_id: int) -> int:
        body = {"newcomer_id": newcomer_id, "mentor_id": mentor.id, "programme": "mentor"}
        response = client.post("/api/v1/matches", json=body, headers=coordinator)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    erased = propose(first.id)
    assert client.delete(f"{NEWCOMERS}/{first.id}", headers=coordinator).status_code == 204

    assert propose(second.id) > erased


def test_ids_of_deleted_mentors_and_of_keys_gone_with_their_association_are_not_reused(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    association = make_association(db)
    mentor = client.post(
        "/api/v1/mentors", json=bodies.mentor(association_id=association.id), headers=admin
    ).json()["id"]
    assert client.delete(f"/api/v1/mentors/{mentor}", headers=admin).status_code == 204
    again = client.post(
        "/api/v1/mentors", json=bodies.mentor(association_id=association.id), headers=admin
    ).json()["id"]
    assert again > mentor

    other = make_association(db, name="Anden forening")
    key_body = {"name": "Forening", "role": "association", "association_id": other.id}
    key = client.post("/api/v1/api-keys", json=key_body, headers=admin).json()["id"]
    assert client.delete(f"/api/v1/associations/{other.id}", headers=admin).status_code == 204
    next_key = client.post("/api/v1/api-keys", json={"name": "Ny", "role": "admin"}, headers=admin)
    assert next_key.json()["id"] > key


def test_every_table_with_an_integer_id_is_autoincrement_on_sqlite(app: FastAPI) -> None:
    """The migrations' schema, as built: a later batch rebuild that drops AUTOINCREMENT fails
    here (pass ``table_kwargs={"sqlite_autoincrement": True}`` to ``batch_alter_table``)."""
    engine = app.state.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL sequences never reuse a value")
    with_ids = [
        name
        for name in inspect(engine).get_table_names()
        if name in Base.metadata.tables
        and [c.name for c in Base.metadata.tables[name].primary_key.columns] == ["id"]
    ]
    assert len(with_ids) >= 9
    with engine.connect() as connection:
        for name in with_ids:
            sql = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :n"),
                {"n": name},
            ).scalar_one()
            assert "AUTOINCREMENT" in sql, name
