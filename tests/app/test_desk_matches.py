"""Matches: active and ended, end with a reason, a stale end said in words, scope as 404."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.models import Match
from tests.app.desk import Desk, field_error, make_proposal


def _accepted(db: Session, **fields: str) -> int:
    match_id = make_proposal(db, **fields)
    db.execute(update(Match).where(Match.id == match_id).values(status="accepted"))
    db.commit()
    return match_id


def _status(db: Session, match_id: int) -> str:
    row = db.get(Match, match_id, populate_existing=True)
    assert row is not None
    status = row.status
    db.rollback()
    return status


def test_active_matches_are_listed_and_ended_with_a_reason(
    client: TestClient, desk: Desk, db: Session
) -> None:
    match_id = _accepted(db)
    token = desk.coordinator("101")
    active = client.get("/matches")
    assert active.status_code == 200
    assert "Karen, Røde Kors Testby" in active.text
    assert "Hiba" not in client.get("/matches?view=ended").text
    assert client.get(f"/matches/{match_id}/end").status_code == 200
    empty = client.post(f"/matches/{match_id}/end", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 400
    assert field_error(empty, "reason") == "Skriv, hvorfor matchet slutter."
    assert _status(db, match_id) == "accepted"
    ended = client.post(
        f"/matches/{match_id}/end",
        data={"csrf_token": token, "reason": "Flyttet"},
        follow_redirects=False,
    )
    assert ended.status_code == 303
    assert _status(db, match_id) == "ended"
    listing = client.get(ended.headers["location"])
    assert "Matchet er afsluttet." in listing.text
    assert "Afsluttet (Flyttet)" in listing.text
    again = client.post(f"/matches/{match_id}/end", data={"csrf_token": token, "reason": "x"})
    assert again.status_code == 409
    assert "Det er allerede besluttet." in again.text


def test_a_match_outside_the_scope_is_the_404_page(
    client: TestClient, desk: Desk, db: Session
) -> None:
    match_id = _accepted(db, municipality="147")
    token = desk.coordinator("101")
    assert "Hiba" not in client.get("/matches").text
    assert client.get(f"/matches/{match_id}/end").status_code == 404
    end = client.post(f"/matches/{match_id}/end", data={"csrf_token": token, "reason": "x"})
    assert end.status_code == 404
    assert _status(db, match_id) == "accepted"
