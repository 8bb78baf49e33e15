"""``/api/v1/newcomers``: coordinators within their municipalities, domain rules, audit."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.models import AuditEvent, Match, MatchRun, Newcomer, RunUnmatched
from tests.app import bodies
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

URL = "/api/v1/newcomers"


def _years_ago(years: int, days: int = 0) -> str:
    today = datetime.now(UTC).date()
    return (today.replace(year=today.year - years) - timedelta(days=days)).isoformat()


def test_coordinator_crud(client: TestClient, keys: Keys) -> None:
    headers = keys.coordinator("101", "147")
    created = client.post(URL, json=bodies.newcomer(), headers=headers)
    assert created.status_code == 201, created.text
    person = created.json()
    assert person["languages"] == ["ti", "en"]
    assert person["registered_at"] is not None
    assert created.headers["etag"] == '"1"'

    got = client.get(f"{URL}/{person['id']}", headers=headers)
    assert got.json() == person
    assert [n["id"] for n in client.get(URL, headers=headers).json()["items"]] == [person["id"]]

    patched = client.patch(
        f"{URL}/{person['id']}",
        json={"municipality": "147", "mentor_gender": "male", "languages": ["en", "ti"]},
        headers={**headers, "If-Match": '"1"'},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["municipality"] == "147"
    assert patched.json()["languages"] == ["en", "ti"]
    assert patched.headers["etag"] == '"2"'

    assert client.delete(f"{URL}/{person['id']}", headers=headers).status_code == 204
    assert client.get(f"{URL}/{person['id']}", headers=headers).status_code == 404


def test_registered_at_may_be_backdated_but_not_future(
    client: TestClient, admin: dict[str, str]
) -> None:
    past = client.post(
        URL, json=bodies.newcomer(registered_at="2025-01-02T03:04:05Z"), headers=admin
    )
    assert past.json()["registered_at"] == "2025-01-02T03:04:05Z"
    future = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    for when in (future, "0001-01-01T00:00:00+14:00", "1999-12-31T23:59:59Z"):
        response = client.post(URL, json=bodies.newcomer(registered_at=when), headers=admin)
        assert response.status_code == 422, when
        assert response.json()["errors"][0]["field"] == "registered_at"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"languages": []}, "languages"),
        ({"languages": ["ti", "klingon"]}, "languages.1"),
        ({"languages": ["zz"]}, "languages.0"),
        ({"municipality": "000"}, "municipality"),
        ({"programmes": ["mentor", "unknown_programme"]}, "programmes.1"),
        ({"birth_date": (date.today() + timedelta(days=3)).isoformat()}, "birth_date"),
        ({"birth_date": _years_ago(25)}, "programmes.1"),
        ({"birth_date": None}, "programmes.1"),
        ({"gender": "unknown"}, "gender"),
        ({"mentor_gender": "any"}, "mentor_gender"),
        ({"lat": -91, "lon": 10}, "lat"),
        ({"lon": 12.5}, "lat"),
        ({"max_distance_km": 5000}, "max_distance_km"),
        ({"last_name": "x" * 101}, "last_name"),
        ({"first_name": "Nul\x00byte"}, "first_name"),
        ({"interests": ["a", "A"]}, "interests"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at"),
    ],
)
def test_invalid_newcomer_is_422_naming_the_field_and_writes_nothing(
    client: TestClient, app: FastAPI, keys: Keys, change: dict[str, Any], field: str
) -> None:
    response = client.post(URL, json=bodies.newcomer(**change), headers=keys.coordinator("101"))
    assert response.status_code == 422, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert bodies.count(app, Newcomer) == 0
    assert bodies.count(app, AuditEvent) == 0


def test_programme_age_range_is_inclusive(client: TestClient, admin: dict[str, str]) -> None:
    oldest = bodies.newcomer(birth_date=_years_ago(25, days=-1), programmes=["lets_network"])
    assert client.post(URL, json=oldest, headers=admin).status_code == 201
    too_old = bodies.newcomer(birth_date=_years_ago(25), programmes=["lets_network"])
    response = client.post(URL, json=too_old, headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "programmes.0"


def test_patch_rechecks_the_age_rule_on_the_merged_record(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    person = make_newcomer(db, birth_date=date(1970, 1, 1), programmes=["mentor"])
    adding = client.patch(
        f"{URL}/{person.id}", json={"programmes": ["mentor", "lets_network"]}, headers=admin
    )
    assert adding.status_code == 422
    assert adding.json()["errors"][0]["field"] == "programmes.1"
    young = make_newcomer(
        db, birth_date=date.fromisoformat(_years_ago(20)), programmes=["lets_network"]
    )
    ageing = client.patch(f"{URL}/{young.id}", json={"birth_date": "1980-05-05"}, headers=admin)
    assert ageing.status_code == 422
    assert ageing.json()["errors"][0]["field"] == "programmes.0"
    db.expire_all()
    assert db.get(Newcomer, young.id).version == 1  # type: ignore[union-attr]


def test_an_inactive_programme_is_refused_for_new_requests_but_kept(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    person = make_newcomer(db, programmes=["mentor", "homework_help"])
    client.patch("/api/v1/programmes/homework_help", json={"active": False}, headers=admin)
    kept = client.patch(f"{URL}/{person.id}", json={"interests": ["chess"]}, headers=admin)
    assert kept.status_code == 200
    response = client.post(URL, json=bodies.newcomer(programmes=["homework_help"]), headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "programmes.0"


def test_bola_across_two_municipalities(
    client: TestClient, app: FastAPI, keys: Keys, db: Session
) -> None:
    copenhagen = make_newcomer(db, municipality="101")
    aarhus = make_newcomer(db, municipality="751")
    headers = keys.coordinator("101")
    listed = client.get(URL, headers=headers).json()["items"]
    assert [n["id"] for n in listed] == [copenhagen.id]
    assert client.get(URL, params={"municipality": "751"}, headers=headers).json()["items"] == []
    assert client.get(f"{URL}/{aarhus.id}", headers=headers).status_code == 404
    assert (
        client.patch(f"{URL}/{aarhus.id}", json={"active": False}, headers=headers).status_code
        == 404
    )
    assert client.delete(f"{URL}/{aarhus.id}", headers=headers).status_code == 404
    # Out of scope looks exactly like absent.
    assert client.get(f"{URL}/99999", headers=headers).json()["title"] == "Not found"

    elsewhere = client.post(URL, json=bodies.newcomer(municipality="751"), headers=headers)
    assert elsewhere.status_code == 403
    assert bodies.count(app, Newcomer) == 2
    move = client.patch(f"{URL}/{copenhagen.id}", json={"municipality": "751"}, headers=headers)
    assert move.status_code == 403
    db.expire_all()
    assert db.get(Newcomer, copenhagen.id).municipality == "101"  # type: ignore[union-attr]


def test_association_keys_may_not_read_newcomers(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    person = make_newcomer(db)
    headers = keys.association(association.id)
    assert client.get(URL, headers=headers).status_code == 403
    assert client.get(f"{URL}/{person.id}", headers=headers).status_code == 403


def test_every_read_and_write_is_audited_without_personal_data(
    client: TestClient, keys: Keys, db: Session
) -> None:
    headers = keys.coordinator("101")
    first = make_newcomer(db, first_name="Auditname", last_name="Secretsurname")
    second = make_newcomer(db)
    client.get(URL, headers=headers)
    client.get(f"{URL}/{first.id}", headers=headers)
    client.patch(f"{URL}/{first.id}", json={"interests": ["chess"]}, headers=headers)
    client.delete(f"{URL}/{second.id}", headers=headers)
    created = client.post(URL, json=bodies.newcomer(), headers=headers).json()
    events = db.query(AuditEvent).order_by(AuditEvent.id).all()
    assert [(e.action, e.record_id) for e in events] == [
        ("list", str(first.id)),
        ("list", str(second.id)),
        ("read", str(first.id)),
        ("update", str(first.id)),
        ("delete", str(second.id)),
        ("create", str(created["id"])),
    ]
    assert {e.resource for e in events} == {"newcomer"}
    assert len({e.actor for e in events}) == 1
    text = repr([vars(e) for e in events])
    for secret in ("Auditname", "Secretsurname", "Yonas", "2004-03-15"):
        assert secret not in text


def test_a_list_page_audits_each_newcomer_shown_in_order_at_one_time(
    client: TestClient, keys: Keys, db: Session
) -> None:
    headers = {**keys.coordinator("101"), "X-Request-ID": "page-probe"}
    people = [make_newcomer(db) for _ in range(3)]
    make_newcomer(db, municipality="147")  # outside the key's scope: not shown, not audited
    first = client.get(URL, params={"limit": 2}, headers=headers)
    rest = client.get(URL, params={"cursor": first.json()["next_cursor"]}, headers=headers)
    shown = [item["id"] for page in (first, rest) for item in page.json()["items"]]
    assert shown == [p.id for p in people]
    events = db.query(AuditEvent).order_by(AuditEvent.id).all()
    assert [(e.action, e.resource, e.record_id) for e in events] == [
        ("list", "newcomer", str(i)) for i in shown
    ]
    assert {(e.actor, e.actor_key_id, e.request_id) for e in events} == {
        (events[0].actor, events[0].actor_key_id, "page-probe")
    }
    assert events[0].actor_key_id is not None
    assert events[0].at == events[1].at  # one page, one time
    assert events[0].at.tzinfo is not None


def test_logs_carry_no_personal_data(
    client: TestClient, admin: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    body = bodies.newcomer(first_name="Logleakname", last_name="Logleaksurname")
    created = client.post(URL, json=body, headers=admin).json()
    client.get(f"{URL}/{created['id']}", headers=admin)
    client.post(URL, json={**body, "languages": ["xx"]}, headers=admin)
    # A client may put a name into the path or the query: neither reaches the log.
    client.get(f"{URL}/Logleakname", headers=admin)
    client.get(f"{URL}?municipality=Logleakname", headers=admin)
    # (httpx, the test's own client, logs its URLs: only the service's records count.)
    records = [r for r in caplog.records if r.name != "httpx"]
    logged = "\n".join(f"{r.getMessage()} {vars(r)}" for r in records)
    assert "request" in logged
    assert "/api/v1/newcomers/{newcomer_id}" in logged
    assert "Logleakname" not in logged
    assert "Logleaksurname" not in logged


def test_delete_erases_matches_and_run_entries(
    client: TestClient, app: FastAPI, admin: dict[str, str], db: Session
) -> None:
    person = make_newcomer(db)
    mentor = make_mentor(db, make_association(db))
    run = MatchRun(status="succeeded")
    db.add(run)
    db.flush()
    db.add(
        Match(
            newcomer_id=person.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="proposed",
            source="solver",
            run_id=run.id,
        )
    )
    db.add(
        RunUnmatched(
            run_id=run.id,
            newcomer_id=person.id,
            programme="lets_network",
            municipality="101",
            language="ti",
            reason="language",
            passed={"programme": 1, "language": 0},
        )
    )
    db.commit()
    assert client.delete(f"{URL}/{person.id}", headers=admin).status_code == 204
    assert bodies.count(app, Newcomer) == 0
    assert bodies.count(app, Match) == 0
    assert bodies.count(app, RunUnmatched) == 0
    assert bodies.count(app, MatchRun) == 1


def test_idempotent_create_and_stale_etag(client: TestClient, app: FastAPI, keys: Keys) -> None:
    headers = {**keys.coordinator("101"), "Idempotency-Key": "n-1"}
    first = client.post(URL, json=bodies.newcomer(), headers=headers)
    again = client.post(URL, json=bodies.newcomer(), headers=headers)
    assert again.json() == first.json()
    assert bodies.count(app, Newcomer) == 1
    url = f"{URL}/{first.json()['id']}"
    assert (
        client.patch(
            url, json={"active": False}, headers={**headers, "If-Match": '"1"'}
        ).status_code
        == 200
    )
    stale = client.patch(url, json={"active": True}, headers={**headers, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert (
        client.patch(url, json={"active": True}, headers={**headers, "If-Match": "*"}).status_code
        == 200
    )


def test_body_over_one_megabyte_is_413_and_writes_nothing(
    client: TestClient, app: FastAPI, admin: dict[str, str]
) -> None:
    body = bodies.newcomer(interests=["x" * 1_100_000])
    response = client.post(URL, json=body, headers=admin)
    assert response.status_code == 413
    assert bodies.count(app, Newcomer) == 0


def _race(app: FastAPI, url: str, headers: dict[str, str]) -> list[int]:
    """Two PATCHes of ``url`` released at the same instant, each from its own client."""
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def patch(value: str) -> None:
        with TestClient(app) as own_client:
            barrier.wait()
            response = own_client.patch(url, json={"interests": [value]}, headers=headers)
            statuses.append(response.status_code)

    threads = [threading.Thread(target=patch, args=(value,)) for value in ("chess", "music")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def test_concurrent_patches_with_the_same_etag_never_both_win(
    app: FastAPI, admin: dict[str, str], db: Session
) -> None:
    """Two coordinators edit the same record at once: one succeeds, the other gets 412."""
    for attempt in range(5):
        person = make_newcomer(db)
        statuses = _race(app, f"{URL}/{person.id}", {**admin, "If-Match": '"1"'})
        assert sorted(statuses) == [200, 412], attempt
        db.expire_all()
        assert db.get(Newcomer, person.id).version == 2  # type: ignore[union-attr]
        db.rollback()


def test_database_errors_do_not_carry_personal_data(app: FastAPI, db: Session) -> None:
    """A failed statement's message (what a 500 would log) leaves the bound values out."""
    person = make_newcomer(db, first_name="Paramleakname")
    with pytest.raises(IntegrityError) as caught:
        db.execute(
            insert(Newcomer).values(
                id=person.id,
                municipality="101",
                first_name="Paramleakname",
                last_name="Paramleaksurname",
                languages=["ar"],
                programmes=["mentor"],
                interests=[],
                registered_at=datetime.now(UTC),
                active=True,
                created_at=datetime.now(UTC),
                updated_at=datetime.now(UTC),
                version=1,
            )
        )
    db.rollback()
    assert "Paramleak" not in str(caught.value)
