"""The retention report: share of accepted matches still active at 3 and 6 months, and the
reasons matches ended, with small-count suppression for coordinators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.test_matches import make_match

START = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def _world(db: Session) -> None:
    """In 101: 10 matches accepted on 1 January; 6 ended ("moved away" 5 times after
    day 100, one "Personal text" on day 20); 4 still accepted. In 751: 2 accepted."""
    mentor = make_mentor(db, make_association(db), capacity=20)
    for i in range(10):
        newcomer = make_newcomer(db, municipality="101")
        if i < 5:
            ended = {"status": "ended", "reason": "moved away", "ended_at": START + timedelta(100)}
        elif i == 5:
            ended = {
                "status": "ended",
                "reason": "Personal text",
                "ended_at": START + timedelta(20),
            }
        else:
            ended = {"status": "accepted"}
        make_match(db, newcomer.id, mentor.id, decided_at=START, **ended)
    for _ in range(2):
        newcomer = make_newcomer(db, municipality="751")
        make_match(db, newcomer.id, mentor.id, decided_at=START, status="accepted")


def test_admins_see_exact_retention_and_reasons(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    _world(db)
    report = client.get("/api/v1/reports/retention?on=2026-07-15", headers=admin).json()
    copenhagen, aarhus = report["rows"]
    assert copenhagen["municipality"] == "101" and copenhagen["accepted"] == 10
    assert copenhagen["reached_3m"] == 10 and copenhagen["active_3m"] == 9  # one ended on day 20
    assert copenhagen["active_3m_pct"] == 90.0
    assert copenhagen["reached_6m"] == 10 and copenhagen["active_6m"] == 4
    assert copenhagen["active_6m_pct"] == 40.0
    assert aarhus["accepted"] == 2 and aarhus["active_6m_pct"] == 100.0
    reasons = {(r["reason"], r["count"]) for r in report["end_reasons"]}
    assert reasons == {("moved away", 5), ("Personal text", 1)}

    early = client.get("/api/v1/reports/retention?on=2026-03-01", headers=admin).json()
    assert early["rows"][0]["reached_3m"] == 0 and early["rows"][0]["active_3m_pct"] is None


def test_coordinators_see_retention_suppressed_and_in_scope(
    client: TestClient, db: Session, keys: Keys
) -> None:
    _world(db)
    report = client.get(
        "/api/v1/reports/retention?on=2026-07-15", headers=keys.coordinator("101")
    ).json()
    assert report["exact"] is False
    (row,) = report["rows"]
    assert row["accepted"] == 10 and row["active_3m"] == 9
    assert row["active_3m_pct"] is None  # 10 - 9 = 1 ended: the share would reveal it
    assert row["active_6m"] == "<5" and row["active_6m_pct"] is None
    # The rare reason's text is never shown: folded into one suppressed row.
    assert {(r["reason"], r["count"]) for r in report["end_reasons"]} == {
        ("moved away", 5),
        (None, "<5"),
    }
    aarhus = client.get("/api/v1/reports/retention", headers=keys.coordinator("751")).json()
    assert [r["municipality"] for r in aarhus["rows"]] == ["751"]
    assert aarhus["rows"][0]["accepted"] == "<5"
    association = keys.association(make_association(db, name="X").id)
    assert client.get("/api/v1/reports/retention", headers=association).status_code == 403
