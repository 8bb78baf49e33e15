"""JSON columns read back exactly as stored, whichever parser the database's driver uses."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Match
from tests.app.factories import make_association, make_mentor, make_newcomer

#: Values a fast parser might read differently: an integer beyond 64 bits (orjson reads it as
#: a float), the limits of a double, non-ASCII text.
COMPONENTS = {
    "big": 123456789012345678901234567890,
    "negative_big": -98765432109876543210,
    "largest_u64": 18446744073709551615,
    "tiny": 5e-324,
    "largest": 1.7976931348623157e308,
    "tenth": 0.1,
    "text": "Ærø, 東京",
}


def test_a_match_shows_its_components_exactly(
    client: TestClient, admin: dict[str, str], db: Session
) -> None:
    mentor = make_mentor(db, make_association(db))
    newcomer = make_newcomer(db)
    match = Match(
        newcomer_id=newcomer.id,
        mentor_id=mentor.id,
        programme="mentor",
        status="proposed",
        source="manual",
        components=COMPONENTS,
    )
    db.add(match)
    db.commit()
    one = client.get(f"/api/v1/matches/{match.id}", headers=admin).json()
    listed = client.get("/api/v1/matches", headers=admin).json()["items"]
    for shown in (one["components"], listed[0]["components"]):
        assert shown == COMPONENTS
        assert all(type(shown[k]) is type(v) for k, v in COMPONENTS.items())
