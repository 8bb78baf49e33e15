"""The audit log: who did what to which record and when — never the personal data."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from app.database import utcnow, writing
from app.logs import current_request_id
from app.models import AuditEvent
from app.principal import Principal

_EVENTS: Table = AuditEvent.__table__  # type: ignore[assignment]


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
    """One event per record, written by one multi-row ``INSERT`` in the caller's transaction
    (a list page of 50 newcomers is one statement, not 50 ORM objects flushed)."""
    at, request_id = utcnow(), current_request_id()
    rows = [
        {
            "at": at,
            "actor_key_id": principal.key_id,
            "actor": principal.actor,
            "action": action,
            "resource": resource,
            "record_id": str(record_id),
            "request_id": request_id,
        }
        for record_id in record_ids
    ]
    if rows:
        # A Core insert with the rows as parameters: one cached statement, sent as one
        # multi-row INSERT (SQLAlchemy's insertmanyvalues), without ORM bookkeeping.
        session.execute(insert(_EVENTS), rows)


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
