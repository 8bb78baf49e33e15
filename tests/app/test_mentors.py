"""``/api/v1/mentors``: association keys own their mentors; admins see all; coordinators none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Association, AuditEvent, Match, Mentor
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

URL = "/api/v1/mentors"


@pytest.fixture
def two(db: Session) -> tuple[Association, Association]:
    """Two associations."""
    return make_association(db), make_association(db, name="Idrætsklub", kind="sports_club")


def test_association_key_crud(
    client: TestClient, keys: Keys, two: tuple[Association, Association]
) -> None:
    own, _ = two
    headers = keys.association(own.id)
    created = client.post(URL, json=bodies.mentor(), headers=headers)
    assert created.status_code == 201, created.text
    mentor = created.json()
    assert mentor["association_id"] == own.id
    assert mentor["languages"] == ["da", "en"]
    assert mentor["accepts_genders"] is None
    assert created.headers["etag"] == '"1"'

    got = client.get(f"{URL}/{mentor['id']}", headers=headers)
    assert got.json() == mentor
    assert [m["id"] for m in client.get(URL, headers=headers).json()["items"]] == [mentor["id"]]

    patched = client.patch(
        f"{URL}/{mentor['id']}",
        json={"capacity": 3, "accepts_genders": ["female", "male"], "interests": ["Chess"]},
        headers={**headers, "If-Match": got.headers["etag"]},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["capacity"] == 3
    assert patched.json()["interests"] == ["chess"]
    assert patched.headers["etag"] == '"2"'

    assert client.delete(f"{URL}/{mentor['id']}", headers=headers).status_code == 204
    assert client.get(f"{URL}/{mentor['id']}", headers=headers).status_code == 404


def test_admin_names_the_association(
    client: TestClient, app: FastAPI, admin: dict[str, str], two: tuple[Association, Association]
) -> None:
    missing = client.post(URL, json=bodies.mentor(), headers=admin)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "association_id"
    unknown = client.post(URL, json=bodies.mentor(association_id=99999), headers=admin)
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "association_id"
    assert bodies.count(app, Mentor) == 0
    created = client.post(URL, json=bodies.mentor(association_id=two[1].id), headers=admin)
    assert created.status_code == 201
    assert created.json()["association_id"] == two[1].id
    moved = client.patch(
        f"{URL}/{created.json()['id']}", json={"association_id": two[0].id}, headers=admin
    )
    assert moved.json()["association_id"] == two[0].id


def _this_year() -> int:
    return datetime.now(UTC).year


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"languages": []}, "languages"),
        ({"languages": ["xx"]}, "languages.0"),
        ({"languages": ["da", "DA"]}, "languages.1"),
        ({"languages": ["da", "da"]}, "languages"),
        ({"municipality": "999"}, "municipality"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": 21}, "capacity"),
        ({"programmes": []}, "programmes"),
        ({"programmes": ["mentor", "knitting"]}, "programmes.1"),
        ({"programmes": ["language_buddy"], "languages": ["en"]}, "programmes.0"),
        ({"gender": "robot"}, "gender"),
        ({"accepts_genders": []}, "accepts_genders"),
        ({"accepts_genders": ["any"]}, "accepts_genders.0"),
        ({"lat": 91, "lon": 10}, "lat"),
        ({"lat": 55, "lon": 181}, "lon"),
        ({"lat": 55.7}, "lat"),
        ({"birth_year": _this_year() + 1}, "birth_year"),
        ({"birth_year": 1800}, "birth_year"),
        ({"email": "no-at-sign"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"first_name": "Tab\there"}, "first_name"),
        ({"first_name": ""}, "first_name"),
        ({"max_distance_km": -1}, "max_distance_km"),
        ({"child_certificate": "perhaps"}, "child_certificate"),
        ({"version": 9}, "version"),
    ],
)
def test_invalid_mentor_is_422_naming_the_field_and_writes_nothing(
    client: TestClient,
    app: FastAPI,
    keys: Keys,
    two: tuple[Association, Association],
    change: dict[str, Any],
    field: str,
) -> None:
    body = {k: v for k, v in bodies.mentor(**change).items()}
    response = client.post(URL, json=body, headers=keys.association(two[0].id))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in response.json()["errors"]]
    assert bodies.count(app, Mentor) == 0
    assert bodies.count(app, AuditEvent) == 0


def test_invalid_patch_is_422_and_changes_nothing(
    client: TestClient, admin: dict[str, str], two: tuple[Association, Association], db: Session
) -> None:
    mentor = make_mentor(db, two[0])
    for change, field in [
        ({"capacity": 0}, "capacity"),
        ({"languages": None}, "languages"),
        ({"lat": 55.0}, "lat"),
        ({"languages": ["en"]}, "programmes.2"),
    ]:
        response = client.patch(f"{URL}/{mentor.id}", json=change, headers=admin)
        assert response.status_code == 422, change
        assert response.json()["errors"][0]["field"] == field
    assert client.get(f"{URL}/{mentor.id}", headers=admin).headers["etag"] == '"1"'


def test_bola_across_two_associations(
    client: TestClient, keys: Keys, two: tuple[Association, Association], db: Session
) -> None:
    a, b = two
    mine = make_mentor(db, a)
    theirs = make_mentor(db, b)
    headers = keys.association(a.id)
    assert [m["id"] for m in client.get(URL, headers=headers).json()["items"]] == [mine.id]
    filtered = client.get(URL, params={"association_id": b.id}, headers=headers)
    assert filtered.json()["items"] == []
    assert client.get(f"{URL}/{theirs.id}", headers=headers).status_code == 404
    patched = client.patch(f"{URL}/{theirs.id}", json={"capacity": 5}, headers=headers)
    assert patched.status_code == 404
    assert client.delete(f"{URL}/{theirs.id}", headers=headers).status_code == 404
    assert client.get(f"{URL}/{theirs.id}", headers=keys.association(b.id)).status_code == 200


def test_mass_assignment_of_the_owner_is_refused(
    client: TestClient, app: FastAPI, keys: Keys, two: tuple[Association, Association], db: Session
) -> None:
    a, b = two
    headers = keys.association(a.id)
    create = client.post(URL, json=bodies.mentor(association_id=b.id), headers=headers)
    assert create.status_code == 403
    assert bodies.count(app, Mentor) == 0
    same = client.post(URL, json=bodies.mentor(association_id=a.id), headers=headers)
    assert same.status_code == 201
    move = client.patch(
        f"{URL}/{same.json()['id']}", json={"association_id": b.id}, headers=headers
    )
    assert move.status_code == 403
    db.expire_all()
    assert db.get(Mentor, same.json()["id"]).association_id == a.id  # type: ignore[union-attr]


def test_coordinators_may_not_use_mentors(
    client: TestClient, keys: Keys, two: tuple[Association, Association], db: Session
) -> None:
    mentor = make_mentor(db, two[0])
    headers = keys.coordinator("101")
    assert client.get(URL, headers=headers).status_code == 403
    assert client.get(f"{URL}/{mentor.id}", headers=headers).status_code == 403
    assert client.post(URL, json=bodies.mentor(), headers=headers).status_code == 403


def test_filters(
    client: TestClient, admin: dict[str, str], two: tuple[Association, Association], db: Session
) -> None:
    a, b = two
    m1 = make_mentor(db, a, municipality="101")
    m2 = make_mentor(db, b, municipality="751", active=False)

    def ids(**params: Any) -> list[int]:
        return [m["id"] for m in client.get(URL, params=params, headers=admin).json()["items"]]

    assert ids() == [m1.id, m2.id]
    assert ids(association_id=b.id) == [m2.id]
    assert ids(municipality="101") == [m1.id]
    assert ids(active=False) == [m2.id]


def test_idempotent_create(
    client: TestClient, app: FastAPI, keys: Keys, two: tuple[Association, Association]
) -> None:
    headers = {**keys.association(two[0].id), "Idempotency-Key": "m-1"}
    first = client.post(URL, json=bodies.mentor(), headers=headers)
    again = client.post(URL, json=bodies.mentor(), headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert bodies.count(app, Mentor) == 1


def test_stale_etag_is_412(
    client: TestClient, admin: dict[str, str], two: tuple[Association, Association], db: Session
) -> None:
    mentor = make_mentor(db, two[0])
    client.patch(f"{URL}/{mentor.id}", json={"capacity": 2}, headers=admin)
    stale = client.patch(
        f"{URL}/{mentor.id}", json={"capacity": 3}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert client.get(f"{URL}/{mentor.id}", headers=admin).json()["capacity"] == 2


def test_delete_takes_the_mentors_matches(
    client: TestClient,
    app: FastAPI,
    admin: dict[str, str],
    two: tuple[Association, Association],
    db: Session,
) -> None:
    mentor = make_mentor(db, two[0])
    newcomer = make_newcomer(db)
    db.add(
        Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="proposed",
            source="manual",
        )
    )
    db.commit()
    assert client.delete(f"{URL}/{mentor.id}", headers=admin).status_code == 204
    assert bodies.count(app, Match) == 0
    events = db.query(AuditEvent).filter_by(resource="mentor").all()
    assert [(e.action, e.record_id) for e in events] == [("delete", str(mentor.id))]
