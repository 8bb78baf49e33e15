"""No overbooking: twenty concurrent accepts against a real uvicorn server, one place left."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Match
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.live_server import concurrently


def accept_all(server: str, headers: dict[str, str], ids: list[int]) -> list[int]:
    """POST .../accept for every id at once; the codes."""
    return concurrently(
        server,
        headers,
        [lambda c, i=i: c.post(f"/api/v1/matches/{i}/accept").status_code for i in ids],
    )


def test_twenty_concurrent_accepts_one_place_left(server: str, db: Session, keys: Keys) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=2)
    first = make_newcomer(db)
    db.add(
        Match(
            newcomer_id=first.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="accepted",
            source="manual",
        )
    )
    proposals = []
    for _ in range(20):
        newcomer = make_newcomer(db)
        proposal = Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="proposed",
            source="manual",
        )
        db.add(proposal)
        proposals.append(proposal)
    db.commit()
    headers = keys.admin()

    codes = accept_all(server, headers, [p.id for p in proposals])
    assert sorted(codes) == [200] + [409] * 19
    accepted = db.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.mentor_id == mentor.id, Match.status == "accepted")
    )
    db.rollback()
    assert accepted == 2


def test_concurrent_accepts_of_one_request_for_different_mentors(
    server: str, db: Session, keys: Keys
) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db)
    proposals = []
    for _ in range(10):
        mentor = make_mentor(db, association, capacity=5)
        proposal = Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="proposed",
            source="manual",
        )
        db.add(proposal)
        proposals.append(proposal)
    db.commit()

    codes = accept_all(server, keys.admin(), [p.id for p in proposals])
    assert sorted(codes) == [200] + [409] * 9
    accepted = db.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.newcomer_id == newcomer.id, Match.status == "accepted")
    )
    db.rollback()
    assert accepted == 1
