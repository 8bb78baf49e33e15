"""Newcomer queries, scoped to the caller in SQL (never load-then-check).

Admins see every newcomer; a coordinator those of its municipalities; association keys none
(they see what a mentor needs through their matches). Other packages (matches, export,
suggestions) should look newcomers up through :func:`get_scoped` so the rule lives here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    cast,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from app.auth import Principal
from app.models import Match, Newcomer
from app.pagination import PageParams, cursor_after, page_of, paginate
from app.queries import one_or_not_found

_NEWCOMERS: Table = Newcomer.__table__  # type: ignore[assignment]


def scoped(principal: Principal) -> Select[Newcomer]:
    """Every newcomer the principal may see."""
    query = select(Newcomer)
    if principal.is_admin:
        return query
    if principal.role == "coordinator" and principal.municipalities:
        return query.where(Newcomer.municipality.in_(principal.municipalities))
    return query.where(false())


def in_scope(principal: Principal, municipality: str) -> bool:
    """Whether the principal may hold a newcomer of ``municipality`` (for creates and moves)."""
    return principal.is_admin or (
        principal.role == "coordinator" and municipality in principal.municipalities
    )


def get_scoped(
    session: Session, principal: Principal, newcomer_id: int, *, for_update: bool = False
) -> Newcomer:
    """The newcomer, or :class:`NotFound` when it does not exist or is out of scope."""
    query = scoped(principal).where(Newcomer.id == newcomer_id)
    return one_or_not_found(
        session, query, missing=f"No newcomer {newcomer_id}", for_update=for_update
    )


def list_scoped(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    municipality: str | None = None,
    active: bool | None = None,
) -> tuple[Sequence[Newcomer], str | None]:
    """A page of the newcomers in scope matching the filters, by id."""
    query = scoped(principal)
    if municipality is not None:
        query = query.where(Newcomer.municipality == municipality)
    if active is not None:
        query = query.where(Newcomer.active == active)
    return paginate(session, query, Newcomer.id, params)


#: The API list's statements of the table's columns, one per (role, filters given, cursor
#: given, arrays), built once (their cache keys too): the values are all parameters.
_PAGES: dict[tuple[str, tuple[str, ...], bool, bool], Select[Any]] = {}
#: The list's filters, in the order :func:`list_scoped` adds their conditions.
_FILTERS = ("municipality", "active")


def _page_statement(role: str, filters: tuple[str, ...], after: bool, arrays: bool) -> Select[Any]:
    shape = (role, filters, after, arrays)
    found = _PAGES.get(shape)
    if found is None:
        c = _NEWCOMERS.c
        statement = select(*_NEWCOMERS.c)
        if role == "coordinator":
            # ``= ANY(array)`` on PostgreSQL: one text for any number of municipalities.
            statement = statement.where(
                c.municipality == any_(bindparam("scope", type_=ARRAY(c.municipality.type)))
                if arrays
                else c.municipality.in_(bindparam("scope", expanding=True))
            )
        elif role != "admin":
            statement = statement.where(false())
        for name in filters:
            statement = statement.where(c[name] == bindparam(name))
        if after:
            statement = statement.where(c.id > bindparam("after"))
        statement = statement.order_by(c.id).limit(bindparam("page_limit", type_=Integer))
        found = _PAGES[shape] = statement
    return found


def list_rows(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    municipality: str | None = None,
    active: bool | None = None,
) -> tuple[Sequence[Any], str | None]:
    """:func:`list_scoped` as rows of the table's columns (the API's list: no ORM objects to
    build), by a prebuilt statement: the same newcomers, the same cursor."""
    given = {"municipality": municipality, "active": active}
    filters = tuple(name for name in _FILTERS if given[name] is not None)
    parameters: dict[str, Any] = {name: given[name] for name in filters}
    after = cursor_after(params, int)
    if after is not None:
        parameters["after"] = after
    parameters["page_limit"] = params.limit + 1
    role: str = principal.role
    if role == "coordinator" and not principal.municipalities:
        role = "nobody"  # as :func:`scoped`: a coordinator without municipalities sees none
    if role == "coordinator":
        parameters["scope"] = list(principal.municipalities)
    arrays = session.get_bind().dialect.name == "postgresql"
    statement = _page_statement(role, filters, after is not None, arrays)
    return page_of(session.execute(statement, parameters).all(), params.limit, "id")


#: The states a coordinator filters by: matched (an accepted match), proposed (a proposal to
#: decide) and waiting (active, asking for a programme, with neither; a household member who
#: asks for nothing of their own waits for nothing).
STATES = ("waiting", "proposed", "matched")


def _with_match(status: str) -> ColumnElement[bool]:
    return exists().where(and_(Match.newcomer_id == Newcomer.id, Match.status == status))


def search_scoped(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    name: str | None = None,
    municipality: str | None = None,
    programme: str | None = None,
    state: str | None = None,
) -> tuple[Sequence[Newcomer], str | None]:
    """A page of the newcomers in scope by id, filtered as the desk's list is.

    ``name``: every word is in the first or the last name (case-insensitive; SQLite folds
    ASCII letters only). ``programme`` is matched on the stored list's JSON text, the only form
    both databases share; codes are quoted in it, so one code never matches inside another.
    """
    query = scoped(principal)
    for word in (name or "").split()[:5]:
        pattern = f"%{word.lower()}%"
        query = query.where(
            or_(
                func.lower(Newcomer.first_name).like(pattern),
                func.lower(Newcomer.last_name).like(pattern),
            )
        )
    if municipality is not None:
        query = query.where(Newcomer.municipality == municipality)
    if programme is not None:
        quoted = programme.replace('"', "")
        query = query.where(cast(Newcomer.programmes, Text).like(f'%"{quoted}"%'))
    if state == "matched":
        query = query.where(_with_match("accepted"))
    elif state == "proposed":
        query = query.where(_with_match("proposed"))
    elif state == "waiting":
        query = query.where(
            Newcomer.active.is_(True),
            cast(Newcomer.programmes, Text) != "[]",
            ~_with_match("accepted"),
            ~_with_match("proposed"),
        )
    return paginate(session, query, Newcomer.id, params)


def delete(session: Session, row: Newcomer) -> None:
    """Erase a newcomer; the database cascades to matches and unmatched-run entries."""
    session.delete(row)
    session.flush()
