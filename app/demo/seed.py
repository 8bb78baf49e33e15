"""Load a synthetic, clearly fake data set: associations, mentors and newcomers.

People are drawn with the benchmark generator's distributions (:mod:`app.demo.people`);
households are formed among them (a newcomer asking for a network family, with others of
their municipality and first language); a data set of 200 newcomers or more ends with a few
MindSpring groups' worth of participants and their trainers, so a run shows groups.
names come from lists of common names, e-mails use the reserved ``example.org`` domain, and
phone numbers the never-issued ``+45 00`` range. Rows are inserted in bulk, each with a
``seed`` audit event: that is how ``makker demo-up`` tells a demo database from a real one.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app import clock
from app.auth import SYSTEM
from app.demo.names import BY_LANGUAGE, DANISH
from app.demo.people import sample_people
from app.models import Association, AuditEvent, Household, HouseholdMember, Mentor, Newcomer

#: The audit action of a person added by the demo seeder.
SEED_ACTION = "seed"
#: The people tables, by audit resource name.
PEOPLE: tuple[tuple[str, type[Newcomer] | type[Mentor]], ...] = (
    ("newcomer", Newcomer),
    ("mentor", Mentor),
)

#: ``(name, kind, municipalities served or [] for all, share of mentors)``.
ASSOCIATIONS: tuple[tuple[str, str, list[str], float], ...] = (
    ("Røde Kors Frivillignet (demo)", "red_cross", [], 0.38),
    ("Dansk Flygtningehjælp Frivillignet (demo)", "refugee_council", [], 0.32),
    ("IF Sammenhold (demo)", "sports_club", ["101", "147", "751"], 0.12),
    ("Boligforeningen Lindegården (demo)", "housing", ["461", "751", "851"], 0.10),
    ("Lektiecafé Fællesskab (demo)", "other", ["101", "173", "561"], 0.08),
)


#: MindSpring clusters added to a large enough demo set: (first language, municipality).
MINDSPRING_CLUSTERS: tuple[tuple[str, str], ...] = (("ar", "101"), ("ti", "751"), ("uk", "461"))
#: Participants per cluster (a MindSpring group runs with 6 to 10).
CLUSTER_SIZE = 7
#: The smallest demo set that gets the clusters.
CLUSTERS_FROM = 200


@dataclass(frozen=True, slots=True)
class SeedCounts:
    """What a seeding added."""

    associations: int
    newcomers: int
    mentors: int
    households: int = 0


def is_empty(session: Session) -> bool:
    """True when the database holds no newcomers and no mentors."""
    newcomers = session.scalar(select(func.count()).select_from(Newcomer)) or 0
    mentors = session.scalar(select(func.count()).select_from(Mentor)) or 0
    return newcomers == 0 and mentors == 0


def people_outside_the_demo(session: Session) -> int:
    """How many newcomers and mentors the demo seeder did not add (no ``seed`` event)."""
    seeded = {
        (resource, record_id)
        for resource, record_id in session.execute(
            select(AuditEvent.resource, AuditEvent.record_id).where(
                AuditEvent.action == SEED_ACTION
            )
        )
    }
    return sum(
        (resource, str(person_id)) not in seeded
        for resource, model in PEOPLE
        for person_id in session.scalars(select(model.id))
    )


def _associations(session: Session) -> tuple[list[int], int]:
    """Ids of the demo associations (created when missing), and how many were created."""
    ids, created = [], 0
    for name, kind, served, _share in ASSOCIATIONS:
        found = session.scalar(select(Association.id).where(Association.name == name))
        if found is None:
            slug = kind.replace("_", "-")
            row = Association(
                name=name, kind=kind, contact_email=f"{slug}@example.org", municipalities=served
            )
            session.add(row)
            session.flush()
            found, created = row.id, created + 1
        ids.append(found)
    return ids, created


def _audit_seeded(session: Session, resource: str, ids: Any, now: datetime) -> None:
    events = [
        {
            "at": now,
            "actor_key_id": None,
            "actor": SYSTEM.actor,
            "action": SEED_ACTION,
            "resource": resource,
            "record_id": str(person_id),
            "request_id": None,
        }
        for person_id in ids
    ]
    if events:
        session.execute(insert(AuditEvent), events)


def birth_date_for(age: int, today: date, rng: random.Random) -> date:
    """A birth date on which someone is exactly ``age`` on ``today``."""

    def years_before(years: int) -> date:
        try:
            return today.replace(year=today.year - years)
        except ValueError:  # 29 February
            return today.replace(year=today.year - years, day=28)

    latest = years_before(age)
    earliest = years_before(age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def _phone(rng: random.Random) -> str:
    return f"+45 00 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}"


def _pick_name(rng: random.Random, lists: Any, gender: str | None) -> tuple[str, str]:
    female, male, surnames = lists
    firsts = female if gender == "female" else male if gender == "male" else female + male
    return rng.choice(firsts), rng.choice(surnames)


def seed_demo(
    session: Session, *, newcomers: int, mentors: int, seed: int = 0, now: datetime | None = None
) -> SeedCounts:
    """Add ``newcomers`` newcomers and ``mentors`` mentors (and the demo associations).

    The same arguments give the same people. The caller commits.
    """
    now = now or clock.utcnow()
    today = now.date()
    rng = random.Random(f"makker-demo-{seed}")
    clusters = MINDSPRING_CLUSTERS if newcomers >= CLUSTERS_FROM and mentors >= 10 else ()
    people, volunteers = sample_people(
        newcomers - CLUSTER_SIZE * len(clusters), mentors - len(clusters), seed
    )
    association_ids, created = _associations(session)
    shares = [share for *_rest, share in ASSOCIATIONS]

    newcomer_rows: list[dict[str, Any]] = []
    for person in people:
        first, last = _pick_name(rng, BY_LANGUAGE.get(person.languages[0], DANISH), person.gender)
        newcomer_rows.append(
            {
                "municipality": person.municipality,
                "first_name": first,
                "last_name": last,
                "birth_date": None
                if person.age is None
                else birth_date_for(person.age, today, rng),
                "gender": person.gender,
                "languages": list(person.languages),
                "interests": list(person.interests),
                "programmes": list(person.programmes),
                "mentor_gender": person.mentor_gender,
                "max_distance_km": person.max_distance_km,
                "lat": person.lat,
                "lon": person.lon,
                "registered_at": datetime.combine(
                    today - timedelta(days=person.waiting_days), time(9), tzinfo=UTC
                )
                + timedelta(seconds=rng.randint(0, 8 * 3600)),
                "active": True,
            }
        )
    mentor_rows: list[dict[str, Any]] = []
    for volunteer in volunteers:
        first, last = _pick_name(rng, DANISH, volunteer.gender)
        local = [
            i
            for i, (_n, _k, served, _s) in enumerate(ASSOCIATIONS)
            if volunteer.municipality in served
        ]
        index = (
            rng.choice(local)
            if local and rng.random() < 0.5
            else rng.choices(range(len(ASSOCIATIONS)), weights=shares)[0]
        )
        mentor_rows.append(
            {
                "association_id": association_ids[index],
                "first_name": first,
                "last_name": last,
                "email": f"{first}.{last}.{rng.randint(100, 999)}@example.org".lower(),
                "phone": _phone(rng),
                "birth_year": None if volunteer.age is None else today.year - volunteer.age,
                "gender": volunteer.gender,
                "languages": list(volunteer.languages),
                "municipality": volunteer.municipality,
                "lat": volunteer.lat,
                "lon": volunteer.lon,
                "max_distance_km": volunteer.max_distance_km,
                "capacity": volunteer.capacity,
                "programmes": list(volunteer.programmes),
                "interests": list(volunteer.interests),
                "accepts_genders": (
                    None if volunteer.accepts_genders is None else list(volunteer.accepts_genders)
                ),
                "child_certificate": volunteer.child_certificate,
                "active": True,
            }
        )
    for language, municipality in clusters:
        newcomer_rows += _cluster_participants(language, municipality, today, rng)
        mentor_rows.append(_trainer(language, municipality, association_ids[0], today, rng))
    # render_nulls keeps every row's statement the same, so rows go in large batches.
    inserted: dict[str, list[int]] = {}
    for (resource, model), rows in zip(PEOPLE, (newcomer_rows, mentor_rows), strict=True):
        statement = (
            insert(model)
            .returning(model.id, sort_by_parameter_order=True)
            .execution_options(render_nulls=True)
        )
        for start in range(0, len(rows), 5000):
            ids = session.scalars(statement, rows[start : start + 5000]).all()
            inserted.setdefault(resource, []).extend(ids)
            _audit_seeded(session, resource, ids, now)
    households = _households(session, newcomer_rows, inserted.get("newcomer", []), rng)
    return SeedCounts(
        associations=created,
        newcomers=len(newcomer_rows),
        mentors=len(mentor_rows),
        households=households,
    )


def _households(
    session: Session, rows: list[dict[str, Any]], ids: list[int], rng: random.Random
) -> int:
    """Households among the seeded newcomers: each who asks for a network family (the
    contact person), with probability 0.7, and one to three others of the same municipality
    and first language who do not ask for one; how many were made."""
    free: dict[tuple[str, str], list[int]] = {}
    for row, newcomer_id in zip(rows, ids, strict=True):
        if "network_family" not in row["programmes"]:
            free.setdefault((row["municipality"], row["languages"][0]), []).append(newcomer_id)
    made = 0
    for row, newcomer_id in zip(rows, ids, strict=True):
        if "network_family" not in row["programmes"] or rng.random() >= 0.7:
            continue
        pool = free.get((row["municipality"], row["languages"][0]), [])
        others = [pool.pop(0) for _ in range(min(len(pool), rng.randint(1, 3)))]
        if not others:
            continue
        household = Household()
        household.members = [
            HouseholdMember(newcomer_id=member, position=i)
            for i, member in enumerate([newcomer_id, *others])
        ]
        session.add(household)
        made += 1
    session.flush()
    return made


def _cluster_participants(
    language: str, municipality: str, today: date, rng: random.Random
) -> list[dict[str, Any]]:
    """Newcomers of one first language in one municipality, all asking for MindSpring."""
    rows = []
    for _ in range(CLUSTER_SIZE):
        gender = rng.choice(("female", "male"))
        first, last = _pick_name(rng, BY_LANGUAGE.get(language, DANISH), gender)
        rows.append(
            {
                "municipality": municipality,
                "first_name": first,
                "last_name": last,
                "birth_date": birth_date_for(rng.randint(22, 55), today, rng),
                "gender": gender,
                "languages": [language, "en"],
                "interests": [],
                "programmes": ["mindspring"],
                "mentor_gender": None,
                "max_distance_km": None,
                "lat": None,
                "lon": None,
                "registered_at": datetime.combine(
                    today - timedelta(days=rng.randint(5, 120)), time(10), tzinfo=UTC
                ),
                "active": True,
            }
        )
    return rows


def _trainer(
    language: str, municipality: str, association_id: int, today: date, rng: random.Random
) -> dict[str, Any]:
    """A MindSpring trainer who speaks ``language``, in ``municipality``."""
    gender = rng.choice(("female", "male"))
    first, last = _pick_name(rng, BY_LANGUAGE.get(language, DANISH), gender)
    return {
        "association_id": association_id,
        "first_name": first,
        "last_name": last,
        "email": f"{first}.{last}.{rng.randint(100, 999)}@example.org".lower(),
        "phone": _phone(rng),
        "birth_year": today.year - rng.randint(30, 60),
        "gender": gender,
        "languages": [language, "da", "en"],
        "municipality": municipality,
        "lat": None,
        "lon": None,
        "max_distance_km": None,
        "capacity": 1,
        "programmes": ["mindspring"],
        "interests": [],
        "accepts_genders": None,
        "child_certificate": True,
        "active": True,
    }
