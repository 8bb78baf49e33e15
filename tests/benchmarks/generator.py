"""Seeded Danish-like matching instances (also the distributions behind demo data).

``generate(newcomers, seed)`` returns a :class:`matching.Problem`; ``problem_to_dict`` from
:mod:`matching` turns it into the file contract. Newcomers are spread by municipality
population; languages follow the main refugee and immigrant groups in Denmark (Arabic,
Tigrinya, Dari, Somali, Kurdish, Farsi, Ukrainian, Pashto, Russian), with English and some
Danish as second languages; mentors mostly speak Danish and English, some a heritage language.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from matching import (
    DEFAULT_PROGRAMMES,
    Assignment,
    ForbiddenPair,
    Gender,
    Mentor,
    Newcomer,
    Problem,
    municipalities,
)

#: First languages of newcomers and their shares.
FIRST_LANGUAGES: dict[str, float] = {
    "ar": 0.21,
    "uk": 0.15,
    "ti": 0.11,
    "prs": 0.09,
    "fa": 0.08,
    "so": 0.08,
    "ckb": 0.06,
    "kmr": 0.05,
    "ps": 0.05,
    "ru": 0.04,
    "en": 0.03,
    "ku": 0.02,
    "tr": 0.03,
}
#: Other languages a speaker of a first language often has (probability each).
RELATED: dict[str, dict[str, float]] = {
    "uk": {"ru": 0.6},
    "prs": {"fa": 0.5, "ps": 0.2},
    "ps": {"prs": 0.4},
    "fa": {"prs": 0.2},
    "ckb": {"ar": 0.3, "fa": 0.2},
    "kmr": {"tr": 0.4, "ar": 0.2},
    "ku": {"ar": 0.3},
    "ti": {"ar": 0.2},
    "so": {"ar": 0.3},
}
INTERESTS = (
    "football", "cooking", "running", "chess", "music", "knitting", "cycling", "reading",
    "gaming", "swimming", "hiking", "art", "theatre", "handball", "gardening", "photography",
    "dancing", "badminton", "fishing", "crafts",
)  # fmt: skip
#: Programme shares of a newcomer's requests (lets_network only for ages up to 24).
PROGRAMME_SHARES: dict[str, float] = {
    "mentor": 0.30,
    "language_buddy": 0.20,
    "network_family": 0.12,
    "homework_help": 0.10,
    "leisure_guide": 0.14,
    "lets_network": 0.09,
    "mindspring": 0.05,
}
GENDERS: tuple[Gender, ...] = ("female", "male")


@dataclass(frozen=True, slots=True)
class Sizes:
    """How big an instance is."""

    newcomers: int
    mentors: int


def _weighted(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _point(rng: random.Random, code: str, share: float) -> tuple[float | None, float | None]:
    """Own coordinates near the municipality's seat for ``share`` of people, else none."""
    if rng.random() >= share:
        return None, None
    place = municipalities()[code]
    return round(place.lat + rng.gauss(0, 0.04), 5), round(place.lon + rng.gauss(0, 0.07), 5)


def _gender(rng: random.Random) -> Gender | None:
    x = rng.random()
    return None if x < 0.03 else "other" if x < 0.04 else rng.choice(GENDERS)


def _newcomer(
    rng: random.Random,
    i: int,
    codes: Sequence[str],
    weights: Sequence[float],
    own_point_share: float,
) -> Newcomer:
    municipality = rng.choices(codes, weights=weights)[0]
    lat, lon = _point(rng, municipality, own_point_share)
    first = _weighted(rng, FIRST_LANGUAGES)
    languages = [first]
    for other, p in RELATED.get(first, {}).items():
        if rng.random() < p:
            languages.append(other)
    if first != "en" and rng.random() < 0.45:
        languages.append("en")
    if rng.random() < 0.25:
        languages.append("da")
    x = rng.random()
    age = (
        None if x < 0.03
        else rng.randint(8, 17) if x < 0.18
        else rng.randint(18, 24) if x < 0.43
        else rng.randint(25, 64)
    )  # fmt: skip
    count = rng.choices((1, 2, 3), weights=(0.75, 0.20, 0.05))[0]
    shares = dict(PROGRAMME_SHARES)
    if age is None or age > 24:
        del shares["lets_network"]
    programmes: list[str] = []
    while len(programmes) < count:
        code = _weighted(rng, shares)
        if code not in programmes:
            programmes.append(code)
    gender = _gender(rng)
    return Newcomer(
        id=f"n{i:06d}",
        languages=tuple(languages),
        municipality=municipality,
        programmes=tuple(programmes),
        lat=lat,
        lon=lon,
        max_distance_km=rng.choice((10.0, 15.0, 20.0)) if rng.random() < 0.15 else None,
        age=age,
        gender=gender,
        interests=tuple(rng.sample(INTERESTS, rng.randint(0, 4))),
        mentor_gender=gender if gender in GENDERS and rng.random() < 0.10 else None,
        waiting_days=min(720, int(rng.expovariate(1 / 60))),
    )


def _mentor(
    rng: random.Random,
    i: int,
    codes: Sequence[str],
    weights: Sequence[float],
    own_point_share: float,
) -> Mentor:
    municipality = rng.choices(codes, weights=weights)[0]
    lat, lon = _point(rng, municipality, own_point_share)
    languages = ["da"] if rng.random() < 0.92 else []
    if rng.random() < 0.85 or not languages:
        languages.append("en")
    heritage = rng.random() < 0.12
    if heritage:
        languages.insert(0, _weighted(rng, FIRST_LANGUAGES))
    if rng.random() < 0.10:
        languages.append("de")
    shares = dict(PROGRAMME_SHARES)
    if not heritage:
        del shares["mindspring"]
    programmes: list[str] = []
    for _ in range(rng.choices((1, 2, 3), weights=(0.5, 0.35, 0.15))[0]):
        code = _weighted(rng, shares)
        if code not in programmes:
            programmes.append(code)
    gender = _gender(rng)
    return Mentor(
        id=f"m{i:06d}",
        languages=tuple(dict.fromkeys(languages)),
        municipality=municipality,
        programmes=tuple(programmes),
        capacity=rng.randint(1, 3),
        lat=lat,
        lon=lon,
        max_distance_km=rng.choice((10.0, 20.0, 40.0, 50.0)) if rng.random() < 0.2 else None,
        interests=tuple(rng.sample(INTERESTS, rng.randint(0, 5))),
        gender=gender,
        age=rng.randint(19, 78) if rng.random() < 0.97 else None,
        accepts_genders=(rng.choice(GENDERS),) if rng.random() < 0.08 else None,
        child_certificate=rng.random() < 0.15,
    )


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
    rng = random.Random(seed)
    places = sorted(municipalities().values(), key=lambda m: m.code)
    codes = [m.code for m in places]
    weights = [m.population_thousands for m in places]
    n_mentors = newcomers // 2 if mentors is None else mentors
    people = [_newcomer(rng, i, codes, weights, own_point_share) for i in range(newcomers)]
    volunteers = [_mentor(rng, i, codes, weights, own_point_share) for i in range(n_mentors)]
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
        mentors=tuple(volunteers),
        newcomers=tuple(people),
        programmes=DEFAULT_PROGRAMMES,
        fixed=fixed,
        forbidden=forbidden,
    )
