"""The audit log: who did what to which record and when — never the personal data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ARRAY, String, Table, bindparam, cast, func, insert, select
from sqlalchemy.orm import Session

from app.database import utcnow, writing
from app.logs import current_request_id
from app.models import AuditEvent
from app.principal import Principal

_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]
#: What an event records besides its record and its time, in the table's order.
_ACTOR = ("actor_key_id", "actor", "action", "resource")


def _unnest_statement() -> Any:
    """PostgreSQL: one ``INSERT ... SELECT`` of the events of many records, the record ids
    one array parameter (unnested in their order, so the events' ids follow it) and the
    rest one value each: the same text for any number of records (prepared once by the
    driver), one statement and one round trip instead of one ``INSERT`` a row."""
    c = _EVENTS.c

    def value(name: str) -> Any:
        # Cast to the column's kind, not its length: a value too long for the column fails
        # as in a plain INSERT (an explicit cast to VARCHAR(n) would cut it short).
        kind = c[name].type
        return cast(bindparam(name), String() if isinstance(kind, String) else kind)

    ids = (
        func.unnest(bindparam("record_ids", type_=ARRAY(String())))
        .table_valued("record_id", with_ordinality="n")
        .render_derived(name="ids")
    )
    events = select(
        value("at"), *(value(name) for name in _ACTOR), ids.c.record_id, value("request_id")
    ).order_by(ids.c.n)
    columns = ["at", *_ACTOR, "record_id", "request_id"]
    return insert(_EVENTS).from_select(columns, events)


_UNNESTED = _unnest_statement()


def record(
    session: Session, principal: Principal, action: str, resource: str, record_id: object
) -> None:
    """Add an audit event to the caller's transaction (it commits or rolls back with it)."""
    session.add(
        AuditEvent(
            actor_key_id=principal.key_id,
            actor=principal.actor,
            action=action,
            resource=resource,
            record_id=str(record_id),
            request_id=current_request_id(),
        )
    )


def record_many(
    session: Session,
    principal: Principal,
    action: str,
    resource: str,
    record_ids: Iterable[object],
) -> None:
    """One event per record, in the records' order, all at one time, written in the caller's
    transaction by one statement (a list page of 50 newcomers is not 50 ORM objects
    flushed): on PostgreSQL one ``INSERT ... SELECT`` of the ids as an array; elsewhere
    one Core ``INSERT`` with a row of parameters per event (SQLite's ``executemany``)."""
    ids = [str(record_id) for record_id in record_ids]
    if not ids:
        return
    shared = {
        "at": utcnow(),
        "actor_key_id": principal.key_id,
        "actor": principal.actor,
        "action": action,
        "resource": resource,
        "request_id": current_request_id(),
    }
    if session.get_bind().dialect.name == "postgresql":
        session.execute(_UNNESTED, {**shared, "record_ids": ids})
    else:
        session.execute(insert(_EVENTS), [{**shared, "record_id": i} for i in ids])


def record_reads(
    session: Session,
    principal: Principal,
    action: str,
    resource: str,
    record_ids: Iterable[object],
) -> None:
    """Audit reads made through a reader's session (a ``GET`` that mostly reads nothing
    audited, such as the match list, which audits only an association's view of newcomers).

    A reader's session may not write (on SQLite it holds no write lock), so the events are
    committed in a short writer's transaction of their own before the answer leaves; if
    they cannot be written, the read fails. In a writer's session they join its transaction.
    """
    with writing(session) as writer:
        record_many(writer, principal, action, resource, record_ids)
