"""Manual matches obey the solver's hard rules; accepting re-checks the absolute ones."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.matches.schemas import ABSOLUTE_RULES, OVERRIDABLE_RULES
from app.models import AuditEvent, Match, Mentor, Newcomer
from matching import PAIR_RULES
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

URL = "/api/v1/matches"


def years_ago(years: int, *, days_later: int = 0) -> date:
    """A birth date ``years`` ago (``days_later`` moves it towards today)."""
    today = date.today()
    born = date(today.year - years, today.month, min(today.day, 28))
    return date.fromordinal(born.toordinal() + days_later)


def count(db: Session, model: type[Any]) -> int:
    """Rows of ``model``, read in a short session of its own (``db``'s objects stay loaded;
    on SQLite an open transaction would hold the write lock)."""
    with Session(db.get_bind()) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def child(db: Session) -> dict[str, Any]:
    """A 10-year-old in homework_help and a mentor of it without a child certificate."""
    association = make_association(db)
    mentor = make_mentor(db, association, programmes=["homework_help"], child_certificate=False)
    newcomer = make_newcomer(db, birth_date=years_ago(10), programmes=["homework_help"])
    return {"association": association, "mentor": mentor, "newcomer": newcomer}


def body_of(newcomer: Newcomer, mentor: Mentor, programme: str, **extra: Any) -> dict[str, Any]:
    return {"newcomer_id": newcomer.id, "mentor_id": mentor.id, "programme": programme, **extra}


def test_the_rule_names_cover_the_contract() -> None:
    assert set(ABSOLUTE_RULES) | set(OVERRIDABLE_RULES) | {"capacity"} == set(PAIR_RULES)


def test_a_child_with_an_uncertified_mentor_is_refused_like_the_suggestions(
    client: TestClient, keys: Keys, db: Session, child: dict[str, Any]
) -> None:
    headers = keys.coordinator("101")
    newcomer, mentor = child["newcomer"], child["mentor"]
    suggested = client.get(f"/api/v1/newcomers/{newcomer.id}/suggestions", headers=headers)
    assert suggested.json()["items"][0]["reason"] == "child_safety"
    events = count(db, AuditEvent)

    answer = client.post(URL, headers=headers, json=body_of(newcomer, mentor, "homework_help"))
    assert answer.status_code == 422
    assert "child_safety" in answer.json()["detail"]
    assert [e["rule"] for e in answer.json()["errors"]] == ["child_safety"]
    # Absolute: it cannot be overridden, whatever the reason.
    override = body_of(
        newcomer, mentor, "homework_help", overrides=["child_safety"], override_reason="urgent"
    )
    refused = client.post(URL, headers=headers, json=override)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "overrides.0"
    assert "absolute" in refused.json()["errors"][0]["message"]
    assert count(db, Match) == 0
    assert count(db, AuditEvent) == events  # refused requests write nothing


def test_the_programme_and_its_age_range_are_absolute(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, programmes=["mentor"])
    newcomer = make_newcomer(db, birth_date=years_ago(20), programmes=["mentor", "lets_network"])
    headers = keys.admin()
    # The mentor does not volunteer for lets_network.
    answer = client.post(URL, headers=headers, json=body_of(newcomer, mentor, "lets_network"))
    assert answer.status_code == 422
    assert [e["rule"] for e in answer.json()["errors"]] == ["programme"]
    assert answer.json()["errors"][0]["field"] == "programme"
    # The newcomer has turned 25 since registering: lets_network is for ages up to 24.
    other = make_mentor(db, association, programmes=["lets_network"])
    db.execute(
        Newcomer.__table__.update()
        .where(Newcomer.id == newcomer.id)
        .values(birth_date=years_ago(25, days_later=-1))
    )
    db.commit()
    aged = client.post(URL, headers=headers, json=body_of(newcomer, other, "lets_network"))
    assert aged.status_code == 422
    assert [e["rule"] for e in aged.json()["errors"]] == ["programme"]
    assert count(db, Match) == 0


@pytest.mark.parametrize(
    ("rule", "newcomer_fields", "mentor_fields"),
    [
        ("distance", {"municipality": "101"}, {"municipality": "751"}),
        ("language", {"languages": ["ti"]}, {"languages": ["da", "en"]}),
        ("gender", {"mentor_gender": "male"}, {"gender": "female"}),
    ],
)
def test_an_overridable_rule_needs_an_explicit_override_with_a_reason(
    client: TestClient,
    keys: Keys,
    db: Session,
    rule: str,
    newcomer_fields: dict[str, Any],
    mentor_fields: dict[str, Any],
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, **mentor_fields)
    newcomer = make_newcomer(db, **newcomer_fields)
    headers = keys.admin()
    plain = body_of(newcomer, mentor, "mentor")

    refused = client.post(URL, headers=headers, json=plain)
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {"field": "overrides", "message": refused.json()["errors"][0]["message"], "rule": rule}
    ]
    no_reason = client.post(URL, headers=headers, json={**plain, "overrides": [rule]})
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "override_reason"
    assert count(db, Match) == 0

    reason = "the family asked for this mentor"
    created = client.post(
        URL, headers=headers, json={**plain, "overrides": [rule], "override_reason": reason}
    )
    assert created.status_code == 201, created.text
    match = created.json()
    assert match["overrides"] == [rule]
    assert match["override_reason"] == reason
    assert match["source"] == "manual"
    assert set(match["components"]) == {"language", "distance", "interests", "age"}
    assert 0 <= match["score"] <= 1 and match["distance_km"] >= 0
    assert client.get(f"{URL}/{match['id']}", headers=headers).json()["overrides"] == [rule]

    actions = db.scalars(
        select(AuditEvent.action).where(
            AuditEvent.resource == "match", AuditEvent.record_id == str(match["id"])
        )
    ).all()
    assert sorted(actions) == sorted(["create", f"override_{rule}"])
    texts = db.scalars(select(AuditEvent.record_id)).all() + list(actions)
    db.rollback()
    assert not any(reason in text for text in texts)  # the reason never reaches the audit


def test_a_pair_rejected_before_is_forbidden_unless_overridden(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association)
    newcomer = make_newcomer(db)
    db.add(
        Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="rejected",
            source="solver",
        )
    )
    db.commit()
    plain = body_of(newcomer, mentor, "mentor")
    refused = client.post(URL, headers=keys.admin(), json=plain)
    assert [e["rule"] for e in refused.json()["errors"]] == ["forbidden"]
    created = client.post(
        URL,
        headers=keys.admin(),
        json={**plain, "overrides": ["forbidden"], "override_reason": "a second try, agreed"},
    )
    assert created.status_code == 201
    assert created.json()["overrides"] == ["forbidden"]


def test_a_manual_match_is_scored_like_a_suggestion(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, lat=55.70, lon=12.55, interests=["football", "chess"])
    newcomer = make_newcomer(db, lat=55.66, lon=12.58)
    headers = keys.coordinator("101")
    suggested = client.get(f"/api/v1/newcomers/{newcomer.id}/suggestions", headers=headers)
    candidate = suggested.json()["items"][0]["candidates"][0]
    assert candidate["mentor_id"] == mentor.id

    created = client.post(URL, headers=headers, json=body_of(newcomer, mentor, "mentor")).json()
    assert created["overrides"] == [] and created["override_reason"] is None
    assert round(created["score"], 4) == candidate["score"]
    assert round(created["distance_km"], 2) == candidate["distance_km"]
    assert {k: round(v, 4) for k, v in created["components"].items()} == candidate["components"]


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"overrides": ["capacity"], "override_reason": "x"}, "overrides.0"),
        ({"overrides": ["programme"], "override_reason": "x"}, "overrides.0"),
        ({"overrides": ["nope"], "override_reason": "x"}, "overrides.0"),
        ({"overrides": ["distance", "distance"], "override_reason": "x"}, "overrides"),
        ({"override_reason": "no overrides"}, "override_reason"),
        ({"overrides": ["distance"], "override_reason": ""}, "override_reason"),
        ({"overrides": "distance", "override_reason": "x"}, "overrides"),
    ],
)
def test_bad_overrides_are_a_422_naming_the_field(
    client: TestClient, keys: Keys, db: Session, extra: dict[str, Any], field: str
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, municipality="751")
    newcomer = make_newcomer(db)
    answer = client.post(
        URL, headers=keys.admin(), json=body_of(newcomer, mentor, "mentor", **extra)
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == field
    assert count(db, Match) == 0


def test_an_override_the_pair_does_not_need_is_not_stored(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association)
    newcomer = make_newcomer(db)
    created = client.post(
        URL,
        headers=keys.admin(),
        json=body_of(newcomer, mentor, "mentor", overrides=["gender"], override_reason="x"),
    )
    assert created.status_code == 201
    assert created.json()["overrides"] == [] and created.json()["override_reason"] is None


def _proposal(db: Session, newcomer: Newcomer, mentor: Mentor, programme: str, source: str) -> int:
    match = Match(
        newcomer_id=newcomer.id,
        mentor_id=mentor.id,
        programme=programme,
        status="proposed",
        source=source,
    )
    db.add(match)
    db.commit()
    return match.id


@pytest.mark.parametrize("source", ["solver", "manual"])
def test_accept_rechecks_child_safety_after_a_certificate_lapsed(
    client: TestClient, keys: Keys, db: Session, child: dict[str, Any], source: str
) -> None:
    mentor, newcomer = child["mentor"], child["newcomer"]
    mentor.child_certificate = True
    db.commit()
    match_id = _proposal(db, newcomer, mentor, "homework_help", source)
    # The certificate lapses: the association records it.
    association_key = keys.association(child["association"].id)
    patched = client.patch(
        f"/api/v1/mentors/{mentor.id}", headers=association_key, json={"child_certificate": False}
    )
    assert patched.status_code == 200, patched.text

    answer = client.post(f"{URL}/{match_id}/accept", headers=keys.admin())
    assert answer.status_code == 409
    assert "child_safety" in answer.json()["detail"]
    assert [e["rule"] for e in answer.json()["errors"]] == ["child_safety"]
    assert client.get(f"{URL}/{match_id}", headers=keys.admin()).json()["status"] == "proposed"


@pytest.mark.parametrize("source", ["solver", "manual"])
def test_accept_rechecks_the_age_range_after_a_birthday(
    client: TestClient, keys: Keys, db: Session, source: str
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association)
    born = years_ago(25, days_later=1)  # 24 until tomorrow
    newcomer = make_newcomer(db, birth_date=born, programmes=["lets_network"])
    match_id = _proposal(db, newcomer, mentor, "lets_network", source)
    assert client.post(f"{URL}/{match_id}/accept", headers=keys.admin()).status_code == 200

    # Another one, proposed while 24; the 25th birthday has passed by the accept.
    late = make_newcomer(db, birth_date=born, programmes=["lets_network"])
    other = make_mentor(db, association)
    late_id = _proposal(db, late, other, "lets_network", source)
    db.execute(
        Newcomer.__table__.update()
        .where(Newcomer.id == late.id)
        .values(birth_date=years_ago(25, days_later=-1))
    )
    db.commit()
    answer = client.post(f"{URL}/{late_id}/accept", headers=keys.admin())
    assert answer.status_code == 409
    assert [e["rule"] for e in answer.json()["errors"]] == ["programme"]
