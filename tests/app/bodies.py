"""Valid request bodies for the registry's creates (synthetic, no real personal data)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from app.db import Base


def association(**fields: Any) -> dict[str, Any]:
    """An association create body."""
    return {
        "name": "Dansk Flygtningehjælp Testby",
        "kind": "refugee_council",
        "contact_email": "frivillig@example.org",
        "municipalities": ["101", "147"],
        **fields,
    }


def mentor(**fields: Any) -> dict[str, Any]:
    """A mentor create body (no association_id: the key's own, or add one for admins)."""
    return {
        "first_name": "Mette",
        "last_name": "Testesen",
        "email": "mette@example.org",
        "phone": "+45 11 22 33 44",
        "birth_year": 1980,
        "gender": "female",
        "languages": ["da", "en"],
        "municipality": "101",
        "max_distance_km": 15,
        "capacity": 2,
        "programmes": ["mentor", "language_buddy"],
        "interests": ["cooking"],
        "child_certificate": True,
        **fields,
    }


def newcomer(**fields: Any) -> dict[str, Any]:
    """A newcomer create body, in municipality 101."""
    return {
        "municipality": "101",
        "first_name": "Yonas",
        "last_name": "Testberhe",
        "birth_date": "2004-03-15",
        "gender": "male",
        "languages": ["ti", "en"],
        "interests": ["football"],
        "programmes": ["mentor", "lets_network"],
        **fields,
    }


def count(app: FastAPI, model: type[Base]) -> int:
    """Rows of ``model``'s table, read in a fresh session (sees every commit)."""
    with app.state.sessionmaker() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
