"""Suggestions: ranked mentors from the solver's rules and score, or the rule that left none."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.demo.seed import seed_demo
from app.jobs.rematch import rematch
from app.models import Association, Match, Mentor, Newcomer
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer


def _mentor(db: Session, association: Association, **fields: Any) -> Mentor:
    values: dict[str, Any] = {"languages": ["da", "ar"], "programmes": ["mentor"], "capacity": 1}
    values.update(fields)
    return make_mentor(db, association, **values)


def _match(
    db: Session, newcomer: Newcomer, mentor: Mentor, status: str, programme: str = "mentor"
) -> None:
    db.add(
        Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor.id,
            programme=programme,
            status=status,
            source="manual",
        )
    )
    db.commit()


def _get(client: TestClient, newcomer: Newcomer, headers: dict[str, str], query: str = "") -> Any:
    return client.get(f"/api/v1/newcomers/{newcomer.id}/suggestions{query}", headers=headers)


def test_suggestions_rank_qualifying_mentors_with_components(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db, languages=["ar", "en"], interests=["football", "chess"])
    best = _mentor(db, association, interests=["football", "chess"])
    second = _mentor(db, association, languages=["da", "en"], interests=[])
    _mentor(db, association, languages=["da"])  # no shared language
    _mentor(db, association, municipality="851")  # Aalborg: too far from Copenhagen

    response = _get(client, newcomer, admin)

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["newcomer_id"] == newcomer.id
    [block] = body["items"]
    assert block["programme"] == "mentor"
    assert [c["mentor_id"] for c in block["candidates"]] == [best.id, second.id]
    top = block["candidates"][0]
    assert top["association_id"] == association.id and top["municipality"] == "101"
    assert top["components"]["language"] == 1.0
    assert top["components"]["interests"] == 1.0
    assert top["distance_km"] == 0.0
    assert block["candidates"][1]["components"]["language"] == 0.5
    assert top["score"] > block["candidates"][1]["score"]
    assert block["reason"] is None
    assert block["passed"]["programme"] == 4
    assert block["passed"]["language"] == 3
    assert block["passed"]["distance"] == 2
    assert "first_name" not in top and "email" not in top


def test_no_candidates_name_the_rule_and_the_counts(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db, languages=["ti"])
    for _ in range(3):
        _mentor(db, association)

    [block] = _get(client, newcomer, admin).json()["items"]

    assert block["candidates"] == []
    assert block["reason"] == "language"
    assert block["passed"]["programme"] == 3
    assert block["passed"]["language"] == 0


def test_accepted_load_and_rejections_remove_mentors(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db)
    full = _mentor(db, association)
    _match(db, make_newcomer(db), full, "accepted")
    rejected = _mentor(db, association)
    _match(db, newcomer, rejected, "rejected")

    [block] = _get(client, newcomer, admin).json()["items"]

    assert block["candidates"] == []
    assert block["reason"] == "capacity"
    assert block["passed"]["forbidden"] == 1 and block["passed"]["capacity"] == 0


def test_one_block_per_open_request_and_programme_filter(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db, programmes=["mentor", "homework_help", "leisure_guide"])
    mentor = _mentor(db, association, programmes=["mentor", "homework_help"], capacity=3)
    guide = _mentor(db, association, programmes=["leisure_guide"])
    _match(db, newcomer, guide, "accepted", "leisure_guide")

    body = _get(client, newcomer, admin, "?limit=1").json()
    # leisure_guide is matched already: not an open request.
    assert [b["programme"] for b in body["items"]] == ["mentor", "homework_help"]
    assert all(len(b["candidates"]) == 1 for b in body["items"])
    assert body["items"][0]["candidates"][0]["mentor_id"] == mentor.id

    picked = _get(client, newcomer, admin, "?programme=homework_help").json()
    assert [b["programme"] for b in picked["items"]] == ["homework_help"]
    unknown = _get(client, newcomer, admin, "?programme=knitting")
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "programme"
    assert _get(client, newcomer, admin, "?programme=leisure_guide").status_code == 409
    assert _get(client, newcomer, admin, "?programme=mindspring").status_code == 409
    assert _get(client, newcomer, admin, "?limit=0").status_code == 422


def test_inactive_newcomer_has_no_open_requests(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    newcomer = make_newcomer(db, active=False)
    assert _get(client, newcomer, admin).json()["items"] == []


def test_suggestions_are_scoped(client: TestClient, db: Session, keys: Keys) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db, municipality="751", languages=["ar"])
    _mentor(db, association, municipality="751")
    assert _get(client, newcomer, keys.coordinator("751")).status_code == 200
    assert _get(client, newcomer, keys.coordinator("101")).status_code == 404
    assert _get(client, newcomer, keys.association(association.id)).status_code == 403
    missing = client.get("/api/v1/newcomers/999999/suggestions", headers=keys.admin())
    assert missing.status_code == 404


def test_every_proposal_of_a_run_is_a_suggestion_with_the_same_score(
    app: FastAPI, client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    seed_demo(db, newcomers=60, mentors=40, seed=3)
    db.commit()
    rematch(app.state.engine)
    proposals = [
        (m.newcomer_id, m.mentor_id, m.programme, m.score, m.distance_km)
        for m in db.scalars(select(Match).where(Match.status == "proposed"))
    ]
    db.rollback()  # end the read: SQLite lets one writer at a time
    assert proposals

    for newcomer_id, mentor_id, programme, score, distance_km in proposals[:15]:
        url = f"/api/v1/newcomers/{newcomer_id}/suggestions?programme={programme}&limit=50"
        [block] = client.get(url, headers=admin).json()["items"]
        found = {c["mentor_id"]: c for c in block["candidates"]}
        assert mentor_id in found
        assert found[mentor_id]["score"] == pytest.approx(score, abs=1e-4)
        assert found[mentor_id]["distance_km"] == pytest.approx(distance_km, abs=0.01)


def test_the_next_call_sees_a_mentor_moved_and_a_match_accepted(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    """Between two calls a mentor moves to another association and an accepted match fills
    them, both through the API: each next answer shows it (nothing stale is served)."""
    first, second = make_association(db), make_association(db)
    newcomer = make_newcomer(db)
    mentor = _mentor(db, first)
    [block] = _get(client, newcomer, admin).json()["items"]
    assert [(c["mentor_id"], c["association_id"]) for c in block["candidates"]] == [
        (mentor.id, first.id)
    ]

    moved = client.patch(
        f"/api/v1/mentors/{mentor.id}", json={"association_id": second.id}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    [block] = _get(client, newcomer, admin).json()["items"]
    assert [(c["mentor_id"], c["association_id"]) for c in block["candidates"]] == [
        (mentor.id, second.id)
    ]

    other = make_newcomer(db)
    _match(db, other, mentor, "proposed")
    [block] = _get(client, newcomer, admin).json()["items"]
    assert [c["mentor_id"] for c in block["candidates"]] == [mentor.id]
    proposal = db.scalars(select(Match.id).where(Match.newcomer_id == other.id)).one()
    db.commit()  # the test's read ends before the API writes (SQLite's lock)
    accepted = client.post(f"/api/v1/matches/{proposal}/accept", headers=admin)
    assert accepted.status_code == 200, accepted.text
    [block] = _get(client, newcomer, admin).json()["items"]
    assert block["candidates"] == []
    assert block["reason"] == "capacity"
