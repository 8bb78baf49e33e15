"""Runs: the latest runs and their figures, a dry run started from the page (queued, then
its progress on reload), its unmatched requests scoped and in words; CSRF and 404."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Match, MatchRun
from tests.app.conftest import Keys
from tests.app.desk import Desk
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.runs import work_off


def test_a_dry_run_is_queued_then_its_unmatched_requests_are_shown_in_words(
    app: FastAPI, client: TestClient, desk: Desk, db: Session
) -> None:
    mine = make_newcomer(db, languages=["ti"], max_distance_km=25)
    theirs = make_newcomer(db, languages=["ti"], municipality="147")
    make_mentor(db, make_association(db), languages=["da"])
    token = desk.coordinator("101")
    assert "Ingen kørsel endnu." in client.get("/runs").text
    started = client.post("/runs", data={"csrf_token": token}, follow_redirects=False)
    assert started.status_code == 303
    location = started.headers["location"]
    queued = client.get(location)
    assert queued.status_code == 200
    assert "I kø" in queued.text
    assert "Genindlæs siden" in queued.text
    work_off(app)
    done = client.get(location)
    assert "Færdig" in done.text
    assert f'href="/newcomers/{mine.id}/match"' in done.text
    assert f"/newcomers/{theirs.id}/match" not in done.text  # outside the coordinator's scope
    assert "et fælles sprog" in done.text
    assert "<td>Mentorordning</td>" in done.text
    assert "1 mentorer i ordningen, 0 taler tigrinya" in done.text
    listed = client.get("/runs")
    assert re.search(r"Kørsel \d+</a> \(prøvekørsel\)", listed.text)
    assert db.scalar(select(func.count()).select_from(Match)) == 0  # a dry run proposes none
    db.rollback()


def test_a_run_form_without_its_token_is_refused_and_a_missing_run_is_404(
    client: TestClient, desk: Desk, db: Session
) -> None:
    desk.coordinator("101")
    assert client.post("/runs", data={}).status_code == 403
    assert client.post("/runs", data={"csrf_token": "forged"}).status_code == 403
    assert db.scalar(select(func.count()).select_from(MatchRun)) == 0
    db.rollback()
    assert client.get("/runs/987654").status_code == 404


def test_an_association_has_no_runs_page(client: TestClient, desk: Desk, db: Session) -> None:
    association = make_association(db)
    account = desk.account("association", association_id=association.id)
    desk.sign_in(account.email)
    assert client.get("/runs").status_code == 403


def test_one_dry_run_in_flight_per_person_a_second_is_refused_in_words(
    app: FastAPI, client: TestClient, desk: Desk, db: Session, keys: Keys
) -> None:
    token = desk.coordinator("101")
    first = client.post("/runs", data={"csrf_token": token}, follow_redirects=False)
    assert first.status_code == 303
    run_id = int(first.headers["location"].rsplit("/", 1)[1])
    second = client.post("/runs", data={"csrf_token": token})
    assert second.status_code == 409
    assert f"Du har allerede en kørsel i gang (kørsel {run_id})" in second.text
    assert f'href="/runs/{run_id}"' in second.text
    assert db.scalar(select(func.count()).select_from(MatchRun)) == 1  # nothing written
    db.rollback()
    # Another person may start their own; the API's keys keep their own rule beside it.
    other = Desk(app, TestClient(app))
    theirs = other.client.post(
        "/runs", data={"csrf_token": other.coordinator("147")}, follow_redirects=False
    )
    assert theirs.status_code == 303
    headers = keys.coordinator("101")
    body = {"dry_run": True}
    assert client.post("/api/v1/match-runs", headers=headers, json=body).status_code == 202
    assert client.post("/api/v1/match-runs", headers=headers, json=body).status_code == 409
    work_off(app)
    again = client.post("/runs", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 303  # the first ended: a new one may start
