"""``/api/v1/matches``: scope, manual matches, and every transition, legal and illegal."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import AuditEvent, Match
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer


def make_match(session: Session, newcomer_id: int, mentor_id: int, **fields: Any) -> Match:
    """A match row (a solver proposal unless told otherwise), committed."""
    values: dict[str, Any] = {
        "newcomer_id": newcomer_id,
        "mentor_id": mentor_id,
        "programme": "mentor",
        "status": "proposed",
        "source": "solver",
        "score": 0.8,
        "components": {"language": 1.0, "distance": 1.0, "interests": 1.0, "age": 0.2},
        "distance_km": 0.0,
    }
    values.update(fields)
    row = Match(**values)
    session.add(row)
    session.commit()
    return row


@pytest.fixture
def world(db: Session) -> dict[str, Any]:
    """Two associations, two mentors, newcomers in 101 and 751, proposals between them."""
    red_cross = make_association(db)
    club = make_association(db, name="Klub", kind="sports_club")
    m1 = make_mentor(db, red_cross, capacity=1)
    m2 = make_mentor(db, club, capacity=2)
    n1 = make_newcomer(db, first_name="Amira", municipality="101")
    n2 = make_newcomer(db, municipality="751", programmes=["mentor", "lets_network"])
    p1 = make_match(db, n1.id, m1.id)
    p2 = make_match(db, n2.id, m2.id)
    return {"club": club, "m1": m1, "m2": m2, "n1": n1, "n2": n2, "p1": p1, "p2": p2}


def test_list_is_scoped_by_role(client: TestClient, keys: Keys, world: dict[str, Any]) -> None:
    admin = client.get("/api/v1/matches", headers=keys.admin()).json()
    assert [m["id"] for m in admin["items"]] == [world["p1"].id, world["p2"].id]
    assert admin["next_cursor"] is None

    aarhus = client.get("/api/v1/matches", headers=keys.coordinator("751")).json()
    assert [m["id"] for m in aarhus["items"]] == [world["p2"].id]

    club = client.get("/api/v1/matches", headers=keys.association(world["club"].id)).json()
    assert [m["id"] for m in club["items"]] == [world["p2"].id]
    item = club["items"][0]
    assert set(item["newcomer"]) == {"first_name", "age", "languages", "municipality", "programme"}
    assert "newcomer_id" not in item and "score" not in item


def test_list_filters(client: TestClient, keys: Keys, world: dict[str, Any], db: Session) -> None:
    make_match(db, world["n2"].id, world["m1"].id, programme="lets_network", status="rejected")
    admin = keys.admin()

    def ids(**params: Any) -> list[int]:
        answer = client.get("/api/v1/matches", headers=admin, params=params)
        assert answer.status_code == 200, answer.text
        return [m["id"] for m in answer.json()["items"]]

    assert len(ids(status="rejected")) == 1
    assert ids(newcomer_id=world["n1"].id) == [world["p1"].id]
    assert ids(mentor_id=world["m2"].id) == [world["p2"].id]
    assert ids(municipality="101") == [world["p1"].id]
    assert len(ids(programme="lets_network")) == 1
    assert len(ids(limit=1)) == 1
    assert client.get("/api/v1/matches?status=bogus", headers=admin).status_code == 422


def test_association_reads_only_what_a_mentor_needs(
    client: TestClient, keys: Keys, world: dict[str, Any]
) -> None:
    red_cross_id = world["m1"].association_id
    answer = client.get(f"/api/v1/matches/{world['p1'].id}", headers=keys.association(red_cross_id))
    assert answer.status_code == 200
    body = answer.json()
    assert body["newcomer"] == {
        "first_name": "Amira",
        "age": body["newcomer"]["age"],
        "languages": ["ar", "en"],
        "municipality": "101",
        "programme": "mentor",
    }
    assert "Eksempel" not in answer.text  # no last name
    other = client.get(f"/api/v1/matches/{world['p2'].id}", headers=keys.association(red_cross_id))
    assert other.status_code == 404


def test_out_of_scope_is_404_and_decisions_are_staff_only(
    client: TestClient, keys: Keys, world: dict[str, Any]
) -> None:
    p1 = world["p1"].id
    assert client.get(f"/api/v1/matches/{p1}", headers=keys.coordinator("751")).status_code == 404
    accept = client.post(f"/api/v1/matches/{p1}/accept", headers=keys.coordinator("751"))
    assert accept.status_code == 404
    assert client.get("/api/v1/matches/999999", headers=keys.admin()).status_code == 404
    club = keys.association(world["club"].id)
    assert client.post(f"/api/v1/matches/{world['p2'].id}/accept", headers=club).status_code == 403
    assert client.get("/api/v1/matches").status_code == 401


def test_accept_then_end(
    client: TestClient, keys: Keys, world: dict[str, Any], db: Session
) -> None:
    headers = keys.coordinator("101")
    url = f"/api/v1/matches/{world['p1'].id}"
    etag = client.get(url, headers=headers).headers["ETag"]
    accepted = client.post(f"{url}/accept", headers={**headers, "If-Match": etag})
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["decided_at"] is not None
    assert accepted.headers["ETag"] != etag

    again = client.post(f"{url}/accept", headers=headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")

    ended = client.post(f"{url}/end", headers=headers, json={"reason": "moved away"})
    assert ended.status_code == 200
    assert ended.json()["status"] == "ended"
    assert ended.json()["reason"] == "moved away"
    assert ended.json()["ended_at"] is not None
    assert client.post(f"{url}/end", headers=headers, json={"reason": "x"}).status_code == 409
    assert client.post(f"{url}/reject", headers=headers, json={"reason": "x"}).status_code == 409
    assert client.post(f"{url}/accept", headers=headers).status_code == 409
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.resource == "match")).all()
    assert sorted(actions) == ["accept", "end"]


def test_reject_and_illegal_moves(client: TestClient, keys: Keys, world: dict[str, Any]) -> None:
    headers = keys.admin()
    url = f"/api/v1/matches/{world['p1'].id}"
    assert client.post(f"{url}/end", headers=headers, json={"reason": "x"}).status_code == 409
    assert client.post(f"{url}/reject", headers=headers, json={}).status_code == 422
    rejected = client.post(f"{url}/reject", headers=headers, json={"reason": "no chemistry"})
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["reason"] == "no chemistry"
    assert client.post(f"{url}/accept", headers=headers).status_code == 409
    assert client.post(f"{url}/reject", headers=headers, json={"reason": "x"}).status_code == 409
    assert client.post(f"{url}/end", headers=headers, json={"reason": "x"}).status_code == 409


def test_superseded_cannot_be_accepted(
    client: TestClient, keys: Keys, world: dict[str, Any], db: Session
) -> None:
    old = make_match(db, world["n1"].id, world["m2"].id, status="superseded")
    answer = client.post(f"/api/v1/matches/{old.id}/accept", headers=keys.admin())
    assert answer.status_code == 409


def test_stale_if_match_is_412(client: TestClient, keys: Keys, world: dict[str, Any]) -> None:
    headers = {**keys.admin(), "If-Match": '"999"'}
    url = f"/api/v1/matches/{world['p1'].id}"
    assert client.post(f"{url}/accept", headers=headers).status_code == 412
    assert client.post(f"{url}/reject", headers=headers, json={"reason": "x"}).status_code == 412
    assert client.get(url, headers=keys.admin()).json()["status"] == "proposed"


def test_full_mentor_is_409(
    client: TestClient, keys: Keys, world: dict[str, Any], db: Session
) -> None:
    other = make_newcomer(db)
    make_match(db, other.id, world["m1"].id, status="accepted")
    answer = client.post(f"/api/v1/matches/{world['p1'].id}/accept", headers=keys.admin())
    assert answer.status_code == 409
    assert "no place left" in answer.json()["detail"]


def test_accept_for_an_inactive_newcomer_is_409(
    client: TestClient, keys: Keys, world: dict[str, Any], db: Session
) -> None:
    world["n1"].active = False
    db.commit()
    url = f"/api/v1/matches/{world['p1'].id}"
    answer = client.post(f"{url}/accept", headers=keys.admin())
    assert answer.status_code == 409
    assert "newcomer is not active" in answer.json()["detail"]
    assert client.get(url, headers=keys.admin()).json()["status"] == "proposed"


def test_accept_for_a_programme_no_longer_requested_is_409(
    client: TestClient, keys: Keys, world: dict[str, Any], db: Session
) -> None:
    network = make_match(db, world["n2"].id, world["m1"].id, programme="lets_network")
    world["n2"].programmes = ["mentor"]
    db.commit()
    url = f"/api/v1/matches/{network.id}"
    answer = client.post(f"{url}/accept", headers=keys.admin())
    assert answer.status_code == 409
    assert "no longer asks for this programme" in answer.json()["detail"]
    assert client.get(url, headers=keys.admin()).json()["status"] == "proposed"


def test_a_pair_is_live_once_over_all_programmes(world: dict[str, Any], db: Session) -> None:
    # p2 proposes m2 for n2's `mentor` request: the schema itself refuses the same pair
    # proposed or accepted again in another programme (a newcomer never gets one mentor twice).
    for status in ("accepted", "proposed"):
        with pytest.raises(IntegrityError):
            make_match(db, world["n2"].id, world["m2"].id, programme="lets_network", status=status)
        db.rollback()
    # Decided rows of the pair do not count.
    make_match(db, world["n2"].id, world["m2"].id, programme="lets_network", status="rejected")
    with pytest.raises(IntegrityError):
        make_match(db, world["n2"].id, world["m2"].id, status="done")  # not a status
    db.rollback()


def test_accept_closes_the_request(
    client: TestClient, keys: Keys, world: dict[str, Any], db: Session
) -> None:
    rival = make_match(db, world["n1"].id, world["m2"].id, source="manual")
    headers = keys.admin()
    assert (
        client.post(f"/api/v1/matches/{world['p1'].id}/accept", headers=headers).status_code == 200
    )
    assert client.get(f"/api/v1/matches/{rival.id}", headers=headers).json()["status"] == (
        "superseded"
    )
    assert client.post(f"/api/v1/matches/{rival.id}/accept", headers=headers).status_code == 409


def test_manual_match(client: TestClient, keys: Keys, world: dict[str, Any], db: Session) -> None:
    newcomer = make_newcomer(db, municipality="101", programmes=["mentor", "language_buddy"])
    headers = {**keys.coordinator("101"), "Idempotency-Key": "abc"}
    body = {"newcomer_id": newcomer.id, "mentor_id": world["m1"].id, "programme": "mentor"}
    created = client.post("/api/v1/matches", headers=headers, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "proposed"
    assert created.json()["source"] == "manual"
    assert created.headers["Location"] == f"/api/v1/matches/{created.json()['id']}"
    replay = client.post("/api/v1/matches", headers=headers, json=body)
    assert replay.json()["id"] == created.json()["id"]
    count = db.scalar(select(func.count()).select_from(Match).where(Match.source == "manual"))
    assert count == 1
    db.rollback()  # on SQLite an open transaction holds the write lock

    # The same pair again, in another programme: a newcomer never gets one mentor twice.
    twice = {**body, "programme": "language_buddy"}
    assert client.post("/api/v1/matches", headers=keys.admin(), json=twice).status_code == 409


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"programme": "mindspring"}, "programme"),
        ({"programme": "nope"}, "programme"),
        ({"mentor_id": 999999}, "mentor_id"),
        ({"newcomer_id": 999999}, "newcomer_id"),
    ],
)
def test_manual_match_validation(
    client: TestClient,
    keys: Keys,
    world: dict[str, Any],
    change: dict[str, Any],
    field: str,
) -> None:
    body = {"newcomer_id": world["n1"].id, "mentor_id": world["m2"].id, "programme": "mentor"}
    answer = client.post("/api/v1/matches", headers=keys.admin(), json={**body, **change})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field


def test_manual_match_outside_scope_and_over_capacity(
    client: TestClient, keys: Keys, world: dict[str, Any], db: Session
) -> None:
    body = {"newcomer_id": world["n2"].id, "mentor_id": world["m1"].id, "programme": "mentor"}
    outside = client.post("/api/v1/matches", headers=keys.coordinator("101"), json=body)
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "newcomer_id"
    assert (
        client.post(
            "/api/v1/matches", headers=keys.association(world["club"].id), json=body
        ).status_code
        == 403
    )

    # m1 (capacity 1) is full: a manual proposal is still allowed, accepting it is not.
    taken = make_newcomer(db)
    make_match(db, taken.id, world["m1"].id, status="accepted")
    near = make_newcomer(db)
    body = {"newcomer_id": near.id, "mentor_id": world["m1"].id, "programme": "mentor"}
    created = client.post("/api/v1/matches", headers=keys.admin(), json=body)
    assert created.status_code == 201
    accept = client.post(f"/api/v1/matches/{created.json()['id']}/accept", headers=keys.admin())
    assert accept.status_code == 409


def test_nul_characters_are_a_422(client: TestClient, keys: Keys, world: dict[str, Any]) -> None:
    admin = keys.admin()
    body = {"newcomer_id": world["n1"].id, "mentor_id": world["m2"].id, "programme": "\x00"}
    assert client.post("/api/v1/matches", headers=admin, json=body).status_code == 422
    url = f"/api/v1/matches/{world['p1'].id}/reject"
    assert client.post(url, headers=admin, json={"reason": "a\x00b"}).status_code == 422
    assert client.get("/api/v1/matches?programme=%00", headers=admin).status_code == 422
