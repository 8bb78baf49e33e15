"""ORM factories with valid, synthetic defaults (no real personal data)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from app.models import Association, Mentor, Newcomer, Programme


def make_association(session: Session, **fields: Any) -> Association:
    """An association, committed."""
    values: dict[str, Any] = {
        "name": "Røde Kors Testby",
        "kind": "red_cross",
        "contact_email": "kontakt@example.org",
        "municipalities": ["101"],
    }
    values.update(fields)
    row = Association(**values)
    session.add(row)
    session.commit()
    return row


def make_mentor(session: Session, association: Association, **fields: Any) -> Mentor:
    """A mentor of ``association``, committed."""
    values: dict[str, Any] = {
        "association_id": association.id,
        "first_name": "Testmentor",
        "last_name": "Eksempel",
        "email": "mentor@example.org",
        "phone": "+4500000000",
        "birth_year": 1985,
        "gender": "female",
        "languages": ["da", "en", "ar"],
        "municipality": "101",
        "capacity": 1,
        "programmes": ["mentor", "lets_network", "language_buddy"],
        "interests": ["football"],
        "child_certificate": True,
    }
    values.update(fields)
    row = Mentor(**values)
    session.add(row)
    session.commit()
    return row


def make_newcomer(session: Session, **fields: Any) -> Newcomer:
    """A newcomer, committed."""
    values: dict[str, Any] = {
        "municipality": "101",
        "first_name": "Testnykommer",
        "last_name": "Eksempel",
        "birth_date": date(2003, 5, 1),
        "gender": "male",
        "languages": ["ar", "en"],
        "interests": ["football"],
        "programmes": ["mentor"],
    }
    values.update(fields)
    row = Newcomer(**values)
    session.add(row)
    session.commit()
    return row


def add_food_club(db: Session) -> None:
    """A food club: a group programme of 3 to 4 participants, added as an admin would."""
    db.add(
        Programme(
            code="food_club",
            name="Madklub",
            unit="group",
            group_min=3,
            group_max=4,
            follow_up_days=[30],
        )
    )
    db.commit()
