"""Programme use cases, and the programme rules mentors and newcomers are checked against."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.domain import age_on, today
from app.errors import Conflict, ValidationFailed
from app.etag import check_if_match
from app.models import Match, MatchStatus, Programme
from app.pagination import PageParams
from app.programmes import repository
from app.programmes.schemas import ProgrammeCreate, ProgrammeUpdate
from app.resources import apply_changes

RESOURCE = "programme"


def list_programmes(
    session: Session, params: PageParams, active: bool | None
) -> tuple[Sequence[Programme], str | None]:
    """A page of programmes."""
    return repository.list_page(session, params, active=active)


def get_programme(session: Session, code: str) -> Programme:
    """One programme."""
    return repository.get(session, code)


def create_programme(session: Session, principal: Principal, data: ProgrammeCreate) -> Programme:
    """Add a programme (409 when the code is taken, also by a concurrent request)."""
    _check_age_range(data.min_age, data.max_age)
    check_unit(data.unit, data.group_min, data.group_max)
    if repository.find(session, data.code) is not None:
        raise Conflict(f"A programme {data.code!r} already exists")
    row = Programme(**data.model_dump())
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # the primary key: a concurrent create got there first
        raise Conflict(f"A programme {data.code!r} already exists") from exc
    audit.record(session, principal, "create", RESOURCE, row.code)
    return row


def update_programme(
    session: Session, principal: Principal, code: str, data: ProgrammeUpdate, if_match: str | None
) -> Programme:
    """Change a programme (412 when ``if_match`` is stale)."""
    row = repository.get(session, code, for_update=True)
    check_if_match(if_match, row.version)
    changes = data.changes()
    _check_age_range(changes.get("min_age", row.min_age), changes.get("max_age", row.max_age))
    unit = changes.get("unit", row.unit)
    if unit != "group" and "unit" in changes:
        # Leaving the group unit drops the sizes unless they are given (and then refused).
        changes.setdefault("group_min", None)
        changes.setdefault("group_max", None)
    group_max = changes.get("group_max", row.group_max)
    check_unit(unit, changes.get("group_min", row.group_min), group_max)
    if unit == "group" and group_max is not None:
        _check_accepted_groups_fit(session, code, group_max)
    if apply_changes(row, changes):
        session.flush()
        audit.record(session, principal, "update", RESOURCE, row.code)
    return row


def _check_accepted_groups_fit(session: Session, code: str, group_max: int) -> None:
    """409 naming ``group_max`` when a trainer's accepted group in the programme is larger
    (every run would then refuse the problem: accepted participants are kept).

    Counted with the programme row locked ``FOR UPDATE``: an accept holds it ``FOR SHARE``
    (:func:`app.matches.repository.lock_programme`), so no accept into a group can commit
    between this count and the new maximum's commit (SQLite: ``BEGIN IMMEDIATE``)."""
    largest = session.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.programme == code, Match.status == MatchStatus.ACCEPTED)
        .group_by(Match.mentor_id)
        .order_by(func.count().desc())
        .limit(1)
    )
    if largest is not None and largest > group_max:
        message = f"a trainer's accepted group has {largest} participants, more than {group_max}"
        raise Conflict(message, errors=[{"field": "group_max", "message": message}])


def check_unit(unit: str, group_min: int | None, group_max: int | None) -> None:
    """422 naming the field unless ``group_min``/``group_max`` are set exactly for a group
    programme, with ``group_min <= group_max`` (the table's CHECK, as a clear answer)."""
    if unit == "group":
        for name, value in (("group_min", group_min), ("group_max", group_max)):
            if value is None:
                raise ValidationFailed(name, "a group programme needs group_min and group_max")
        if group_min is not None and group_max is not None and group_min > group_max:
            raise ValidationFailed("group_min", "must not exceed group_max")
        return
    for name, value in (("group_min", group_min), ("group_max", group_max)):
        if value is not None:
            raise ValidationFailed(name, f"only a group programme has a size, not a {unit} one")


def _check_age_range(min_age: int | None, max_age: int | None) -> None:
    if min_age is not None and max_age is not None and min_age > max_age:
        raise ValidationFailed("min_age", "must not exceed max_age")


def check_codes(
    session: Session,
    codes: Sequence[str],
    *,
    field: str = "programmes",
    already: Collection[str] = (),
    known: Mapping[str, Programme] | None = None,
) -> Mapping[str, Programme]:
    """422 naming ``field`` unless every code names a programme, active unless ``already`` held.

    Returns the programmes by code. ``known`` (every programme by code, read once) spares a
    query per record when many are checked at once (a spreadsheet import).
    """
    if known is None:
        known = repository.by_codes(session, set(codes))
    for i, code in enumerate(codes):
        programme = known.get(code)
        if programme is None:
            raise ValidationFailed(f"{field}.{i}", f"unknown programme {code!r}")
        if not programme.active and code not in already:
            raise ValidationFailed(f"{field}.{i}", f"the programme {code!r} is not active")
    return known


def all_by_code(session: Session) -> dict[str, Programme]:
    """Every programme by code (for :func:`check_codes` over many records)."""
    return repository.every_by_code(session)


def check_ages(
    known: Mapping[str, Programme],
    codes: Sequence[str],
    birth_date: date | None,
    *,
    field: str = "programmes",
) -> None:
    """422 naming ``field`` when the newcomer's age is outside a programme's age range.

    An unknown age is outside any set bound (the matching contract's rule), so a programme
    with an age range needs a ``birth_date``. ``known`` comes from :func:`check_codes`.
    """
    age = age_on(birth_date, today()) if birth_date is not None else None
    for i, code in enumerate(codes):
        programme = known.get(code)
        if programme is None or (programme.min_age is None and programme.max_age is None):
            continue
        span = _age_span(programme)
        if age is None:
            raise ValidationFailed(f"{field}.{i}", f"{code!r} is for ages {span}; give birth_date")
        too_young = programme.min_age is not None and age < programme.min_age
        too_old = programme.max_age is not None and age > programme.max_age
        if too_young or too_old:
            raise ValidationFailed(f"{field}.{i}", f"{code!r} is for ages {span}, not {age}")


def _age_span(programme: Programme) -> str:
    if programme.min_age is None:
        return f"up to {programme.max_age}"
    if programme.max_age is None:
        return f"{programme.min_age} and over"
    return f"{programme.min_age} to {programme.max_age}"
