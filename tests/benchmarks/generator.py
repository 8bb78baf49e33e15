"""Seeded Danish-like matching instances for the benchmarks and property tests.

The people come from :func:`app.demo.people.sample_people` — the one place the distributions
live, so the demo data set and the benchmarks draw alike: newcomers spread by municipality
population, languages of the main refugee and immigrant groups in Denmark (Arabic, Tigrinya,
Dari, Somali, Kurdish, Farsi, Ukrainian, Pashto, Russian), mentors mostly speaking Danish and
English. This module adds what a solver input has beyond people: a few accepted matches
(``fixed``) and rejected pairs (``forbidden``).
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import TypeVar

from app.demo.people import sample_people
from matching import (
    DEFAULT_PROGRAMMES,
    Assignment,
    ForbiddenPair,
    Mentor,
    Newcomer,
    Problem,
    municipalities,
)

P = TypeVar("P", Mentor, Newcomer)


def generate(
    newcomers: int,
    seed: int = 0,
    *,
    mentors: int | None = None,
    own_point_share: float = 0.3,
) -> Problem:
    """A seeded Danish-like problem: ``newcomers`` newcomers (about 1.3 requests each) and
    ``mentors`` mentors (default half as many) of capacity 1-3, with a few fixed matches and
    forbidden pairs. The same arguments always give the same problem."""
    n_mentors = newcomers // 2 if mentors is None else mentors
    people, volunteers = sample_people(newcomers, n_mentors, seed, own_point_share=own_point_share)
    rng = random.Random(f"links-{seed}")
    fixed = tuple(
        Assignment(f"settled{i:06d}", m.id, m.programmes[0])
        for i, m in enumerate(volunteers)
        if m.capacity > 1 and rng.random() < 0.1
    )
    forbidden = tuple(
        ForbiddenPair(rng.choice(people).id, rng.choice(volunteers).id)
        for _ in range(newcomers // 100 if volunteers else 0)
    )
    return Problem(
        mentors=volunteers,
        newcomers=people,
        programmes=DEFAULT_PROGRAMMES,
        fixed=fixed,
        forbidden=forbidden,
    )


def dense_city(newcomers: int, seed: int = 0, *, mentors: int | None = None) -> Problem:
    """:func:`generate` with every person giving their own coordinates inside one city
    (Copenhagen, about 6 km around its centre): within everyone's distance limit of nearly
    everyone, so the candidate graph is as dense as the rules allow."""
    base = generate(newcomers, seed, mentors=mentors, own_point_share=1.0)
    rng = random.Random(f"city-{seed}")
    centre = municipalities()["101"]

    def moved(person: P) -> P:
        lat = round(centre.lat + rng.gauss(0, 0.03), 5)
        lon = round(centre.lon + rng.gauss(0, 0.05), 5)
        return replace(person, municipality="101", lat=lat, lon=lon)

    return replace(
        base,
        newcomers=tuple(moved(n) for n in base.newcomers),
        mentors=tuple(moved(m) for m in base.mentors),
    )
