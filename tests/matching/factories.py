"""Small builders for test problems: a Danish-speaking adult pair in Copenhagen by default."""

from __future__ import annotations

from typing import Any

from matching import Mentor, Newcomer, Problem


def mentor(id: str = "m1", **fields: Any) -> Mentor:
    """A mentor in København (101) speaking da and en, in the `mentor` programme."""
    base: dict[str, Any] = {
        "languages": ("da", "en"),
        "municipality": "101",
        "programmes": ("mentor",),
        "capacity": 1,
        "age": 40,
        "gender": "female",
        "child_certificate": False,
    }
    return Mentor(id=id, **{**base, **fields})


def newcomer(id: str = "n1", **fields: Any) -> Newcomer:
    """A 30-year-old newcomer in København speaking ar and da, asking for `mentor`."""
    base: dict[str, Any] = {
        "languages": ("ar", "da"),
        "municipality": "101",
        "programmes": ("mentor",),
        "age": 30,
        "gender": "male",
    }
    return Newcomer(id=id, **{**base, **fields})


def problem(mentors: Any = None, newcomers: Any = None, **fields: Any) -> Problem:
    """A problem with one mentor and one newcomer unless given."""
    return Problem(
        mentors=tuple(mentors if mentors is not None else [mentor()]),
        newcomers=tuple(newcomers if newcomers is not None else [newcomer()]),
        **fields,
    )
