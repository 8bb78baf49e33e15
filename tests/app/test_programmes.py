"""``/api/v1/programmes``: everyone reads, admins add and change."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Match, Programme
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

URL = "/api/v1/programmes"
SEEDED = 7


def programme(**fields: Any) -> dict[str, Any]:
    return {
        "code": "youth_football",
        "name": "Ungdomsfodbold",
        "description": "Football with a local club",
        "min_age": 12,
        "max_age": 18,
        **fields,
    }


def test_seeded_programmes_are_listed_by_code(client: TestClient, keys: Keys, db: Session) -> None:
    association = make_association(db)
    headers = keys.association(association.id)
    listed = client.get(URL, params={"limit": 500}, headers=headers).json()
    codes = [p["code"] for p in listed["items"]]
    assert len(codes) == SEEDED
    assert codes == sorted(codes)
    lets = client.get(f"{URL}/lets_network", headers=keys.coordinator("101"))
    assert lets.status_code == 200
    assert lets.json()["max_age"] == 24
    assert lets.headers["etag"] == '"1"'


def test_admin_creates_and_updates(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post(URL, json=programme(), headers=admin)
    assert created.status_code == 201, created.text
    assert created.headers["location"] == f"{URL}/youth_football"
    assert client.post(URL, json=programme(), headers=admin).status_code == 409
    patched = client.patch(
        f"{URL}/youth_football", json={"active": False}, headers={**admin, "If-Match": '"1"'}
    )
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    stale = client.patch(
        f"{URL}/youth_football", json={"active": True}, headers={**admin, "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    inactive = client.get(URL, params={"active": False}, headers=admin).json()["items"]
    assert [p["code"] for p in inactive] == ["youth_football"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"code": "Has Spaces"}, "code"),
        ({"min_age": 30, "max_age": 20}, "min_age"),
        ({"max_age": 200}, "max_age"),
        ({"requires_language": "xx"}, "requires_language"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_programme_is_422_and_writes_nothing(
    client: TestClient, app: FastAPI, admin: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=programme(**change), headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert bodies.count(app, Programme) == SEEDED


def test_patch_keeps_age_bounds_in_order(client: TestClient, admin: dict[str, str]) -> None:
    response = client.patch(f"{URL}/lets_network", json={"min_age": 30}, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "min_age"


def test_only_admins_write(client: TestClient, keys: Keys) -> None:
    coordinator = keys.coordinator("101")
    assert client.post(URL, json=programme(), headers=coordinator).status_code == 403
    patched = client.patch(f"{URL}/mentor", json={"name": "x"}, headers=coordinator)
    assert patched.status_code == 403


def test_unknown_programme_is_404(client: TestClient, admin: dict[str, str]) -> None:
    assert client.get(f"{URL}/no_such_thing", headers=admin).status_code == 404


def test_the_seeds_have_a_household_and_a_group_programme(
    client: TestClient, admin: dict[str, str]
) -> None:
    family = client.get(f"{URL}/network_family", headers=admin).json()
    assert (family["unit"], family["group_min"], family["group_max"]) == ("household", None, None)
    group = client.get(f"{URL}/mindspring", headers=admin).json()
    assert (group["unit"], group["group_min"], group["group_max"]) == ("group", 6, 10)
    assert client.get(f"{URL}/mentor", headers=admin).json()["unit"] == "person"


def test_an_admin_adds_a_food_club_as_a_group_programme_and_resizes_it(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = programme(code="food_club", min_age=None, max_age=None, unit="group")
    created = client.post(URL, json={**body, "group_min": 4, "group_max": 8}, headers=admin)
    assert created.status_code == 201, created.text
    assert (created.json()["group_min"], created.json()["group_max"]) == (4, 8)
    resized = client.patch(
        f"{URL}/food_club", json={"group_max": 12}, headers={**admin, "If-Match": '"1"'}
    )
    assert resized.status_code == 200, resized.text
    assert resized.json()["group_max"] == 12
    personal = client.patch(f"{URL}/food_club", json={"unit": "person"}, headers=admin)
    assert personal.status_code == 200, personal.text
    assert (personal.json()["group_min"], personal.json()["group_max"]) == (None, None)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"unit": "group", "group_max": 8}, "group_min"),
        ({"unit": "group", "group_min": 4}, "group_max"),
        ({"unit": "group", "group_min": 9, "group_max": 8}, "group_min"),
        ({"unit": "household", "group_min": 2, "group_max": 4}, "group_min"),
        ({"group_max": 4}, "group_max"),
        ({"unit": "group", "group_min": 0, "group_max": 4}, "group_min"),
        ({"unit": "team"}, "unit"),
    ],
)
def test_group_sizes_are_set_exactly_for_group_programmes(
    client: TestClient, admin: dict[str, str], fields: dict[str, Any], field: str
) -> None:
    refused = client.post(URL, json=programme(code="cafe", **fields), headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"].split(".")[-1] == field
    assert client.get(f"{URL}/cafe", headers=admin).status_code == 404


def test_a_group_programme_keeps_its_sizes_consistent_on_patch(
    client: TestClient, admin: dict[str, str]
) -> None:
    too_small = client.patch(f"{URL}/mindspring", json={"group_max": 5}, headers=admin)
    assert too_small.status_code == 422
    assert too_small.json()["errors"][0]["field"] == "group_min"
    unset = client.patch(f"{URL}/mindspring", json={"group_min": None}, headers=admin)
    assert unset.status_code == 422
    assert unset.json()["errors"][0]["field"] == "group_min"


def test_a_group_max_below_a_trainers_accepted_group_is_refused(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    body = programme(code="food_club", min_age=None, max_age=None, unit="group")
    created = client.post(URL, json={**body, "group_min": 2, "group_max": 8}, headers=admin)
    assert created.status_code == 201, created.text
    trainer = make_mentor(db, make_association(db), programmes=["food_club", "mentor"])
    for code in ("food_club", "mentor"):
        for _ in range(3):
            db.add(
                Match(
                    newcomer_id=make_newcomer(db, programmes=[code]).id,
                    mentor_id=trainer.id,
                    programme=code,
                    status="accepted",
                    source="manual",
                )
            )
    db.commit()

    too_small = client.patch(f"{URL}/food_club", json={"group_max": 2}, headers=admin)
    assert too_small.status_code == 409, too_small.text
    assert too_small.json()["errors"][0]["field"] == "group_max"
    assert client.get(f"{URL}/food_club", headers=admin).json()["group_max"] == 8
    fits = client.patch(f"{URL}/food_club", json={"group_max": 3}, headers=admin)
    assert fits.status_code == 200, fits.text

    to_group = {"unit": "group", "group_min": 1, "group_max": 2}
    refused = client.patch(f"{URL}/mentor", json=to_group, headers=admin)
    assert refused.status_code == 409, refused.text
    assert refused.json()["errors"][0]["field"] == "group_max"
    assert client.get(f"{URL}/mentor", headers=admin).json()["unit"] == "person"
