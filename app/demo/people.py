"""The distributions of synthetic people: the demo data set and the benchmarks draw from here.

Newcomers are spread by municipality population; first languages follow the main refugee and
immigrant groups in Denmark; mentors mostly speak Danish and English. ``sample_people`` with
the same seed and sizes always gives the same people (``tests/benchmarks/generator.py`` builds
its solver instances on it).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from matching import Gender, Mentor, Newcomer, municipalities

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


def _weighted(rng: random.Random, shares: dict[str, float]) -> str:
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def _point(rng: random.Random, code: str, share: float) -> tuple[float | None, float | None]:
    if rng.random() >= share:
        return None, None
    place = municipalities()[code]
    return round(place.lat + rng.gauss(0, 0.04), 5), round(place.lon + rng.gauss(0, 0.07), 5)


def _gender(rng: random.Random) -> Gender | None:
    x = rng.random()
    return None if x < 0.03 else "other" if x < 0.04 else rng.choice(GENDERS)


def _newcomer(
    rng: random.Random, i: int, codes: Sequence[str], weights: Sequence[float], share: float
) -> Newcomer:
    municipality = rng.choices(codes, weights=weights)[0]
    lat, lon = _point(rng, municipality, share)
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
    rng: random.Random, i: int, codes: Sequence[str], weights: Sequence[float], share: float
) -> Mentor:
    municipality = rng.choices(codes, weights=weights)[0]
    lat, lon = _point(rng, municipality, share)
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


def sample_people(
    newcomers: int, mentors: int, seed: int = 0, *, own_point_share: float = 0.3
) -> tuple[tuple[Newcomer, ...], tuple[Mentor, ...]]:
    """Seeded newcomers and mentors: the same arguments always give the same people."""
    rng = random.Random(seed)
    places = sorted(municipalities().values(), key=lambda m: m.code)
    codes = [m.code for m in places]
    weights = [m.population_thousands for m in places]
    people = tuple(_newcomer(rng, i, codes, weights, own_point_share) for i in range(newcomers))
    volunteers = tuple(_mentor(rng, i, codes, weights, own_point_share) for i in range(mentors))
    return people, volunteers
