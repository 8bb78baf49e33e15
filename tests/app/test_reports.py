"""Reports: summary and shortages, scoped by municipality, small cells suppressed."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.db import utcnow
from app.models import Match, MatchRun, Newcomer, RunUnmatched
from app.reports.service import percentile
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.runs import run_through_api


def _newcomers(db: Session, count: int, **fields: Any) -> list[Newcomer]:
    return [make_newcomer(db, **fields) for _ in range(count)]


def _match(db: Session, newcomer: Newcomer, mentor_id: int, status: str, programme: str) -> None:
    db.add(
        Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor_id,
            programme=programme,
            status=status,
            source="manual",
        )
    )
    db.commit()


def _row(body: dict[str, Any], municipality: str, programme: str) -> dict[str, Any]:
    return next(
        r for r in body["rows"] if r["municipality"] == municipality and r["programme"] == programme
    )


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([10], 0.9) == 10
    assert percentile(list(range(11)), 0.9) == 9


def test_summary_gives_admins_exact_counts_and_waiting_days(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    mentor = make_mentor(db, make_association(db), capacity=10)
    # Waiting days count calendar days, so register at noon of a past day.
    noon = datetime.combine(utcnow().date(), time(12), tzinfo=UTC)
    waiting = [make_newcomer(db, registered_at=noon - timedelta(days=d)) for d in (10, 20, 30)]
    matched = make_newcomer(db, registered_at=noon - timedelta(days=99))
    _match(db, matched, mentor.id, "accepted", "mentor")
    _match(db, waiting[0], mentor.id, "proposed", "mentor")
    make_newcomer(db, active=False)  # inactive: not a request
    make_newcomer(db, municipality="751", programmes=["mentor", "homework_help"])

    response = client.get("/api/v1/reports/summary", headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert body["exact"] is True
    row = _row(body, "101", "mentor")
    assert row == {
        "municipality": "101",
        "programme": "mentor",
        "requests": 4,
        "waiting": 3,
        "proposed": 1,
        "matched": 1,
        "coverage_pct": 25.0,
        "median_waiting_days": 20.0,
        "p90_waiting_days": 28.0,
    }
    assert _row(body, "751", "homework_help")["requests"] == 1
    assert body["total"]["requests"] == 6
    assert body["total"]["matched"] == 1


def test_summary_suppresses_small_cells_for_coordinators(
    client: TestClient, db: Session, keys: Keys
) -> None:
    mentor = make_mentor(db, make_association(db), capacity=20)
    big = _newcomers(db, 12)
    for newcomer in big[:10]:
        _match(db, newcomer, mentor.id, "accepted", "mentor")
    _newcomers(db, 3, programmes=["homework_help"])
    _newcomers(db, 7, municipality="751")  # outside the coordinator's scope

    response = client.get("/api/v1/reports/summary", headers=keys.coordinator("101"))

    assert response.status_code == 200
    body = response.json()
    assert body["exact"] is False
    assert {r["municipality"] for r in body["rows"]} == {"101"}
    row = _row(body, "101", "mentor")
    # 12 requests, 10 matched, 2 waiting: the 2 is "<5", and 10 would give it away.
    assert row["requests"] == 12
    assert row["waiting"] == "<5"
    assert row["matched"] is None
    assert row["coverage_pct"] is None
    assert row["median_waiting_days"] is None
    small = _row(body, "101", "homework_help")
    assert small["requests"] == "<5" and small["matched"] == "<5"
    # The total of 15 minus the one visible row would reveal the small row.
    assert body["total"]["requests"] is None


def test_summary_total_hides_a_column_with_one_withheld_row(
    client: TestClient, db: Session, keys: Keys
) -> None:
    mentor = make_mentor(db, make_association(db), capacity=40)
    skewed = _newcomers(db, 12)  # 10 matched, 2 waiting: matched is withheld (null)
    for newcomer in skewed[:10]:
        _match(db, newcomer, mentor.id, "accepted", "mentor")
    even = _newcomers(db, 20, programmes=["homework_help"])  # 10 and 10: shown
    for newcomer in even[:10]:
        _match(db, newcomer, mentor.id, "accepted", "homework_help")

    body = client.get("/api/v1/reports/summary", headers=keys.coordinator("101")).json()

    assert _row(body, "101", "mentor")["matched"] is None
    assert _row(body, "101", "homework_help")["matched"] == 10
    # 20 matched in total minus the 10 shown would give the withheld 10 away.
    assert body["total"]["matched"] is None
    assert body["total"]["coverage_pct"] is None
    assert body["total"]["requests"] == 32


def test_summary_shows_large_cells_exactly_to_coordinators(
    client: TestClient, db: Session, keys: Keys
) -> None:
    mentor = make_mentor(db, make_association(db), capacity=20)
    newcomers = _newcomers(db, 11)
    for newcomer in newcomers[:5]:
        _match(db, newcomer, mentor.id, "accepted", "mentor")

    body = client.get("/api/v1/reports/summary", headers=keys.coordinator("101")).json()

    row = _row(body, "101", "mentor")
    assert (row["requests"], row["waiting"], row["matched"]) == (11, 6, 5)
    assert row["coverage_pct"] == 45.5
    assert row["median_waiting_days"] == 0.0
    assert body["total"]["requests"] == 11


def test_summary_filters_and_refuses_unknown_municipality(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    make_newcomer(db, programmes=["mentor", "homework_help"])
    body = client.get("/api/v1/reports/summary?programme=homework_help", headers=admin).json()
    assert [r["programme"] for r in body["rows"]] == ["homework_help"]
    response = client.get("/api/v1/reports/summary?municipality=999", headers=admin)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "municipality"


def test_reports_are_for_staff_only(client: TestClient, db: Session, keys: Keys) -> None:
    association = make_association(db)
    headers = keys.association(association.id)
    assert client.get("/api/v1/reports/summary", headers=headers).status_code == 403
    assert client.get("/api/v1/reports/shortages", headers=headers).status_code == 403
    assert client.get("/api/v1/reports/summary").status_code == 401


def _run(db: Session, *, dry_run: bool = False, status: str = "succeeded") -> MatchRun:
    run = MatchRun(status=status, dry_run=dry_run, finished_at=utcnow(), stats={})
    db.add(run)
    db.commit()
    return run


def _unmatched(
    db: Session, run: MatchRun, newcomer: Newcomer, reason: str, language: str = "ti"
) -> None:
    db.add(
        RunUnmatched(
            run_id=run.id,
            newcomer_id=newcomer.id,
            programme="mentor",
            municipality=newcomer.municipality,
            language=language,
            reason=reason,
            passed={"programme": 3, "language": 0},
        )
    )
    db.commit()


def test_shortages_group_the_latest_applied_run(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    old = _run(db)
    newcomers = _newcomers(db, 8, languages=["ti", "en"])
    _unmatched(db, old, newcomers[0], "distance")
    run = _run(db)
    for newcomer in newcomers[:6]:
        _unmatched(db, run, newcomer, "language")
    _unmatched(db, run, newcomers[6], "distance")
    dry = _run(db, dry_run=True)
    _unmatched(db, dry, newcomers[7], "capacity")
    _run(db, status="failed")

    body = client.get("/api/v1/reports/shortages", headers=admin).json()

    assert body["run"]["id"] == run.id
    assert body["items"] == [
        {
            "municipality": "101",
            "language": "ti",
            "programme": "mentor",
            "reason": "language",
            "count": 6,
            "group": None,
        },
        {
            "municipality": "101",
            "language": "ti",
            "programme": "mentor",
            "reason": "distance",
            "count": 1,
            "group": None,
        },
    ]
    assert body["total"] == 7
    chosen = client.get(f"/api/v1/reports/shortages?run_id={dry.id}", headers=admin).json()
    assert [i["reason"] for i in chosen["items"]] == ["capacity"]


def test_shortages_are_scoped_and_suppressed_for_coordinators(
    client: TestClient, db: Session, keys: Keys
) -> None:
    run = _run(db)
    for newcomer in _newcomers(db, 6):
        _unmatched(db, run, newcomer, "language")
    _unmatched(db, run, make_newcomer(db), "distance")
    _unmatched(db, run, make_newcomer(db, municipality="751"), "language")

    body = client.get("/api/v1/reports/shortages", headers=keys.coordinator("101")).json()

    assert body["exact"] is False
    assert [(i["reason"], i["count"]) for i in body["items"]] == [
        ("language", 6),
        ("distance", "<5"),
    ]
    assert body["total"] is None


def test_shortages_without_runs_and_with_unknown_run(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    body = client.get("/api/v1/reports/shortages", headers=admin).json()
    assert body["run"] is None and body["items"] == [] and body["total"] == 0
    assert client.get("/api/v1/reports/shortages?run_id=999", headers=admin).status_code == 404


def mindspring_short(db: Session) -> None:
    """A Tigrinya-speaking MindSpring trainer in København with 4 participants near (a group
    needs 6), and 6 Tigrinya speakers in Aarhus beyond every trainer's reach."""
    make_mentor(
        db,
        make_association(db),
        languages=["da", "ti"],
        programmes=["mindspring"],
        max_distance_km=25,
    )
    _newcomers(db, 4, languages=["ti", "en"], programmes=["mindspring"])
    _newcomers(db, 6, languages=["ti"], programmes=["mindspring"], municipality="751")


def test_shortages_of_a_group_programme_say_who_waits_the_minimum_and_the_trainers(
    client: TestClient, db: Session, keys: Keys, admin: dict[str, str]
) -> None:
    mindspring_short(db)
    make_newcomer(db, municipality="147")  # a mentor request nobody offers
    run = run_through_api(client, admin)
    assert run["groups"] == []

    body = client.get("/api/v1/reports/shortages?programme=mindspring", headers=admin).json()

    assert body["items"] == [
        {
            "municipality": "751",
            "language": "ti",
            "programme": "mindspring",
            "reason": "distance",
            "count": 6,
            "group": {"group_min": 6, "waiting": None, "trainers_in_reach": 0},
        },
        {
            "municipality": "101",
            "language": "ti",
            "programme": "mindspring",
            "reason": "group_size",
            "count": 4,
            "group": {"group_min": 6, "waiting": 4, "trainers_in_reach": 1},
        },
    ]
    # Coordinators: the small counts suppressed as ever, the participants a trainer could
    # have had with them (a count of people); the minimum and the trainers are not people's.
    mine = client.get("/api/v1/reports/shortages", headers=keys.coordinator("101")).json()
    assert [(i["count"], i["group"]) for i in mine["items"]] == [
        ("<5", {"group_min": 6, "waiting": "<5", "trainers_in_reach": 1})
    ]
    aarhus = client.get("/api/v1/reports/shortages", headers=keys.coordinator("751")).json()
    assert [(i["count"], i["group"]) for i in aarhus["items"]] == [
        (6, {"group_min": 6, "waiting": None, "trainers_in_reach": 0})
    ]
    # A person programme's rows carry no group.
    others = client.get("/api/v1/reports/shortages?programme=mentor", headers=admin).json()
    assert [(i["reason"], i["group"]) for i in others["items"]] == [("programme", None)]
