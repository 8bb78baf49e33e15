"""Strict input: JSON types are what they say, names hold no control or format characters and
something visible, e-mail addresses are checked by email-validator. Each refusal is a 422
naming the field and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, get_args

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy.orm import Session

from app.models import Association, Mentor, Newcomer, Programme
from tests.app import bodies
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.test_auth import _api_routes


def _refused(response: Any, field: str, message: str = "") -> None:
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field], response.text
    assert message in errors[0]["message"], response.text


#: pydantic's words for a value of the wrong JSON type.
WRONG_TYPE = "Input should be a valid"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("child_certificate", 1),
        ("child_certificate", "yes"),
        ("child_certificate", "off"),
        ("child_certificate", "true"),
        ("active", 0),
        ("capacity", "3"),
        ("capacity", 3.0),
        ("capacity", True),
        ("birth_year", "1980"),
        ("birth_year", 1980.0),
        ("lat", "55.6"),
        ("lat", True),
        ("max_distance_km", "15"),
        ("first_name", 123),
        ("languages", "da"),
    ],
)
def test_mentor_fields_take_only_their_json_type(
    client: TestClient, app: FastAPI, keys: Any, db: Session, field: str, value: object
) -> None:
    association = make_association(db)
    headers = keys.association(association.id)
    body = {**bodies.mentor(lat=55.68, lon=12.57), field: value}
    _refused(client.post("/api/v1/mentors", json=body, headers=headers), field, WRONG_TYPE)
    assert bodies.count(app, Mentor) == 0


def test_numbers_may_be_written_as_integers_where_a_float_is_asked(
    client: TestClient, keys: Any, db: Session
) -> None:
    association = make_association(db)
    body = bodies.mentor(lat=55, lon=12, max_distance_km=15)
    response = client.post("/api/v1/mentors", json=body, headers=keys.association(association.id))
    assert response.status_code == 201, response.text
    assert response.json()["lat"] == 55.0


def test_patch_fields_are_strict_too(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    mentor = make_mentor(db, make_association(db))
    for field, value in [("active", "false"), ("capacity", "2"), ("child_certificate", 0)]:
        response = client.patch(f"/api/v1/mentors/{mentor.id}", json={field: value}, headers=admin)
        _refused(response, field, WRONG_TYPE)
    db.expire_all()
    assert db.get(Mentor, mentor.id).version == 1  # type: ignore[union-attr]
    db.rollback()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("birth_date", 1079308800),
        ("birth_date", "1079308800"),
        ("birth_date", "15-03-2004"),
        ("registered_at", "2025-01-02T03:04:05"),
        ("registered_at", "2025-01-02"),
        ("registered_at", 1735787045),
        ("registered_at", "1735787045"),
        ("active", "yes"),
        ("max_distance_km", True),
    ],
)
def test_newcomer_dates_are_iso_strings_and_times_carry_a_zone(
    client: TestClient, app: FastAPI, admin: dict[str, str], field: str, value: object
) -> None:
    response = client.post(
        "/api/v1/newcomers", json=bodies.newcomer(**{field: value}), headers=admin
    )
    _refused(response, field)
    assert bodies.count(app, Newcomer) == 0


def test_iso_dates_and_zoned_times_are_accepted(client: TestClient, admin: dict[str, str]) -> None:
    body = bodies.newcomer(birth_date="2004-03-15", registered_at="2025-01-02T05:04:05+02:00")
    response = client.post("/api/v1/newcomers", json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["birth_date"] == "2004-03-15"
    registered = datetime.fromisoformat(response.json()["registered_at"])
    assert registered == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/programmes", {"code": "p_x", "name": "P", "active": 1}, "active"),
        ("/api/v1/programmes", {"code": "p_x", "name": "P", "min_age": "10"}, "min_age"),
        (
            "/api/v1/programmes",
            {"code": "p_x", "name": "P", "requires_first_language": "on"},
            "requires_first_language",
        ),
        (
            "/api/v1/api-keys",
            {"name": "k", "role": "association", "association_id": "1"},
            "association_id",
        ),
        (
            "/api/v1/matches",
            {"newcomer_id": "1", "mentor_id": 1, "programme": "mentor"},
            "newcomer_id",
        ),
        (
            "/api/v1/matches",
            {"newcomer_id": 1, "mentor_id": 1.0, "programme": "mentor"},
            "mentor_id",
        ),
        ("/api/v1/match-runs", {"dry_run": "yes"}, "dry_run"),
        ("/api/v1/match-runs", {"dry_run": 1}, "dry_run"),
    ],
)
def test_every_body_is_strict(
    client: TestClient,
    app: FastAPI,
    admin: dict[str, str],
    path: str,
    body: dict[str, Any],
    field: str,
) -> None:
    programmes = bodies.count(app, Programme)
    _refused(client.post(path, json=body, headers=admin), field, WRONG_TYPE)
    assert bodies.count(app, Programme) == programmes


def test_query_parameters_are_strings_and_still_parse(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    association = make_association(db)
    make_mentor(db, association)
    make_newcomer(db)
    mentors = client.get(
        "/api/v1/mentors",
        params={"active": "true", "association_id": str(association.id), "limit": "5"},
        headers=admin,
    )
    assert mentors.status_code == 200, mentors.text
    assert len(mentors.json()["items"]) == 1
    newcomers = client.get("/api/v1/newcomers", params={"active": "false"}, headers=admin)
    assert newcomers.status_code == 200
    assert newcomers.json()["items"] == []


INVISIBLE_OR_CONTROL = [
    "Ana\u0085",  # NEL, a C1 control
    "Ana\u009b31m",  # CSI, a C1 control
    "Ana\u2028Bo",  # line separator
    "Ana\u2029Bo",  # paragraph separator
    "Ana\u202eoB",  # right-to-left override
    "Ana\u2066Bo\u2069",  # isolates
    "Ana\u200bBo",  # zero-width space
    "\ufeffAna",  # byte order mark
    "An\u00ada",  # soft hyphen
    "Ana\tBo",  # C0
    "Ana\x7f",  # DEL
]
ONLY_INVISIBLE = [
    "\u3164",  # Hangul filler
    "\u2800\u2800",  # braille blank
    "\u0301\u0308",  # combining marks alone
    "\u115f\u1160",  # Hangul choseong / jungseong fillers
    "\ufe0f",  # a variation selector
]


@pytest.mark.parametrize("name", INVISIBLE_OR_CONTROL + ONLY_INVISIBLE)
def test_names_refuse_control_format_and_invisible_only_text(
    client: TestClient, app: FastAPI, admin: dict[str, str], name: str
) -> None:
    response = client.post(
        "/api/v1/newcomers", json=bodies.newcomer(first_name=name), headers=admin
    )
    _refused(response, "first_name")
    response = client.post(
        "/api/v1/associations", json=bodies.association(name=name), headers=admin
    )
    _refused(response, "name")
    response = client.post(
        "/api/v1/programmes", json={"code": "p_x", "name": "P", "description": name}, headers=admin
    )
    if name in INVISIBLE_OR_CONTROL:
        _refused(response, "description")
    assert bodies.count(app, Newcomer) == 0
    assert bodies.count(app, Association) == 0


@pytest.mark.parametrize(
    "name", ["Åse Ødegård", "Nguyễn Văn A", "محمد", "Ǆemal", "O'Neil-Smith", "李"]
)
def test_names_in_any_script_are_accepted(
    client: TestClient, admin: dict[str, str], name: str
) -> None:
    response = client.post(
        "/api/v1/newcomers", json=bodies.newcomer(first_name=name), headers=admin
    )
    assert response.status_code == 201, response.text
    assert response.json()["first_name"] == name


@pytest.mark.parametrize(
    "email",
    [
        "a@b@c.org",
        "a..b@example.org",
        "a@example",
        "Name <a@example.org>",
        "a@localhost",
        "@example.org",
    ],
)
def test_email_addresses_are_checked_by_email_validator(
    client: TestClient, app: FastAPI, admin: dict[str, str], keys: Any, db: Session, email: str
) -> None:
    response = client.post(
        "/api/v1/associations", json=bodies.association(contact_email=email), headers=admin
    )
    _refused(response, "contact_email")
    association = make_association(db)
    response = client.post(
        "/api/v1/mentors", json=bodies.mentor(email=email), headers=keys.association(association.id)
    )
    _refused(response, "email")
    assert bodies.count(app, Mentor) == 0


def test_a_valid_email_address_is_stored_normalised(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = bodies.association(contact_email="Frivillig@Example.ORG")
    response = client.post("/api/v1/associations", json=body, headers=admin)
    assert response.status_code == 201, response.text
    assert response.json()["contact_email"] == "Frivillig@example.org"


def test_every_request_body_model_is_strict_and_closed(app: FastAPI) -> None:
    """A future body model cannot forget the rule: every body of every route is strict and
    refuses unknown fields."""
    models: set[type[BaseModel]] = set()
    for dependant in _api_routes(app).values():
        for param in dependant.body_params:
            annotation = param.field_info.annotation
            for candidate in (annotation, *get_args(annotation)):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    models.add(candidate)
    assert len(models) >= 10
    loose = [m.__name__ for m in models if not m.model_config.get("strict")]
    open_ = [m.__name__ for m in models if m.model_config.get("extra") != "forbid"]
    assert loose == []
    assert open_ == []


def test_unknown_query_parameters_are_refused_after_the_key(
    client: TestClient, admin: dict[str, str]
) -> None:
    response = client.get("/api/v1/newcomers", params={"municipalty": "101"}, headers=admin)
    _refused(response, "municipalty", "unknown query parameter")
    assert client.get("/api/v1/programmes?=true", headers=admin).status_code == 422
    # Declared ones, the pagination's included, still work; without a key it is a 401.
    ok = client.get("/api/v1/newcomers", params={"municipality": "101", "limit": 2}, headers=admin)
    assert ok.status_code == 200
    assert client.get("/api/v1/newcomers", params={"municipalty": "101"}).status_code == 401


@pytest.mark.parametrize(
    "path", ["/api/v1/newcomers", "/api/v1/mentors", "/api/v1/matches", "/api/v1/reports/summary"]
)
@pytest.mark.parametrize("value", ["Ù", "10", "1011", "abc"])
def test_a_municipality_filter_is_a_kommunekode(
    client: TestClient, admin: dict[str, str], path: str, value: str
) -> None:
    """Three digits, as every municipality field; anything else is a 422 naming it (before,
    the lists answered an empty page to ``?municipality=Ù``)."""
    response = client.get(path, params={"municipality": value}, headers=admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["municipality"]
    assert client.get(path, params={"municipality": "101"}, headers=admin).status_code == 200


def test_a_query_parameter_given_twice_is_refused(
    client: TestClient, admin: dict[str, str]
) -> None:
    """One value per parameter: the second would otherwise silently replace the first."""
    response = client.get("/api/v1/reports/summary?programme=mentor&programme=x", headers=admin)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["programme"]
    response = client.get("/api/v1/newcomers?limit=5&limit=6", headers=admin)
    assert response.status_code == 422
    assert client.get("/api/v1/newcomers?limit=5", headers=admin).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/follow-ups?due_before=0",
        "/api/v1/follow-ups/export?due_before=1700000000",
        "/api/v1/reports/retention?on=0",
        "/api/v1/reports/retention/export?on=2026-13-01",
    ],
)
def test_date_query_parameters_are_iso_dates(
    client: TestClient, admin: dict[str, str], path: str
) -> None:
    """``YYYY-MM-DD`` only, as in bodies: a number is not read as a Unix time."""
    response = client.get(path, headers=admin)
    assert response.status_code == 422, response.text
    assert client.get(path.split("=")[0] + "=2026-12-01", headers=admin).status_code == 200
