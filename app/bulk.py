"""Many new records at once (a spreadsheet import): one statement for all of them instead of
one flush per record, each audited ``create`` as a single record would be.

The values come from the create service's own ``prepare_*`` (every rule), so this module only
writes; the caller's transaction commits or rolls back all of them together.

On PostgreSQL the ids are drawn from the table's sequence first (one ``SELECT nextval …
FROM generate_series``) and the rows inserted with them by the driver's pipelined
``executemany``: an ``INSERT … RETURNING`` of 10,000 rows is sent as multi-row statements
whose 150,000 placeholders psycopg parses in Python, 5 to 10 s of a 10,000-row import. On
SQLite ``INSERT … RETURNING`` is fast. Ids are never reused either way (a drawn id is spent).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal


def _drawn_ids(session: Session, table: str, count: int) -> list[int]:
    sequence = session.scalar(text("SELECT pg_get_serial_sequence(:table, 'id')"), {"table": table})
    drawn = session.scalars(
        text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :count)"),
        {"sequence": sequence, "count": count},
    )
    return [int(i) for i in drawn]


def bulk_create(
    session: Session,
    principal: Principal,
    model: Any,
    resource: str,
    rows: Sequence[dict[str, Any]],
) -> list[int]:
    """Insert ``rows`` of ``model`` (the columns' defaults fill what they leave out), audit
    each ``create`` on ``resource``; the new ids, in the order of ``rows``."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        ids = _drawn_ids(session, model.__tablename__, len(rows))
        session.execute(insert(model), [{**row, "id": i} for row, i in zip(rows, ids, strict=True)])
    else:
        statement = insert(model).returning(model.id, sort_by_parameter_order=True)
        ids = [int(i) for i in session.scalars(statement, list(rows))]
    audit.record_many(session, principal, "create", resource, ids)
    return ids
