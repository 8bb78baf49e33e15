"""GDPR: the export, erasure leaving no trace of the name, and the retention purge."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import Base, utcnow
from app.gdpr.service import erase_traces, purge
from app.models import (
    AuditEvent,
    Household,
    HouseholdMember,
    IdempotencyRecord,
    Match,
    MatchRun,
    Mentor,
    Newcomer,
    RunGroupMember,
    RunUnmatched,
)
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer


def dump_every_table(app: FastAPI) -> str:
    """Every column of every row of every table, as text."""
    parts: list[str] = []
    with app.state.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in connection.execute(select(table)):
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def _match(db: Session, newcomer: Newcomer, mentor: Mentor, status: str, **fields: Any) -> Match:
    row = Match(
        newcomer_id=newcomer.id,
        mentor_id=mentor.id,
        programme="mentor",
        status=status,
        source="manual",
        **fields,
    )
    db.add(row)
    db.commit()
    return row


def _unmatched(db: Session, newcomer: Newcomer, **run_fields: Any) -> MatchRun:
    run = MatchRun(status="succeeded", dry_run=False, stats={"requests": 1}, **run_fields)
    db.add(run)
    db.flush()
    db.add(
        RunUnmatched(
            run_id=run.id,
            newcomer_id=newcomer.id,
            programme="mentor",
            municipality=newcomer.municipality,
            language=newcomer.languages[0],
            reason="distance",
            passed={"programme": 2, "language": 1, "distance": 0},
        )
    )
    db.commit()
    return run


def test_export_holds_every_field_matches_and_the_audit_trail(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    newcomer = make_newcomer(db, first_name="Amina", lat=55.68, lon=12.57)
    mentor = make_mentor(db, make_association(db))
    match = _match(db, newcomer, mentor, "rejected", reason="moved away")
    _unmatched(db, newcomer)
    db.add(
        AuditEvent(
            actor_key_id=42,
            actor="key:42",
            action="update",
            resource="newcomer",
            record_id=str(newcomer.id),
        )
    )
    db.add(AuditEvent(actor="key:42", action="reject", resource="match", record_id=str(match.id)))
    db.add(AuditEvent(actor="key:42", action="update", resource="mentor", record_id=str(mentor.id)))
    db.commit()

    response = client.get(f"/api/v1/newcomers/{newcomer.id}/export", headers=admin)

    assert response.status_code == 200
    body = response.json()
    assert set(body["newcomer"]) == {c.key for c in Newcomer.__table__.columns}
    assert body["newcomer"]["first_name"] == "Amina"
    assert body["newcomer"]["lat"] == 55.68
    assert [m["id"] for m in body["matches"]] == [match.id]
    assert body["matches"][0]["reason"] == "moved away"
    assert body["unmatched"][0]["reason"] == "distance"
    assert body["unmatched"][0]["passed"] == {"programme": 2, "language": 1, "distance": 0}
    assert [(a["action"], a["resource"]) for a in body["audit"]] == [
        ("update", "newcomer"),
        ("reject", "match"),
    ]
    assert all(set(a) == {"at", "action", "resource", "record_id"} for a in body["audit"])
    # The export itself is audited.
    again = client.get(f"/api/v1/newcomers/{newcomer.id}/export", headers=admin).json()
    assert ("export", "newcomer") in [(a["action"], a["resource"]) for a in again["audit"]]


def test_export_is_scoped_to_the_coordinators_municipalities(
    client: TestClient, db: Session, keys: Keys
) -> None:
    newcomer = make_newcomer(db, municipality="751")
    url = f"/api/v1/newcomers/{newcomer.id}/export"
    assert client.get(url, headers=keys.coordinator("751")).status_code == 200
    assert client.get(url, headers=keys.coordinator("101")).status_code == 404
    association = make_association(db)
    assert client.get(url, headers=keys.association(association.id)).status_code == 403
    assert client.get("/api/v1/newcomers/999999/export", headers=keys.admin()).status_code == 404


def test_erasure_leaves_no_trace_of_the_name(
    app: FastAPI,
    client: TestClient,
    db: Session,
    admin: dict[str, str],
    keys: Keys,
    caplog: pytest.LogCaptureFixture,
) -> None:
    marker = "Zqxmarker" + utcnow().strftime("%H%M%S%f")
    caplog.set_level(logging.DEBUG)
    coordinator = keys.coordinator("101")
    created = client.post(
        "/api/v1/newcomers",
        headers={**coordinator, "Idempotency-Key": "create-marker"},
        json={
            "municipality": "101",
            "first_name": marker,
            "last_name": marker + "sen",
            "birth_date": "1990-04-02",
            "languages": ["ar", "en"],
            "programmes": ["mentor", "homework_help"],
        },
    )
    assert created.status_code == 201, created.text
    newcomer_id = created.json()["id"]
    mentor = make_mentor(db, make_association(db), capacity=2, programmes=["mentor"])
    proposed = client.post(
        "/api/v1/matches",
        headers={**coordinator, "Idempotency-Key": "match-marker"},
        json={"newcomer_id": newcomer_id, "mentor_id": mentor.id, "programme": "mentor"},
    )
    assert proposed.status_code == 201, proposed.text
    match_id = proposed.json()["id"]
    accepted = client.post(f"/api/v1/matches/{match_id}/accept", headers=coordinator)
    assert accepted.status_code == 200, accepted.text
    newcomer = db.get(Newcomer, newcomer_id)
    assert newcomer is not None
    run_id = _unmatched(db, newcomer).id
    other = client.post(
        "/api/v1/newcomers",
        headers={**coordinator, "Idempotency-Key": "create-other"},
        json={
            "municipality": "101",
            "first_name": "Other",
            "last_name": "Person",
            "languages": ["uk"],
            "programmes": ["mentor"],
        },
    )
    assert other.status_code == 201
    db.rollback()
    url = f"/api/v1/newcomers/{newcomer_id}"
    assert marker in client.get(f"{url}/export", headers=coordinator).text
    assert marker in dump_every_table(app)

    assert client.delete(url, headers=coordinator).status_code == 204

    assert marker not in dump_every_table(app)
    assert client.get(f"{url}/export", headers=admin).status_code == 404
    assert client.get(url, headers=admin).status_code == 404
    assert marker not in caplog.text
    db.expire_all()
    assert db.get(Match, match_id) is None
    assert db.scalars(select(RunUnmatched).where(RunUnmatched.run_id == run_id)).all() == []
    assert db.get(MatchRun, run_id).stats == {"requests": 1}  # type: ignore[union-attr]
    kept = {r.key: r.request_hash for r in db.scalars(select(IdempotencyRecord))}
    assert set(kept) == {"create-marker", "match-marker", "create-other"}
    assert kept["create-marker"] is None and kept["match-marker"] is None
    assert kept["create-other"] is not None
    trail = db.scalars(select(AuditEvent).where(AuditEvent.record_id == str(newcomer_id)))
    assert "delete" in {e.action for e in trail}
    db.rollback()


def test_erase_traces_forgets_the_requests_of_those_people_and_their_matches_only(
    client: TestClient, db: Session, keys: Keys
) -> None:
    coordinator = keys.coordinator("101")
    mentor = make_mentor(db, make_association(db), capacity=2)
    ids = {}
    for key in ("erased", "kept"):
        created = client.post(
            "/api/v1/newcomers",
            json={
                "municipality": "101",
                "first_name": key.title(),
                "last_name": "Testsen",
                "languages": ["ar"],
                "programmes": ["mentor"],
            },
            headers={**coordinator, "Idempotency-Key": f"newcomer-{key}"},
        )
        ids[key] = created.json()["id"]
        body = {"newcomer_id": ids[key], "mentor_id": mentor.id, "programme": "mentor"}
        matched = client.post(
            "/api/v1/matches", json=body, headers={**coordinator, "Idempotency-Key": f"match-{key}"}
        )
        assert matched.status_code == 201, matched.text

    assert erase_traces(db, [ids["erased"]]) == 2
    db.commit()

    hashes = {r.key: r.request_hash for r in db.scalars(select(IdempotencyRecord))}
    db.rollback()
    assert hashes["newcomer-erased"] is None and hashes["match-erased"] is None
    assert hashes["newcomer-kept"] is not None and hashes["match-kept"] is not None


def _old(days: int) -> Any:
    return utcnow() - timedelta(days=days)


def test_purge_deletes_only_what_is_past_retention(db: Session) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=5)
    active = make_newcomer(db)
    ended_old = _match(db, active, mentor, "ended", ended_at=_old(400))
    ended_new = _match(db, active, mentor, "ended", ended_at=_old(10))
    rejected_old = _match(db, active, mentor, "rejected", decided_at=_old(400))
    accepted_old = _match(db, active, mentor, "accepted", decided_at=_old(400))
    retired = make_newcomer(db, active=False, updated_at=_old(400))
    _match(db, retired, mentor, "ended", ended_at=_old(500))
    recent_retired = make_newcomer(db, active=False)  # left recently: kept
    blocked = make_newcomer(db, active=False, updated_at=_old(400))
    _match(db, blocked, mentor, "ended", ended_at=_old(5))  # a recent match: kept
    idle_mentor = make_mentor(db, association, active=False, updated_at=_old(400))
    old_run = _unmatched(db, active, started_at=_old(400))
    latest = _unmatched(db, active, started_at=_old(300))

    counts = purge(db, (utcnow() - timedelta(days=365)).date())
    db.commit()
    db.expire_all()

    assert counts.newcomers == 1 and counts.mentors == 1 and counts.unmatched == 1
    assert counts.matches == 3  # ended_old, rejected_old and the retired newcomer's
    assert db.get(Match, ended_old.id) is None and db.get(Match, rejected_old.id) is None
    assert db.get(Match, ended_new.id) is not None and db.get(Match, accepted_old.id) is not None
    assert db.get(Newcomer, retired.id) is None
    assert db.get(Newcomer, recent_retired.id) is not None
    assert db.get(Newcomer, blocked.id) is not None
    assert db.get(Mentor, idle_mentor.id) is None
    remaining = {u.run_id for u in db.scalars(select(RunUnmatched))}
    assert remaining == {latest.id}
    assert db.get(MatchRun, old_run.id) is not None


def _grouped(db: Session, trainer: Mentor, people: list[Newcomer], **run_fields: Any) -> int:
    """A run whose solution holds ``trainer``'s MindSpring group of ``people``."""
    run = MatchRun(status="succeeded", dry_run=False, stats={"requests": len(people)})
    for name, value in run_fields.items():
        setattr(run, name, value)
    db.add(run)
    db.flush()
    for person in people:
        db.add(
            RunGroupMember(
                run_id=run.id, programme="mindspring", mentor_id=trainer.id, newcomer_id=person.id
            )
        )
    db.commit()
    return run.id


def _group_runs(db: Session) -> set[int]:
    rows = db.scalars(select(RunGroupMember.run_id).order_by(RunGroupMember.id))
    return set(rows)


def test_purge_deletes_the_groups_of_old_runs_and_keeps_the_latest_applied_and_recent(
    db: Session,
) -> None:
    trainer = make_mentor(db, make_association(db), programmes=["mindspring"])
    people = [make_newcomer(db, programmes=["mindspring"]) for _ in range(3)]
    old = _grouped(db, trainer, people, started_at=_old(400))
    latest_applied = _grouped(db, trainer, people[:2], started_at=_old(380))
    recent_dry = _grouped(db, trainer, people, started_at=_old(10), dry_run=True)

    counts = purge(db, (utcnow() - timedelta(days=365)).date())
    db.commit()
    db.expire_all()

    assert counts.group_members == 3
    assert "group_members: 3" in counts.lines()
    assert _group_runs(db) == {latest_applied, recent_dry}
    assert db.get(MatchRun, old) is not None  # the run keeps its counts
    db.rollback()


def test_erasing_a_participant_removes_them_from_every_runs_groups(
    client: TestClient, db: Session, keys: Keys
) -> None:
    trainer = make_mentor(db, make_association(db), programmes=["mindspring"])
    people = [make_newcomer(db, programmes=["mindspring"]) for _ in range(3)]
    erased, kept = people[0].id, [p.id for p in people[1:]]
    runs = [_grouped(db, trainer, people), _grouped(db, trainer, people, dry_run=True)]
    admin = keys.admin()
    db.rollback()  # end the read: SQLite lets one writer at a time

    assert client.delete(f"/api/v1/newcomers/{erased}", headers=admin).status_code == 204

    db.expire_all()
    rows = db.execute(
        select(RunGroupMember.run_id, RunGroupMember.newcomer_id).order_by(RunGroupMember.id)
    ).all()
    assert [tuple(r) for r in rows] == [(run, p) for run in runs for p in kept]
    db.rollback()
    export = client.get(f"/api/v1/newcomers/{erased}/export", headers=admin)
    assert export.status_code == 404


def test_export_holds_the_groups_and_household_and_no_other_persons_data(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    trainer = make_mentor(
        db, make_association(db), programmes=["mindspring"], first_name="Trainerxq"
    )
    others = [
        make_newcomer(
            db, programmes=["mindspring"], first_name=f"Otherxq{i}", last_name=f"Lastxq{i}"
        )
        for i in range(2)
    ]
    person = make_newcomer(db, programmes=["mindspring"], first_name="Personxq")
    applied = _grouped(db, trainer, [others[0], person, others[1]])
    trial = _grouped(db, trainer, [person, others[1]], dry_run=True)
    elsewhere = make_mentor(db, make_association(db), programmes=["mindspring"])
    _grouped(db, elsewhere, others)  # a group the person is not in
    household = Household(
        members=[
            HouseholdMember(newcomer_id=others[0].id, position=0),
            HouseholdMember(newcomer_id=person.id, position=1),
        ]
    )
    db.add(household)
    db.commit()
    mine = list(
        db.scalars(
            select(RunGroupMember.id)
            .where(RunGroupMember.newcomer_id == person.id)
            .order_by(RunGroupMember.id)
        )
    )
    db.commit()  # end the read (keeping the rows loaded): SQLite has one writer at a time

    response = client.get(f"/api/v1/newcomers/{person.id}/export", headers=admin)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["groups"] == [
        {
            "id": mine[0],
            "run_id": applied,
            "programme": "mindspring",
            "mentor_id": trainer.id,
            "members": 3,
        },
        {
            "id": mine[1],
            "run_id": trial,
            "programme": "mindspring",
            "mentor_id": trainer.id,
            "members": 2,
        },
    ]
    assert body["household"] == {
        "household_id": household.id,
        "position": 1,
        "contact_person": False,
        "members": 2,
    }
    # Other participants appear at most as a count: none of their names.
    text = response.text
    assert "Personxq" in text
    for marker in ("Otherxq", "Lastxq", "Trainerxq"):
        assert marker not in text


def test_purge_command_prints_counts_and_refuses_future_dates(
    database_url: str, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    mentor = make_mentor(db, make_association(db))
    newcomer = make_newcomer(db)
    match = _match(db, newcomer, mentor, "superseded", decided_at=_old(800))
    match_id = match.id
    monkeypatch.setenv("MAKKER_DATABASE_URL", database_url)
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        cutoff = (date.today() - timedelta(days=365)).isoformat()
        dry = runner.invoke(cli, ["purge", "--ended-before", cutoff, "--dry-run"])
        assert dry.exit_code == 0, dry.output
        assert "matches: 1" in dry.stdout
        db.expire_all()
        assert db.get(Match, match.id) is not None
        db.rollback()  # end the read: SQLite lets one writer at a time

        result = runner.invoke(cli, ["purge", "--ended-before", cutoff])
        assert result.exit_code == 0, result.output
        assert "matches: 1" in result.stdout and "newcomers: 0" in result.stdout
        db.expire_all()
        assert db.get(Match, match_id) is None
        db.rollback()

        future = (date.today() + timedelta(days=2)).isoformat()
        refused = runner.invoke(cli, ["purge", "--ended-before", future])
        assert refused.exit_code == 2
    finally:
        get_settings.cache_clear()


_CAT = "import sys\nfor name in sys.argv[1:]:\n    sys.stdout.buffer.write(open(name, 'rb').read())"


def _sqlite_bytes(database_url: str) -> bytes:
    """The database file and its write-ahead log, as bytes.

    Read by another process: closing a file descriptor of the database in this one would
    drop every POSIX lock the app's SQLite connections hold on it.
    """
    database = Path(make_url(database_url).database or "")
    wal = database.with_name(database.name + "-wal")
    files = [str(database), *([str(wal)] if wal.exists() else [])]
    return subprocess.run(
        [sys.executable, "-c", _CAT, *files], capture_output=True, check=True
    ).stdout


def test_erasure_leaves_the_name_in_no_byte_of_the_sqlite_files(
    client: TestClient, admin: dict[str, str], database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL's files are the server's (dead rows go with VACUUM)")
    marker = "Walmarker" + utcnow().strftime("%H%M%S%f")
    body = {
        "municipality": "101",
        "first_name": marker,
        "last_name": marker + "sen",
        "languages": ["ar"],
        "programmes": ["mentor"],
    }
    created = client.post("/api/v1/newcomers", json=body, headers=admin)
    url = f"/api/v1/newcomers/{created.json()['id']}"
    for interest in ("chess", "music", "football", "cooking"):  # more pages with the name
        client.patch(url, json={"interests": [interest]}, headers=admin)
    assert marker.encode() in _sqlite_bytes(database_url)

    assert client.delete(url, headers=admin).status_code == 204

    left = _sqlite_bytes(database_url).count(marker.encode())
    assert left == 0, f"{left} copies of the name left in the database file or its -wal"


def test_purge_deletes_delivered_notifications_past_retention_and_keeps_the_rest(
    db: Session,
) -> None:
    from app.models import Account, Notification

    account = Account(email="kbh@kk.test", role="coordinator", municipalities=["101"])
    db.add(account)
    db.flush()

    def note(status: str, *, created: int, sent: int | None = None) -> Notification:
        row = Notification(
            kind="follow_ups_due",
            channel="email",
            recipient=account.email,
            language="da",
            payload={} if status == "sent" else {"total": 1},
            status=status,
            created_at=_old(created),
            sent_at=_old(sent) if sent is not None else None,
            account_id=account.id,
        )
        db.add(row)
        return row

    rows = {
        "delivered_old": note("sent", created=400, sent=399),
        "delivered_new": note("sent", created=400, sent=10),  # delivered late: kept for now
        "failed_old": note("failed", created=400),
        "pending_old": note("pending", created=400),  # still to deliver: never purged
        "sending_old": note("sending", created=400),
    }
    db.commit()
    ids = {name: row.id for name, row in rows.items()}

    counts = purge(db, (utcnow() - timedelta(days=365)).date())
    db.commit()
    db.expire_all()

    assert counts.notifications == 2
    assert "notifications: 2" in counts.lines()
    left = set(db.scalars(select(Notification.id)))
    db.rollback()
    assert left == {ids["delivered_new"], ids["pending_old"], ids["sending_old"]}
    assert ids["delivered_old"] not in left and ids["failed_old"] not in left
