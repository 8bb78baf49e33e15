"""``/api/v1/households``: scope by the contact person, If-Match on member changes, one
household per newcomer (also under a real race), the household rules on programmes, audit,
export and erasure."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Household, HouseholdMember, Match
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.live_server import concurrently

URL = "/api/v1/households"


def _family(db: Session, size: int = 3, municipality: str = "101") -> list[int]:
    contact = make_newcomer(db, municipality=municipality, programmes=["network_family"])
    others = [
        make_newcomer(db, municipality=municipality, programmes=["homework_help"])
        for _ in range(size - 1)
    ]
    return [contact.id] + [o.id for o in others]


def _create(client: TestClient, headers: dict[str, str], members: list[int]) -> Any:
    response = client.post(URL, json={"members": members}, headers=headers)
    assert response.status_code == 201, response.text
    return response


def _fresh(db: Session, query: Any) -> Any:
    with Session(db.get_bind()) as session:
        return session.scalar(query)


def test_a_coordinator_creates_reads_lists_reorders_and_dissolves_a_household(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    created = _create(client, coordinator, members)
    household = created.json()
    assert household["members"] == members
    assert household["contact_id"] == members[0]
    assert household["municipality"] == "101"
    assert created.headers["etag"] == '"1"'
    assert created.headers["location"] == f"{URL}/{household['id']}"

    got = client.get(f"{URL}/{household['id']}", headers=coordinator)
    assert got.json() == household
    listed = client.get(URL, headers=coordinator).json()
    assert [h["id"] for h in listed["items"]] == [household["id"]]
    assert client.get(f"{URL}?municipality=147", headers=coordinator).json()["items"] == []

    reordered = [members[0], members[2], members[1]]
    patched = client.patch(
        f"{URL}/{household['id']}",
        json={"members": reordered},
        headers={**coordinator, "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["members"] == reordered
    assert patched.headers["etag"] == '"2"'

    removed = client.patch(
        f"{URL}/{household['id']}",
        json={"members": reordered[:2]},
        headers={**coordinator, "If-Match": '"2"'},
    )
    assert removed.json()["members"] == reordered[:2]
    added = client.patch(
        f"{URL}/{household['id']}",
        json={"members": [*reordered[:2], members[1]]},
        headers={**coordinator, "If-Match": '"3"'},
    )
    assert added.json()["members"] == [*reordered[:2], members[1]]

    assert client.delete(f"{URL}/{household['id']}", headers=coordinator).status_code == 204
    assert client.get(f"{URL}/{household['id']}", headers=coordinator).status_code == 404
    actions = _fresh(
        db,
        select(func.count()).select_from(AuditEvent).where(AuditEvent.resource == "household"),
    )
    assert actions >= 7  # create, read, list, three updates, delete


def test_member_changes_honour_if_match(client: TestClient, keys: Keys, db: Session) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    household = _create(client, coordinator, members).json()
    first = client.patch(
        f"{URL}/{household['id']}",
        json={"members": members[:2]},
        headers={**coordinator, "If-Match": '"1"'},
    )
    assert first.status_code == 200
    stale = client.patch(
        f"{URL}/{household['id']}",
        json={"members": members},
        headers={**coordinator, "If-Match": '"1"'},
    )
    assert stale.status_code == 412
    assert (
        client.get(f"{URL}/{household['id']}", headers=coordinator).json()["members"]
        == (members[:2])
    )
    stale_delete = client.delete(
        f"{URL}/{household['id']}", headers={**coordinator, "If-Match": '"1"'}
    )
    assert stale_delete.status_code == 412


def test_households_are_scoped_by_the_contact_persons_municipality(
    client: TestClient, keys: Keys, db: Session
) -> None:
    mine, theirs = keys.coordinator("101"), keys.coordinator("147")
    household = _create(client, mine, _family(db)).json()
    assert client.get(f"{URL}/{household['id']}", headers=theirs).status_code == 404
    patch = {"members": household["members"][:1]}
    assert client.patch(f"{URL}/{household['id']}", json=patch, headers=theirs).status_code == 404
    assert client.delete(f"{URL}/{household['id']}", headers=theirs).status_code == 404
    assert client.get(URL, headers=theirs).json()["items"] == []

    outsider = make_newcomer(db, municipality="147")
    refused = client.post(URL, json={"members": [outsider.id]}, headers=mine)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "members.0"
    missing = client.post(URL, json={"members": [household["members"][1], 999999]}, headers=mine)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "members.1"

    association = make_association(db)
    assert client.get(URL, headers=keys.association(association.id)).status_code == 403


def test_a_newcomer_is_in_at_most_one_household(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    _create(client, coordinator, members)
    other = make_newcomer(db, programmes=["network_family"])
    taken = client.post(URL, json={"members": [other.id, members[1]]}, headers=coordinator)
    assert taken.status_code == 409
    assert taken.json()["errors"] == [
        {"field": "members.1", "message": f"newcomer {members[1]} is in another household"}
    ]
    twice = client.post(URL, json={"members": [other.id, other.id]}, headers=coordinator)
    assert twice.status_code == 422
    assert _fresh(db, select(func.count()).select_from(Household)) == 1


def test_only_the_contact_person_asks_for_a_household_programme(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    contact = make_newcomer(db)
    asking = make_newcomer(db, programmes=["network_family"])
    refused = client.post(URL, json={"members": [contact.id, asking.id]}, headers=coordinator)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "members.1"

    members = _family(db)
    _create(client, coordinator, members)
    patched = client.patch(
        f"/api/v1/newcomers/{members[1]}",
        json={"programmes": ["homework_help", "network_family"]},
        headers=coordinator,
    )
    assert patched.status_code == 422
    assert patched.json()["errors"][0]["field"] == "programmes.1"


def test_a_household_with_a_live_match_is_not_dissolved(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    household = _create(client, coordinator, members).json()
    mentor = make_mentor(db, make_association(db), programmes=["network_family"])
    db.add(
        Match(
            newcomer_id=members[0],
            mentor_id=mentor.id,
            programme="network_family",
            status="proposed",
            source="solver",
            household_id=household["id"],
        )
    )
    db.commit()
    assert client.delete(f"{URL}/{household['id']}", headers=coordinator).status_code == 409


def _household_match(db: Session, household_id: int, contact: int, status: str) -> int:
    mentor = make_mentor(db, make_association(db), programmes=["network_family"])
    match = Match(
        newcomer_id=contact,
        mentor_id=mentor.id,
        programme="network_family",
        status=status,
        source="solver",
        household_id=household_id,
    )
    db.add(match)
    db.commit()
    return match.id


def test_erasing_a_member_keeps_the_household_and_its_match(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    household = _create(client, coordinator, members).json()
    match_id = _household_match(db, household["id"], members[0], "accepted")

    assert client.delete(f"/api/v1/newcomers/{members[1]}", headers=coordinator).status_code == 204
    left = client.get(f"{URL}/{household['id']}", headers=coordinator).json()
    assert left["members"] == [members[0], members[2]]
    assert _fresh(db, select(Match.newcomer_id).where(Match.id == match_id)) == members[0]


def test_erasing_the_contact_person_makes_the_next_member_the_contact(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    household = _create(client, coordinator, members).json()
    accepted = _household_match(db, household["id"], members[0], "accepted")
    ended = _household_match(db, household["id"], members[0], "ended")

    assert client.delete(f"/api/v1/newcomers/{members[0]}", headers=coordinator).status_code == 204
    left = client.get(f"{URL}/{household['id']}", headers=coordinator).json()
    assert left["members"] == members[1:]
    assert left["contact_id"] == members[1]
    for match_id in (accepted, ended):
        assert _fresh(db, select(Match.newcomer_id).where(Match.id == match_id)) == members[1]
    export = client.get(f"/api/v1/newcomers/{members[1]}/export", headers=coordinator).json()
    assert export["household"] == {
        "household_id": household["id"],
        "position": 0,
        "contact_person": True,
        "members": 2,
    }
    assert {m["id"] for m in export["matches"]} >= {accepted, ended}


def test_erasing_the_last_member_removes_the_household(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db, size=2)
    household = _create(client, coordinator, members).json()
    _household_match(db, household["id"], members[0], "accepted")
    for member in members:
        assert client.delete(f"/api/v1/newcomers/{member}", headers=coordinator).status_code == 204
    assert _fresh(db, select(func.count()).select_from(Household)) == 0
    assert _fresh(db, select(func.count()).select_from(HouseholdMember)) == 0
    assert _fresh(db, select(func.count()).select_from(Match)) == 0


def test_a_new_contact_person_takes_over_the_live_match(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    household = _create(client, coordinator, members).json()
    proposed = _household_match(db, household["id"], members[0], "proposed")
    blocked = client.patch(
        f"{URL}/{household['id']}", json={"members": members[1:]}, headers=coordinator
    )
    # members[1] asks for homework_help only, so they may become the contact person.
    assert blocked.status_code == 200, blocked.text
    assert _fresh(db, select(Match.newcomer_id).where(Match.id == proposed)) == members[1]
    assert _programmes(client, coordinator, members[1]) == ["homework_help", "network_family"]


def test_the_export_names_the_household_membership(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    household = _create(client, coordinator, members).json()
    export = client.get(f"/api/v1/newcomers/{members[2]}/export", headers=coordinator).json()
    assert export["household"] == {
        "household_id": household["id"],
        "position": 2,
        "contact_person": False,
        "members": 3,
    }
    alone = make_newcomer(db)
    assert (
        client.get(f"/api/v1/newcomers/{alone.id}/export", headers=coordinator).json()["household"]
        is None
    )


def test_two_households_racing_for_one_newcomer_end_in_one_201_and_one_409(
    server: str, keys: Keys, db: Session
) -> None:
    headers = keys.coordinator("101")
    for _ in range(6):
        shared = make_newcomer(db, programmes=["homework_help"])
        contacts = [make_newcomer(db, programmes=["network_family"]) for _ in range(2)]

        def create(c: httpx.Client, contact: int, member: int = shared.id) -> int:
            return c.post(URL, json={"members": [contact, member]}).status_code

        codes = concurrently(
            server,
            headers,
            [
                lambda c, contact=contact.id: create(c, contact)  # type: ignore[misc]
                for contact in contacts
            ],
        )
        assert sorted(codes) == [201, 409], codes
        assert (
            _fresh(
                db,
                select(func.count())
                .select_from(HouseholdMember)
                .where(HouseholdMember.newcomer_id == shared.id),
            )
            == 1
        )


def test_erasing_both_members_at_once_removes_the_household(
    server: str, keys: Keys, db: Session
) -> None:
    headers = keys.coordinator("101")
    for _ in range(6):
        members = _family(db, size=2)
        with httpx.Client(base_url=server, headers=headers) as c:
            household = c.post(URL, json={"members": members}).json()

        def erase(c: httpx.Client, member: int) -> int:
            return c.delete(f"/api/v1/newcomers/{member}").status_code

        codes = concurrently(
            server,
            headers,
            [lambda c, member=member: erase(c, member) for member in members],  # type: ignore[misc]
        )
        assert codes == [204, 204], codes
        left = _fresh(
            db,
            select(func.count())
            .select_from(HouseholdMember)
            .where(HouseholdMember.household_id == household["id"]),
        )
        assert _fresh(db, select(Household.id).where(Household.id == household["id"])) is None, left
        with httpx.Client(base_url=server, headers=headers) as c:
            assert c.get(URL).status_code == 200


def _programmes(client: TestClient, headers: dict[str, str], newcomer_id: int) -> list[str]:
    response = client.get(f"/api/v1/newcomers/{newcomer_id}", headers=headers)
    assert response.status_code == 200, response.text
    return list(response.json()["programmes"])


def test_a_new_contact_person_takes_over_the_households_request(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    household = _create(client, coordinator, members).json()
    reordered = [members[1], members[0], members[2]]
    moved = client.patch(
        f"{URL}/{household['id']}", json={"members": reordered}, headers=coordinator
    )
    assert moved.status_code == 200, moved.text
    assert _programmes(client, coordinator, members[1]) == ["homework_help", "network_family"]
    assert _programmes(client, coordinator, members[0]) == []


def test_erasing_the_contact_person_hands_the_request_to_the_next_member(
    client: TestClient, keys: Keys, db: Session
) -> None:
    coordinator = keys.coordinator("101")
    members = _family(db)
    _create(client, coordinator, members)
    assert client.delete(f"/api/v1/newcomers/{members[0]}", headers=coordinator).status_code == 204
    assert _programmes(client, coordinator, members[1]) == ["homework_help", "network_family"]
