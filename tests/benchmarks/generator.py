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
    Household,
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


def with_households(
    newcomers: int,
    seed: int = 0,
    *,
    trainers: int = 300,
    household_share: float = 0.4,
    mindspring_share: float = 0.05,
) -> tuple[Problem, Problem]:
    """:func:`generate` with households and MindSpring groups, and the same instance
    without them (no households, every programme ``unit: person``).

    ``household_share`` of the newcomers live in households of 2-6 (members at the contact
    person's point, sharing their first language, many of them children; half the contact
    persons ask for a network family); exactly ``mindspring_share`` of the newcomers ask for
    MindSpring, led by ``trainers`` trainers speaking Danish and a participant's first
    language, near them.
    """
    base = generate(newcomers, seed)
    rng = random.Random(f"households-{seed}")
    people = list(base.newcomers)
    asking = set(rng.sample(range(len(people)), int(mindspring_share * len(people))))
    for i, person in enumerate(people):
        codes = tuple(c for c in person.programmes if c != "mindspring")
        people[i] = replace(person, programmes=codes + (("mindspring",) if i in asking else ()))
    order = rng.sample(range(len(people)), len(people))
    target, at = int(household_share * len(people)), 0
    homes: list[Household] = []
    while target - at >= 2:
        size = min(rng.randint(2, 6), target - at)
        rows = order[at : at + size]
        at += size
        contact = people[rows[0]]
        age = contact.age if contact.age is not None and contact.age >= 18 else rng.randint(25, 55)
        codes = tuple(c for c in contact.programmes if c != "network_family")
        if rng.random() < 0.5:
            codes += ("network_family",)
        people[rows[0]] = replace(contact, age=age, programmes=codes)
        for i in rows[1:]:
            member = people[i]
            child = rng.random() < 0.6
            people[i] = replace(
                member,
                municipality=contact.municipality,
                lat=contact.lat,
                lon=contact.lon,
                languages=tuple(dict.fromkeys((contact.languages[0], *member.languages))),
                age=rng.randint(0, 17) if child else rng.randint(18, 70),
                programmes=tuple(c for c in member.programmes if c != "network_family"),
            )
        homes.append(Household(f"h{len(homes):06d}", tuple(people[i].id for i in rows)))
    participants = [people[i] for i in sorted(asking)]
    leaders = []
    for t in range(trainers):
        near = rng.choice(participants)
        leaders.append(
            Mentor(
                id=f"t{t:04d}",
                languages=tuple(dict.fromkeys(("da", near.languages[0]))),
                municipality=near.municipality,
                programmes=("mindspring",),
                capacity=1,
                age=rng.randint(25, 65),
                child_certificate=rng.random() < 0.5,
            )
        )
    volunteers = tuple(
        replace(m, programmes=tuple(c for c in m.programmes if c != "mindspring") or ("mentor",))
        for m in base.mentors
    )
    grouped = replace(
        base,
        mentors=volunteers + tuple(leaders),
        newcomers=tuple(people),
        fixed=tuple(a for a in base.fixed if a.programme != "mindspring"),
        households=tuple(homes),
    )
    plain = replace(
        grouped,
        households=(),
        programmes=tuple(
            replace(p, unit="person", group_min=None, group_max=None) for p in grouped.programmes
        ),
    )
    return grouped, plain
