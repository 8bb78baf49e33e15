"""Many new records at once (a spreadsheet import): one statement for all of them instead of
one flush per record, each audited ``create`` as a single record would be.

The values come from the create service's own ``prepare_*`` (every rule), so this module only
writes; the caller's transaction commits or rolls back all of them together.

On PostgreSQL the ids are drawn from the table's sequence first (one ``SELECT nextval …
FROM generate_series``) and the rows inserted with them by the driver's pipelined
``executemany``: an ``INSERT … RETURNING`` of 10,000 rows is sent as multi-row statements
whose 150,000 placeholders psycopg parses in Python, 5 to 10 s of a 10,000-row import. On
SQLite ``INSERT … RETURNING`` is fast. Ids are never reused either way (a drawn id is spent).

Rows whose ids nobody needs back (a run's proposals and unmatched requests) go by ``COPY``
on PostgreSQL (:func:`insert_rows`): one statement and no per-row round of psycopg's
parameter handling, several times faster than the pipelined ``executemany``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import JSON, Table, insert, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app import audit
from app.principal import Principal


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


def insert_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (all with the same keys) into ``table`` in the session's transaction:
    by ``COPY … FROM STDIN`` on PostgreSQL, each value passed through its column's own bind
    processing first (JSON serialised as SQLAlchemy would), else one ``executemany``.

    On PostgreSQL the rows are formatted as ``COPY``'s text lines here, a column at a time
    (:func:`_copy_lines`), and sent in large blocks: the driver's ``write_row`` costs about
    25 µs a row in Python (its JSON wrapper and dumper among it), a 26,000-row run's proposals
    most of their client time. What cannot be formatted so goes row by row as before.

    A column left out gets its server default, so leaving out one that has only a Python-side
    default is refused (``COPY`` would not apply it)."""
    if not rows:
        return
    bind = session.connection()
    dialect = bind.dialect
    if dialect.name != "postgresql":
        session.execute(insert(table), list(rows))
        return
    names = list(rows[0])
    for column in table.columns:
        if column.name not in names and column.default is not None and not column.server_default:
            raise ValueError(f"{table.name}.{column.name}: its default is not applied by COPY")
    quote = dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
    lines = _copy_lines(table, names, rows, dialect)
    raw = bind.connection.driver_connection
    assert raw is not None  # a live connection inside the session's transaction
    try:
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            if lines is not None:
                for start in range(0, len(lines), COPY_BLOCK):
                    copy.write("".join(lines[start : start + COPY_BLOCK]))
            else:
                processors = [table.c[name].type._cached_bind_processor(dialect) for name in names]
                for row in rows:
                    copy.write_row(
                        [
                            value if process is None else process(value)
                            for value, process in zip(
                                (row[n] for n in names), processors, strict=True
                            )
                        ]
                    )
    except dialect.loaded_dbapi.Error as exc:
        # As SQLAlchemy would have raised it (IntegrityError, OperationalError, ...), values
        # hidden; a lost connection is invalidated so that the pool does not hand it out again.
        lost = dialect.is_disconnect(exc, raw, None)
        if lost:
            bind.invalidate(exc)
        raise DBAPIError.instance(
            statement,
            None,
            exc,
            dialect.loaded_dbapi.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=dialect,
        ) from exc


#: Rows per block written to ``COPY`` (a few hundred kilobytes).
COPY_BLOCK = 2000
_NULL = "\\N"
#: ``COPY``'s text format: a backslash, tab, newline or carriage return in a value is escaped.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_FLOATS = {math.inf: "Infinity", -math.inf: "-Infinity"}


def _copy_text(value: Any) -> str:
    """One value as ``COPY``'s text format spells it (as the driver's text dumpers do)."""
    if value is None:
        return _NULL
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is float:
        if value != value:
            return "NaN"
        return _FLOATS.get(value) or repr(value)
    if isinstance(value, str):  # StrEnum members too: their value
        return value.translate(_ESCAPES)
    if kind is bool:
        return "t" if value else "f"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, date):  # datetime too; aware ones with their offset
        return value.isoformat()
    raise TypeError(kind.__name__)


def _copy_lines(
    table: Table, names: Sequence[str], rows: Sequence[dict[str, Any]], dialect: Any
) -> list[str] | None:
    """``rows`` as ``COPY`` text lines (each ending in a newline), or ``None`` when a value
    is of a kind :func:`_copy_text` does not know (the caller then sends them row by row).

    Each value goes through its column's bind processing first, as SQLAlchemy would send it;
    a JSON column's value is the text :func:`json.dumps` makes of it (what SQLAlchemy's
    psycopg dialect has the driver write), and ``None`` is JSON ``null`` unless the column's
    ``none_as_null`` says SQL ``NULL``, as SQLAlchemy writes it."""
    columns: list[list[str]] = []
    try:
        for name in names:
            column_type = table.c[name].type
            values = [row[name] for row in rows]
            if isinstance(column_type, JSON):
                none = _NULL if column_type.none_as_null else "null"
                columns.append(
                    [none if v is None else json.dumps(v).translate(_ESCAPES) for v in values]
                )
                continue
            process = column_type._cached_bind_processor(dialect)
            if process is not None:
                values = [process(v) for v in values]
            columns.append([_copy_text(v) for v in values])
    except TypeError:
        return None
    return [line + "\n" for line in map("\t".join, zip(*columns, strict=True))]
