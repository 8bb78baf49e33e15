"""Follow-ups: programmes' follow-up points, check-ins on matches, the follow-ups due, and
check-ins in the newcomer's export and erasure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.followups.service import due_follow_ups
from app.models import AuditEvent, CheckIn
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.test_matches import make_match

ACCEPTED_AT = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def pairs(db: Session) -> dict[str, Any]:
    """Accepted matches in 101 and 751 (accepted on 10 January 2026), and a proposal."""
    red_cross = make_association(db)
    club = make_association(db, name="Klub", kind="sports_club")
    m1 = make_mentor(db, red_cross, capacity=3)
    m2 = make_mentor(db, club, capacity=3)
    n1 = make_newcomer(db, municipality="101")
    n2 = make_newcomer(db, municipality="751")
    n3 = make_newcomer(db, municipality="101")
    a1 = make_match(db, n1.id, m1.id, status="accepted", decided_at=ACCEPTED_AT)
    a2 = make_match(db, n2.id, m2.id, status="accepted", decided_at=ACCEPTED_AT)
    p3 = make_match(db, n3.id, m1.id)
    return {"red_cross": red_cross, "club": club, "n1": n1, "a1": a1, "a2": a2, "p3": p3}


def _check_in(client: TestClient, headers: dict[str, str], match_id: int, **body: Any) -> Any:
    return client.post(f"/api/v1/matches/{match_id}/check-ins", headers=headers, json=body)


def test_programmes_have_follow_up_points_editable_with_validation(
    client: TestClient, admin: dict[str, str]
) -> None:
    mentor = client.get("/api/v1/programmes/mentor", headers=admin)
    assert mentor.json()["follow_up_days"] == [30, 90]
    etag = mentor.headers["etag"]
    for bad in ([], [90, 30], [30, 30], [0], [1000], ["30"], None):
        answer = client.patch(
            "/api/v1/programmes/mentor",
            headers={**admin, "If-Match": etag},
            json={"follow_up_days": bad},
        )
        assert answer.status_code == 422, bad
        assert "follow_up_days" in answer.text
    changed = client.patch(
        "/api/v1/programmes/mentor",
        headers={**admin, "If-Match": etag},
        json={"follow_up_days": [14, 60, 180]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["follow_up_days"] == [14, 60, 180]
    created = client.post(
        "/api/v1/programmes", headers=admin, json={"code": "walk_and_talk", "name": "Gåtur"}
    )
    assert created.json()["follow_up_days"] == [30, 90]


def test_a_coordinator_records_check_ins_in_scope(
    client: TestClient, keys: Keys, db: Session, pairs: dict[str, Any]
) -> None:
    copenhagen = keys.coordinator("101")
    a1 = pairs["a1"].id
    made = _check_in(client, copenhagen, a1, status="meeting", note="Mødes hver tirsdag")
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["status"] == "meeting" and body["note"] == "Mødes hver tirsdag"
    assert made.headers["location"] == f"/api/v1/matches/{a1}/check-ins/{body['id']}"
    assert _check_in(client, copenhagen, a1, status="paused").status_code == 201

    listed = client.get(f"/api/v1/matches/{a1}/check-ins", headers=copenhagen).json()
    assert [c["status"] for c in listed] == ["meeting", "paused"]
    # Out of scope is missing; a proposal has nothing to follow up; bad input names the field.
    aarhus = keys.coordinator("751")
    assert _check_in(client, aarhus, a1, status="meeting").status_code == 404
    assert client.get(f"/api/v1/matches/{a1}/check-ins", headers=aarhus).status_code == 404
    assert _check_in(client, copenhagen, pairs["p3"].id, status="meeting").status_code == 409
    bad = _check_in(client, copenhagen, a1, status="great")
    assert bad.status_code == 422 and "status" in bad.text
    html = _check_in(client, copenhagen, a1, status="meeting", note="<b>hej</b>\x00")
    assert html.status_code == 422 and "note" in html.text
    association = keys.association(pairs["red_cross"].id)
    assert _check_in(client, association, a1, status="meeting").status_code == 403
    assert db.scalar(select(func.count()).select_from(CheckIn)) == 2
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.resource == "check_in").order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.record_id) for e in events] == [
        ("create", str(body["id"])),
        ("create", str(body["id"] + 1)),
    ]


def test_associations_read_their_mentors_check_ins_without_the_note(
    client: TestClient, keys: Keys, pairs: dict[str, Any]
) -> None:
    a1 = pairs["a1"].id
    made = _check_in(client, keys.coordinator("101"), a1, status="meeting", note="Privat")
    seen = client.get(
        f"/api/v1/matches/{a1}/check-ins", headers=keys.association(pairs["red_cross"].id)
    )
    assert seen.status_code == 200
    assert seen.json() == [
        {
            "id": made.json()["id"],
            "match_id": a1,
            "status": "meeting",
            "recorded_at": made.json()["recorded_at"],
        }
    ]
    other = keys.association(pairs["club"].id)
    assert client.get(f"/api/v1/matches/{a1}/check-ins", headers=other).status_code == 404


def test_a_check_in_is_idempotent(client: TestClient, keys: Keys, db: Session, pairs: Any) -> None:
    headers = {**keys.coordinator("101"), "Idempotency-Key": "check-in-1"}
    first = _check_in(client, headers, pairs["a1"].id, status="not_started")
    again = _check_in(client, headers, pairs["a1"].id, status="not_started")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_follow_ups_fall_due_at_each_point_until_a_check_in(
    client: TestClient, keys: Keys, db: Session, pairs: dict[str, Any]
) -> None:
    copenhagen = keys.coordinator("101")
    a1, a2 = pairs["a1"].id, pairs["a2"].id

    def due(day: str, headers: dict[str, str] = copenhagen) -> list[int]:
        answer = client.get("/api/v1/follow-ups", headers=headers, params={"due_before": day})
        assert answer.status_code == 200, answer.text
        return [f["match_id"] for f in answer.json()]

    assert due("2026-02-08") == []  # day 29
    assert due("2026-02-09") == [a1]  # day 30; the coordinator sees only 101
    assert due("2026-02-09", keys.admin()) == [a1, a2]
    item = client.get(
        "/api/v1/follow-ups", headers=copenhagen, params={"due_before": "2026-02-09"}
    ).json()[0]
    assert item["due_on"] == "2026-02-09" and item["days_after"] == 30
    assert item["accepted_on"] == "2026-01-10" and item["last_check_in_on"] is None

    # A check-in after the point settles it, until the next point (day 90).
    db.add(
        CheckIn(
            match_id=a1,
            status="meeting",
            recorded_by="test",
            recorded_at=datetime(2026, 2, 12, tzinfo=UTC),
        )
    )
    db.commit()
    assert due("2026-02-12") == []
    assert due("2026-04-09") == []  # day 89
    assert due("2026-04-10") == [a1]  # day 90
    assert due_follow_ups(db, date(2026, 4, 10), municipalities=["751"])[0].match_id == a2
    # A check-in saying the pair has stopped is not followed up again.
    db.add(
        CheckIn(
            match_id=a1,
            status="ended",
            recorded_by="test",
            recorded_at=datetime(2026, 4, 11, tzinfo=UTC),
        )
    )
    db.commit()
    assert due("2027-01-01") == []
    association = keys.association(pairs["red_cross"].id)
    assert client.get("/api/v1/follow-ups", headers=association).status_code == 403
    assert client.get("/api/v1/follow-ups?due_before=soon", headers=copenhagen).status_code == 422


def test_check_in_notes_are_exported_and_erased_with_the_newcomer(
    client: TestClient, keys: Keys, db: Session, admin: dict[str, str], pairs: dict[str, Any]
) -> None:
    n1 = pairs["n1"].id
    note = "Talte om jobsøgning"
    assert _check_in(client, admin, pairs["a1"].id, status="meeting", note=note).status_code == 201
    export = client.get(f"/api/v1/newcomers/{n1}/export", headers=admin).json()
    assert [c["note"] for c in export["check_ins"]] == [note]
    assert client.delete(f"/api/v1/newcomers/{n1}", headers=admin).status_code == 204
    assert db.scalar(select(func.count()).select_from(CheckIn)) == 0


def test_the_check_in_vocabulary_is_one() -> None:
    from typing import get_args

    from app.followups.schemas import CheckInCreate
    from app.models import CheckInStatus

    assert set(get_args(CheckInCreate.model_fields["status"].annotation)) == set(CheckInStatus)
