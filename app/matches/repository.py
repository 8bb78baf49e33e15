"""Queries on matches, scoped to the caller in the query itself.

An admin sees every match; a coordinator the matches whose newcomer lives in one of its
municipalities; an association the matches of its own mentors. Anything else does not exist
for the caller (the router answers 404, as for a missing record).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    Table,
    and_,
    any_,
    bindparam,
    exists,
    func,
    literal,
    select,
    true,
    update,
)
from sqlalchemy.orm import Session

from app.auth import Principal
from app.models import (
    LIVE_STATUSES,
    Association,
    Match,
    MatchStatus,
    Mentor,
    Newcomer,
    Programme,
)
from app.pagination import PageParams, cursor_after, page_of, paginate
from app.queries import one_or_not_found

_MATCHES: Table = Match.__table__  # type: ignore[assignment]
_NEWCOMERS: Table = Newcomer.__table__  # type: ignore[assignment]
_MENTORS: Table = Mentor.__table__  # type: ignore[assignment]
_PROGRAMMES: Table = Programme.__table__  # type: ignore[assignment]
#: Every column of ``matches``: a row of them has a ``Match``'s attributes.
_COLUMNS = tuple(_MATCHES.c)
_IN_GROUP = and_(_PROGRAMMES.c.unit == "group", _PROGRAMMES.c.group_max.is_not(None)).label(
    "in_group"
)


def visible(
    principal: Principal, *, parametrised: bool = False, arrays: bool = False
) -> ColumnElement[bool] | None:
    """The condition on a ``matches`` row that ``principal`` may see it (None: every row).

    ``parametrised``: the same condition for any principal of the role, with the scope's
    values left to the statement's parameters (:func:`scope_parameters`), for a statement
    built once; ``arrays``: a list of values as one array parameter (:func:`one_of`). Of the
    tables' columns (Core), not the models' attributes: a statement of columns then runs
    without the ORM's compiling and loading."""
    if principal.role == "admin":
        return None
    if principal.role == "coordinator":
        in_scope = (
            one_of(_NEWCOMERS.c.municipality, "scope_municipalities", arrays=arrays)
            if parametrised
            else _NEWCOMERS.c.municipality.in_(principal.municipalities)
        )
        return _MATCHES.c.newcomer_id.in_(select(_NEWCOMERS.c.id).where(in_scope))
    association: Any = bindparam("scope_association") if parametrised else principal.association_id
    return _MATCHES.c.mentor_id.in_(
        select(_MENTORS.c.id).where(_MENTORS.c.association_id == association)
    )


def one_of(column: ColumnElement[Any], name: str, *, arrays: bool) -> ColumnElement[bool]:
    """``column IN (...)`` of the list parameter ``name``; with ``arrays`` (PostgreSQL)
    ``column = ANY(:name)``: the same rows, one array parameter, so the statement is not
    rendered again for each length of the list as an expanding ``IN`` is."""
    if arrays:
        return column == any_(bindparam(name, type_=ARRAY(column.type)))
    return column.in_(bindparam(name, expanding=True))


def arrays_for(session: Session) -> bool:
    """Whether the session's database takes array parameters (PostgreSQL)."""
    return session.get_bind().dialect.name == "postgresql"


def scope_parameters(principal: Principal) -> dict[str, Any]:
    """The parameters of ``visible(principal, parametrised=True)``."""
    if principal.role == "coordinator":
        return {"scope_municipalities": list(principal.municipalities)}
    if principal.role == "association":
        return {"scope_association": principal.association_id}
    return {}


def scoped(principal: Principal, query: Select[Any]) -> Select[Any]:
    """``query`` (selecting from ``matches``) restricted to what ``principal`` may see."""
    condition = visible(principal)
    return query if condition is None else query.where(condition)


def get(session: Session, principal: Principal, match_id: int) -> Match:
    """One match the caller may see, else :class:`NotFound` (as for a missing one)."""
    query = scoped(principal, select(Match).where(Match.id == match_id))
    match: Match = one_or_not_found(session, query, missing=f"Match {match_id} not found")
    return match


def reread(session: Session, match_id: int) -> Match | None:
    """The match as stored now, or ``None`` when it is gone (erased with its newcomer or
    mentor by a concurrent request)."""
    match: Match | None = session.scalar(
        select(Match).where(Match.id == match_id).execution_options(populate_existing=True)
    )
    return match


#: The list's filters in the order their conditions are added (each a parameter of its name).
FILTERS = ("status", "newcomer_id", "mentor_id", "programme", "municipality")


def _filter_condition(name: str) -> ColumnElement[bool]:
    if name == "municipality":
        return _MATCHES.c.newcomer_id.in_(
            select(_NEWCOMERS.c.id).where(_NEWCOMERS.c.municipality == bindparam(name))
        )
    column: ColumnElement[Any] = _MATCHES.c[name]
    return column == bindparam(name)


#: The API list's statements, one per (role, filters given, cursor given, arrays), built once
#: (their cache keys too): the values are all parameters.
_PAGES: dict[tuple[str, tuple[str, ...], bool, bool], Select[Any]] = {}


def _page_statement(
    principal: Principal, filters: tuple[str, ...], after: bool, arrays: bool
) -> Select[Any]:
    shape = (principal.role, filters, after, arrays)
    found = _PAGES.get(shape)
    if found is None:
        statement: Select[Any] = select(*_COLUMNS, _IN_GROUP).join(
            _PROGRAMMES, _PROGRAMMES.c.code == _MATCHES.c.programme
        )
        condition = visible(principal, parametrised=True, arrays=arrays)
        if condition is not None:
            statement = statement.where(condition)
        for name in filters:
            statement = statement.where(_filter_condition(name))
        if after:
            statement = statement.where(_MATCHES.c.id > bindparam("after"))
        statement = statement.order_by(_MATCHES.c.id).limit(bindparam("page_limit", type_=Integer))
        found = _PAGES[shape] = statement
    return found


def list_page(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    newcomer_id: int | None = None,
    mentor_id: int | None = None,
    municipality: str | None = None,
    programme: str | None = None,
    columns: bool = False,
) -> tuple[Sequence[Any], str | None]:
    """A page of the caller's matches, filtered, ordered by id: ``Match`` objects, or with
    ``columns`` rows of the table's columns (the API's list: no ORM objects to build) and
    ``in_group``, whether the match's programme is a group programme (one :func:`places`
    counts: a ``group`` unit with a size), read with the page instead of a query of its own."""
    given = {
        "status": status,
        "newcomer_id": newcomer_id,
        "mentor_id": mentor_id,
        "programme": programme,
        "municipality": municipality,
    }
    if columns:
        return _column_page(session, principal, params, given)
    query = scoped(principal, select(Match))
    if status is not None:
        query = query.where(Match.status == status)
    if newcomer_id is not None:
        query = query.where(Match.newcomer_id == newcomer_id)
    if mentor_id is not None:
        query = query.where(Match.mentor_id == mentor_id)
    if programme is not None:
        query = query.where(Match.programme == programme)
    if municipality is not None:
        query = query.where(
            Match.newcomer_id.in_(select(Newcomer.id).where(Newcomer.municipality == municipality))
        )
    return paginate(session, query, Match.id, params)


def _column_page(
    session: Session, principal: Principal, params: PageParams, given: dict[str, Any]
) -> tuple[Sequence[Any], str | None]:
    """:func:`list_page` with ``columns``: the same page by a prebuilt Core statement (no
    statement to build, no ORM layer), as :func:`app.pagination.paginate` pages it."""
    filters = tuple(name for name in FILTERS if given[name] is not None)
    parameters = {name: given[name] for name in filters}
    after = cursor_after(params, int)
    if after is not None:
        parameters["after"] = after
    parameters["page_limit"] = params.limit + 1
    parameters.update(scope_parameters(principal))
    statement = _page_statement(principal, filters, after is not None, arrays_for(session))
    return page_of(session.execute(statement, parameters).all(), params.limit, "id")


def newcomers_by_id(session: Session, ids: set[int]) -> dict[int, Newcomer]:
    """The newcomers with these ids."""
    if not ids:
        return {}
    rows = session.scalars(select(Newcomer).where(Newcomer.id.in_(sorted(ids))))
    return {row.id: row for row in rows}


def association_names(session: Session, ids: set[int]) -> dict[int, str]:
    """The names of the associations with these ids (of mentors already read in scope)."""
    if not ids:
        return {}
    query = select(Association.id, Association.name).where(Association.id.in_(sorted(ids)))
    return {row.id: row.name for row in session.execute(query)}


def mentors_by_id(session: Session, ids: set[int]) -> dict[int, Mentor]:
    """The mentors with these ids (for matches already read in the caller's scope)."""
    if not ids:
        return {}
    rows = session.scalars(select(Mentor).where(Mentor.id.in_(sorted(ids))))
    return {row.id: row for row in rows}


def lock_newcomer(
    session: Session, newcomer_id: int, *, municipalities: Collection[str] | None = None
) -> Newcomer | None:
    """Read the newcomer fresh with a row lock (PostgreSQL): accepts for one request run one
    after another, and its ``active`` flag and ``programmes`` cannot change until the commit.
    With ``municipalities``, only a newcomer living in one of them (a coordinator's scope).

    Always taken before :func:`lock_mentor`, so two accepts never wait for each other in a
    cycle.
    """
    query = select(Newcomer).where(Newcomer.id == newcomer_id)
    if municipalities is not None:
        query = query.where(Newcomer.municipality.in_(sorted(municipalities)))
    return session.scalar(query.with_for_update().execution_options(populate_existing=True))


def lock_mentor(session: Session, mentor_id: int) -> Mentor | None:
    """Read a mentor row with a row lock (PostgreSQL); it serialises accepts per mentor.

    SQLite ignores ``FOR UPDATE``, but there every transaction already starts with
    ``BEGIN IMMEDIATE`` (see :func:`app.db.make_engine`), which serialises all writers.
    """
    return session.scalar(
        select(Mentor)
        .where(Mentor.id == mentor_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def lock_programme(session: Session, code: str) -> None:
    """Hold the programme row ``FOR SHARE`` until the commit (PostgreSQL), after the newcomer
    and mentor locks: a change of its ``group_max`` (which takes the row ``FOR UPDATE``, see
    :func:`app.programmes.service.update_programme`) waits for this accept, or this accept
    for it, so the sizes an accept counts against and the groups a lower maximum is checked
    against are never stale. Accepts do not wait for each other here. SQLite's
    ``BEGIN IMMEDIATE`` serialises writers already.
    """
    session.execute(select(Programme.code).where(Programme.code == code).with_for_update(read=True))


def accepted_count(
    session: Session, mentor_id: int, places: Places | None = None, programme: str = ""
) -> int:
    """How many of the mentor's places are taken now: accepted matches outside group
    programmes, or (``programme`` a group programme of ``places``) the trainer's group."""
    places = places or Places()
    return (
        session.scalar(
            select(func.count())
            .select_from(Match)
            .where(
                Match.mentor_id == mentor_id,
                Match.status == MatchStatus.ACCEPTED,
                places.sharing(Match.__table__.c, programme),
            )
        )
        or 0
    )


@dataclass(frozen=True, slots=True)
class Places:
    """Which accepted matches share a place: a mentor's ``capacity`` is used by matches
    outside group programmes; a trainer's group in a group programme holds ``group_max``."""

    group_max: dict[str, int] = field(default_factory=dict)

    def sharing(self, columns: Any, programme: str) -> ColumnElement[bool]:
        """The accepted matches that use the same places as a match in ``programme``."""
        if not self.group_max:
            return true()
        column: ColumnElement[str] = columns.programme
        if programme in self.group_max:
            return column == programme
        return column.notin_(sorted(self.group_max))


def request_taken(session: Session, newcomer_id: int, programme: str) -> bool:
    """Whether the request (newcomer, programme) already has an accepted match."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Match.newcomer_id == newcomer_id,
                    Match.programme == programme,
                    Match.status == MatchStatus.ACCEPTED,
                )
            )
        )
    )


def pair_accepted_elsewhere(session: Session, match: Match) -> bool:
    """Whether the match's (newcomer, mentor) pair has an accepted match in another row."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    Match.newcomer_id == match.newcomer_id,
                    Match.mentor_id == match.mentor_id,
                    Match.status == MatchStatus.ACCEPTED,
                    Match.id != match.id,
                )
            )
        )
    )


def accept_if_possible(
    session: Session, match: Match, now: datetime, places: Places | None = None
) -> bool:
    """Accept ``match`` in one conditional UPDATE; ``False`` when a condition failed.

    The statement itself checks, at the moment it writes, that the match is still the
    proposal the caller read (status and version), that the newcomer and the mentor are
    active, that the mentor has a place left, that the request has no accepted match and
    that the pair has no accepted match in another programme (a newcomer never gets the same
    mentor twice). With the newcomer and mentor rows locked first (PostgreSQL) or the
    database write lock held (SQLite), no two accepts for the same mentor or newcomer can
    interleave, so the count cannot be stale. That the newcomer still requests the programme
    (a JSON list) is checked by the caller on the locked newcomer row.
    """
    places = places or Places()
    other = Match.__table__.alias("other")
    load = (
        select(func.count())
        .select_from(other)
        .where(
            other.c.mentor_id == match.mentor_id,
            other.c.status == MatchStatus.ACCEPTED,
            places.sharing(other.c, match.programme),
        )
        .scalar_subquery()
    )
    limit: Any = (
        literal(places.group_max[match.programme])
        if match.programme in places.group_max
        else Mentor.capacity
    )
    capacity = (
        select(limit).where(Mentor.id == match.mentor_id, Mentor.active.is_(True)).scalar_subquery()
    )
    taken = exists().where(
        and_(
            other.c.newcomer_id == match.newcomer_id,
            other.c.programme == match.programme,
            other.c.status == MatchStatus.ACCEPTED,
        )
    )
    same_pair = exists().where(
        and_(
            other.c.newcomer_id == match.newcomer_id,
            other.c.mentor_id == match.mentor_id,
            other.c.status == MatchStatus.ACCEPTED,
            other.c.id != match.id,
        )
    )
    newcomer_active = exists().where(
        and_(Newcomer.id == match.newcomer_id, Newcomer.active.is_(True))
    )
    result = session.execute(
        update(Match)
        .where(
            Match.id == match.id,
            Match.status == MatchStatus.PROPOSED,
            Match.version == match.version,
            newcomer_active,
            load < capacity,
            ~taken,
            ~same_pair,
        )
        .values(
            status=MatchStatus.ACCEPTED, decided_at=now, updated_at=now, version=Match.version + 1
        )
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def transition(session: Session, match: Match, *, from_status: str, values: dict[str, Any]) -> bool:
    """Move ``match`` out of ``from_status`` if it is still the version read; ``False`` if not."""
    result = session.execute(
        update(Match)
        .where(
            Match.id == match.id,
            Match.status == from_status,
            Match.version == match.version,
        )
        .values(**values, version=Match.version + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def supersede_other_proposals(session: Session, match: Match, now: datetime) -> None:
    """Other proposals for the same request are moot once one is accepted."""
    session.execute(
        update(Match)
        .where(
            Match.newcomer_id == match.newcomer_id,
            Match.programme == match.programme,
            Match.status == MatchStatus.PROPOSED,
            Match.id != match.id,
        )
        .values(
            status=MatchStatus.SUPERSEDED, decided_at=now, updated_at=now, version=Match.version + 1
        )
        .execution_options(synchronize_session=False)
    )


def active_pair(session: Session, newcomer_id: int, mentor_id: int) -> Match | None:
    """A proposed or accepted match of this pair (any programme), if one exists."""
    return session.scalar(
        select(Match)
        .where(
            Match.newcomer_id == newcomer_id,
            Match.mentor_id == mentor_id,
            Match.status.in_(LIVE_STATUSES),
        )
        .order_by(Match.id)
        .limit(1)
    )


def places(session: Session) -> Places:
    """The group programmes' sizes, for counting places."""
    rows = session.execute(
        select(Programme.code, Programme.group_max).where(Programme.unit == "group")
    )
    return Places({code: int(size) for code, size in rows if size is not None})


#: The group query by role (and :func:`one_of`'s ``arrays``), built once (its cache key
#: too), of the table's columns (no ORM layer): the page's mentors and programmes and the
#: caller's scope are its parameters.
_MATES: dict[tuple[str, bool], Any] = {}


def _mates_statement(principal: Principal, arrays: bool) -> Any:
    statement = _MATES.get((principal.role, arrays))
    if statement is None:
        condition = visible(principal, parametrised=True, arrays=arrays)
        statement = (
            select(
                _MATCHES.c.id,
                _MATCHES.c.mentor_id,
                _MATCHES.c.programme,
                _MATCHES.c.newcomer_id,
                true() if condition is None else condition,
            )
            .where(
                _MATCHES.c.status.in_(LIVE_STATUSES),
                one_of(_MATCHES.c.mentor_id, "mentors", arrays=arrays),
                one_of(_MATCHES.c.programme, "programmes", arrays=arrays),
            )
            .order_by(_MATCHES.c.id)
        )
        _MATES[(principal.role, arrays)] = statement
    return statement


def group_mates(
    session: Session, principal: Principal, matches: Sequence[Any], group_codes: Collection[str]
) -> dict[int, tuple[int, list[tuple[int, int]]]]:
    """For each live match of ``matches`` in a group programme: the size of its trainer's
    group (every live match of that trainer in that programme) and the other participants
    the caller may see, as (match id, newcomer id) pairs by match id. ``matches`` are
    ``Match`` objects or rows with their attributes.

    One query: whether the caller may see each row is a column of it (this runs for every
    page of matches with a live group-programme match)."""
    wanted = {
        (m.mentor_id, m.programme)
        for m in matches
        if m.programme in group_codes and m.status in LIVE_STATUSES
    }
    if not wanted:
        return {}
    parameters = {
        "mentors": sorted({w[0] for w in wanted}),
        "programmes": sorted({w[1] for w in wanted}),
        **scope_parameters(principal),
    }
    members: dict[tuple[int, str], list[tuple[int, int, bool]]] = {}
    for row_id, mentor_id, programme, newcomer_id, seen in session.execute(
        _mates_statement(principal, arrays_for(session)), parameters
    ):
        if (mentor_id, programme) in wanted:
            members.setdefault((mentor_id, programme), []).append((row_id, newcomer_id, bool(seen)))
    found: dict[int, tuple[int, list[tuple[int, int]]]] = {}
    for m in matches:
        group = members.get((m.mentor_id, m.programme))
        if group is None or m.status not in LIVE_STATUSES:
            continue
        others = [(i, n) for i, n, seen in group if seen and i != m.id]
        found[m.id] = (len(group), others)
    return found
