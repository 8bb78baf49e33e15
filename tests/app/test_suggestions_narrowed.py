"""Suggestions over the narrowed mentors answer exactly as over every mentor (load_problem).

Seeded random data sets exercise what the narrowing could get wrong: mentors with and without
their own coordinates, at the distance limit and far beyond it, near a pole and across the
antimeridian; every programme rule (age bounds, a required language, the first language);
inactive mentors; accepted load from other newcomers, rejected, ended and manual pairs;
households (the members read together for the household's request, their matches and live
proposals household-wide).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session

import matching
from app.models import (
    Association,
    Household,
    HouseholdMember,
    Match,
    Mentor,
    Newcomer,
    Programme,
)
from app.suggestions.service import find
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.suggestions_reference import full_load_suggestions

TODAY = date(2026, 11, 22)
LANGUAGES = ["da", "en", "ar", "ti", "uk", "so", "ps", "ku"]
PLACES = ["101", "147", "751", "851", "461"]  # Copenhagen, Frederiksberg, Aarhus, Aalborg, Odense
# (lat, lon) spots for people with their own coordinates: around Denmark, the pole and the
# antimeridian (a box there must not wrap wrongly).
SPOTS = [(55.68, 12.57), (55.7, 12.2), (56.15, 10.2), (57.05, 9.92), (89.9, 0.0), (89.95, 150.0),
         (10.0, 179.95), (10.0, -179.95), (55.68, 12.9)]  # fmt: skip


def _point(rng: random.Random) -> dict[str, Any]:
    if rng.random() < 0.5:
        return {"lat": None, "lon": None}
    lat, lon = rng.choice(SPOTS)
    spread = rng.choice([0.0, 0.01, 0.3])
    return {
        "lat": max(-90.0, min(90.0, lat + rng.uniform(-spread, spread))),
        "lon": max(-180.0, min(180.0, lon + rng.uniform(-spread, spread))),
    }


def _seed(db: Session, seed: int, *, newcomers: int, mentors: int) -> list[Newcomer]:
    rng = random.Random(seed)
    if db.get(Programme, "evening_class") is None:
        db.add(Programme(code="evening_class", name="Aftenskole", min_age=18, max_age=60,
                         requires_language="en", requires_first_language=False))  # fmt: skip
        db.flush()
    codes = [p for (p,) in db.query(Programme.code)]
    association = Association(name="Forening", kind="red_cross", municipalities=[])
    db.add(association)
    db.flush()
    mentor_rows = []
    for i in range(mentors):
        row = Mentor(
            association_id=association.id,
            first_name=f"Frivillig{i}",
            last_name="Test",
            birth_year=rng.choice([None, 1950, 1980, 1995, 2005]),
            gender=rng.choice([None, "female", "male", "other"]),
            languages=rng.sample(LANGUAGES[:-1], rng.randint(1, 3)),  # "ku" is rare
            municipality=rng.choice(PLACES),
            max_distance_km=rng.choice([None, None, 0.0, 5.0, 30.0, 150.0, 5000.0]),
            capacity=rng.randint(1, 3),
            programmes=rng.sample(codes, rng.randint(1, 3)),
            interests=rng.sample(["football", "chess", "music", "cooking"], rng.randint(0, 2)),
            accepts_genders=rng.choice([None, None, ["female"], ["male", "other"]]),
            child_certificate=rng.random() < 0.4,
            active=rng.random() < 0.9,
            **_point(rng),
        )
        if rng.random() < 0.05:
            row.languages = [*row.languages, "ku"]
        mentor_rows.append(row)
    newcomer_rows = []
    for i in range(newcomers):
        birth = rng.choice([None, date(2015, 3, 1), date(2003, 6, 30), date(1970, 1, 1)])
        row = Newcomer(
            municipality=rng.choice(PLACES),
            first_name=f"Nykommer{i}",
            last_name="Test",
            birth_date=birth,
            gender=rng.choice([None, "female", "male"]),
            mentor_gender=rng.choice([None, None, "female", "male"]),
            languages=["ku"] if rng.random() < 0.2 else rng.sample(LANGUAGES, rng.randint(1, 3)),
            interests=rng.sample(["football", "chess", "music"], rng.randint(0, 2)),
            programmes=rng.sample(codes, rng.randint(1, 3)),
            max_distance_km=rng.choice([None, None, 0.0, 10.0, 30.0, 300.0, 20000.0]),
            registered_at=datetime.now(UTC) - timedelta(days=rng.randint(0, 400)),
            active=rng.random() < 0.95,
            **_point(rng),
        )
        newcomer_rows.append(row)
    db.add_all(mentor_rows + newcomer_rows)
    db.flush()
    accepted_requests: set[tuple[int, str]] = set()
    live_pairs: set[tuple[int, int]] = set()  # one proposed-or-accepted match per pair
    for _ in range(newcomers * 2):
        newcomer, mentor = rng.choice(newcomer_rows), rng.choice(mentor_rows)
        status = rng.choice(["accepted"] * 3 + ["rejected", "ended", "proposed", "superseded"])
        source = rng.choice(["manual", "solver"])
        code = rng.choice(newcomer.programmes)
        if status == "accepted" and (newcomer.id, code) in accepted_requests:
            continue
        if status in ("accepted", "proposed"):
            if (newcomer.id, mentor.id) in live_pairs:
                continue
            live_pairs.add((newcomer.id, mentor.id))
        if status == "accepted":
            accepted_requests.add((newcomer.id, code))
        db.add(Match(newcomer_id=newcomer.id, mentor_id=mentor.id, programme=code,
                     status=status, source=source))  # fmt: skip
    for newcomer in newcomer_rows[:3]:  # an easy newcomer who turned every mentor down
        newcomer.active, newcomer.birth_date, newcomer.mentor_gender = True, date(1990, 1, 1), None
        newcomer.languages, newcomer.programmes = ["da", "en"], ["mentor"]
        for mentor in mentor_rows:
            db.add(Match(newcomer_id=newcomer.id, mentor_id=mentor.id, status="rejected",
                         programme=newcomer.programmes[0], source="solver"))  # fmt: skip
    _households(db, rng, newcomer_rows[3:])
    db.commit()
    return newcomer_rows


def _households(db: Session, rng: random.Random, people: list[Newcomer]) -> None:
    """Households of two to four among a third of ``people``: the contact person mostly asks
    for the household programme, the members never (children of 2015 or unknown age among
    them), so the members' languages, ages, genders and matches count for the household."""
    pool = rng.sample(people, len(people) // 3)
    while len(pool) >= 2:
        size = min(len(pool), rng.randint(2, 4))
        members, pool = pool[:size], pool[size:]
        contact = members[0]
        if rng.random() < 0.8 and "network_family" not in contact.programmes:
            contact.programmes = [*contact.programmes, "network_family"]
        for member in members[1:]:
            member.programmes = [p for p in member.programmes if p != "network_family"]
            member.programmes = member.programmes or ["homework_help"]
        db.add(Household(members=[HouseholdMember(newcomer_id=m.id, position=i)
                                  for i, m in enumerate(members)]))  # fmt: skip
    db.flush()


def _same(found: list[matching.Suggestions], expected: list[matching.Suggestions]) -> None:
    assert [b.programme for b in found] == [b.programme for b in expected]
    for got, want in zip(found, expected, strict=True):
        assert got.candidates == want.candidates, got.programme
        assert dict(got.passed) == dict(want.passed), got.programme
        assert got.reason == want.reason, got.programme


SETS = [(1, 30, 160), (2, 30, 40), (3, 40, 20)]  # (seed, newcomers, mentors)


@pytest.mark.parametrize(("seed", "newcomers", "mentors"), SETS)
def test_narrowed_suggestions_equal_the_full_load(
    db: Session, seed: int, newcomers: int, mentors: int
) -> None:
    people = _seed(db, seed, newcomers=newcomers, mentors=mentors)
    for newcomer in people:
        expected = full_load_suggestions(db, newcomer.id, 200, None, TODAY)
        _same(find(db, newcomer, limit=200, today=TODAY), expected)
        for block in expected:
            one = find(db, newcomer, limit=3, programme=block.programme, today=TODAY)
            _same(one, full_load_suggestions(db, newcomer.id, 3, block.programme, TODAY))


def test_the_seed_reaches_every_reason(db: Session) -> None:
    """The data sets above are worth comparing on: they end in every rule and in candidates."""
    reasons: set[str | None] = set()
    for seed, newcomers, mentors in SETS:
        for newcomer in _seed(db, seed, newcomers=newcomers, mentors=mentors):
            reasons.update(b.reason for b in full_load_suggestions(db, newcomer.id, 5, None, TODAY))
    assert reasons >= {None, *matching.PAIR_RULES}


def test_the_mentor_index_follows_every_change(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db, languages=["ar"], programmes=["mentor"])
    url = f"/api/v1/newcomers/{newcomer.id}/suggestions"

    def candidates() -> list[int]:
        [block] = client.get(url, headers=admin).json()["items"]
        return [c["mentor_id"] for c in block["candidates"]]

    first = make_mentor(db, association, languages=["ar"], programmes=["mentor"])
    assert candidates() == [first.id]
    second = make_mentor(db, association, languages=["ar"], programmes=["mentor"])
    assert candidates() == [first.id, second.id]  # a new mentor
    patch = client.patch(f"/api/v1/mentors/{first.id}", headers=admin, json={"languages": ["da"]})
    assert patch.status_code == 200, patch.text
    assert candidates() == [second.id]  # an update
    client.patch(f"/api/v1/mentors/{first.id}", headers=admin, json={"languages": ["ar"]})
    client.patch(f"/api/v1/mentors/{second.id}", headers=admin, json={"active": False})
    assert candidates() == [first.id]  # deactivated
    assert client.delete(f"/api/v1/mentors/{first.id}", headers=admin).status_code == 204
    [block] = client.get(url, headers=admin).json()["items"]
    assert block["candidates"] == [] and block["passed"] == {"programme": 0}  # deleted


def test_the_mentor_index_follows_changes_made_outside_the_orm(
    client: TestClient, db: Session, admin: dict[str, str]
) -> None:
    """A change the ORM did not make (a bulk statement, an operator's SQL) bumps neither the
    version nor ``updated_at``; the database itself marks the table changed."""
    association = make_association(db)
    newcomer = make_newcomer(db, languages=["ar"], programmes=["mentor"])
    first = make_mentor(db, association, languages=["ar"], programmes=["mentor"])
    second = make_mentor(db, association, languages=["ar"], programmes=["mentor"])
    url = f"/api/v1/newcomers/{newcomer.id}/suggestions"

    def candidates() -> list[int]:
        [block] = client.get(url, headers=admin).json()["items"]
        return [c["mentor_id"] for c in block["candidates"]]

    assert candidates() == [first.id, second.id]
    db.execute(text("UPDATE mentors SET active = false WHERE id = :id"), {"id": first.id})
    db.commit()
    assert candidates() == [second.id]
    db.execute(text("UPDATE mentors SET active = true WHERE id = :id"), {"id": first.id})
    db.commit()
    assert candidates() == [first.id, second.id]


def test_mentors_outside_the_index_pool_are_suggested_as_by_the_full_load(db: Session) -> None:
    """A mentor listing a programme since made inactive, or over a since-lowered capacity,
    reaches the library as a new object, not the index's (its pool then checks and converts
    it afresh): the answer is still the full load's."""
    people = _seed(db, 2, newcomers=30, mentors=40)
    programme = db.get(Programme, "homework_help")
    assert programme is not None
    programme.active = False
    listing = [m for m in db.query(Mentor) if "homework_help" in m.programmes]
    assert listing  # the seed has such mentors
    accepted = Counter(
        mentor_id for (mentor_id,) in db.query(Match.mentor_id).filter(Match.status == "accepted")
    )
    busiest, load = accepted.most_common(1)[0]
    assert load >= 2  # the seed has a mentor with two accepted matches or more
    mentor = db.get(Mentor, busiest)
    assert mentor is not None
    mentor.capacity = 1
    db.commit()
    for newcomer in people:
        expected = full_load_suggestions(db, newcomer.id, 200, None, TODAY)
        _same(find(db, newcomer, limit=200, today=TODAY), expected)
