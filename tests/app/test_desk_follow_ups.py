"""The desk's follow-ups: the list of follow-ups due and a check-in recorded on a match."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app import clock
from app.models import CheckIn, Match
from tests.app.desk import Desk, field_error, make_proposal


def _accepted_days_ago(db: Session, days: int) -> int:
    match_id = make_proposal(db)
    accepted = clock.utcnow() - timedelta(days=days)
    db.execute(
        update(Match).where(Match.id == match_id).values(status="accepted", decided_at=accepted)
    )
    db.commit()
    return match_id


def test_a_due_follow_up_is_listed_and_recorded(
    client: TestClient, desk: Desk, db: Session
) -> None:
    match_id = _accepted_days_ago(db, 31)
    token = desk.coordinator("101")
    due = client.get("/follow-ups")
    assert due.status_code == 200
    assert "Karen, Røde Kors Testby" in due.text and "30 dage efter accept" in due.text
    form = client.get(f"/matches/{match_id}/check-in")
    assert form.status_code == 200 and "Hvordan går det parret?" in form.text
    empty = client.post(f"/matches/{match_id}/check-in", data={"csrf_token": token})
    assert empty.status_code == 400
    assert field_error(empty, "status") == "Vælg, hvordan det går parret."
    done = client.post(
        f"/matches/{match_id}/check-in",
        data={"csrf_token": token, "status": "meeting", "note": "Mødes ugentligt"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/follow-ups?done=recorded"
    after = client.get("/follow-ups?done=recorded")
    assert (
        "Opfølgningen er registreret." in after.text and "Ingen opfølgninger venter." in after.text
    )
    row = db.scalars(select(CheckIn)).one()
    assert (row.match_id, row.status, row.note) == (match_id, "meeting", "Mødes ugentligt")
    db.rollback()
    assert "Mødes ugentligt" in client.get(f"/matches/{match_id}/check-in").text


def test_a_match_outside_the_scope_has_no_check_in_page(
    client: TestClient, desk: Desk, db: Session
) -> None:
    match_id = _accepted_days_ago(db, 31)
    desk.coordinator("751")
    assert client.get(f"/matches/{match_id}/check-in").status_code == 404
    assert "Karen" not in client.get("/follow-ups").text
