"""Database engine, the declarative base, and sessions: no web framework.

The jobs (``makker rematch``, ``makker worker``) and the models import this module alone;
:mod:`app.db` adds the request-owned session of the API on top (FastAPI's dependencies), and
re-exports everything here.

On SQLite (one writer at a time) a transaction that writes takes the write lock at ``BEGIN
IMMEDIATE``; one that only reads begins deferred and reads its WAL snapshot without waiting
for a writer. A request reads only when it is a ``GET`` or ``HEAD`` whose route is not marked
:func:`writes` (an audited read writes its audit events).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

import orjson
from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import DeclarativeBase, ORMExecuteState, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from app import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every database (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """The one declarative base; constraint names follow ``NAMING_CONVENTION``."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime,
        list[str]: JSON,
        dict[str, Any]: JSON,
    }


# The one clock, re-exported for the models' column defaults.
utcnow = clock.utcnow


#: Pooled connections beyond ``pool_size``: for the few requests that hold a second one (a
#: match run started over the API reads and writes on its own sessions).
POOL_OVERFLOW = 5


def make_engine(
    url: str, *, pool_size: int | None = None, pool_timeout: float | None = None, **kwargs: Any
) -> Engine:
    """An engine for ``url``; SQLite gets foreign keys, WAL and a busy timeout.

    ``pool_size`` sizes the connection pool for a server (one per request served at once,
    plus :data:`POOL_OVERFLOW`); ``pool_timeout`` is how long a checkout waits before
    ``sqlalchemy.exc.TimeoutError`` (answered 503). Bound parameters are left out of error
    messages and logs (``hide_parameters``): they hold names, e-mails and phone numbers, and
    a database error must not copy them into a log.
    """
    kwargs.setdefault("hide_parameters", True)
    if not _in_memory(url):  # an in-memory SQLite database has one connection, no queue
        if pool_size is not None:
            kwargs.setdefault("pool_size", pool_size)
            kwargs.setdefault("max_overflow", POOL_OVERFLOW)
        if pool_timeout is not None:
            kwargs.setdefault("pool_timeout", pool_timeout)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"check_same_thread": False, "timeout": 30})
        engine = create_engine(url, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE works.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # Freed space is zeroed: an erased person's bytes do not linger in the file.
            cursor.execute("PRAGMA secure_delete=ON")
            if ":memory:" not in url:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A writer takes the write lock at BEGIN: no deadlock-prone lock upgrades
            # mid-transaction. A reader takes no lock and reads its snapshot.
            reads_only = conn.get_execution_options().get(READS_ONLY, False)
            conn.exec_driver_sql("BEGIN" if reads_only else "BEGIN IMMEDIATE")

        return engine
    # No ping before every checkout: it is a round trip on every request (a tenth of the
    # list's time). A connection the server has dropped fails its first statement instead;
    # SQLAlchemy then discards every pooled connection older than that error, so after a
    # database restart one request fails and the rest reconnect.
    kwargs.setdefault("pool_pre_ping", False)
    kwargs.setdefault("json_deserializer", _json_loads)
    return create_engine(url, **kwargs)


_json_decode = json.JSONDecoder().decode
#: A run of digits that may be an integer outside 64 bits, which orjson reads as a float.
_LONG_DIGITS = re.compile(r"[0-9]{19}")
_LONG_DIGITS_BYTES = re.compile(rb"[0-9]{19}")


def _json_loads(data: bytes | str) -> Any:
    """``json.loads`` for the driver's JSON values: what it does with the UTF-8 bytes
    PostgreSQL sends (the connection's encoding), without guessing their encoding first (a
    list page decodes two JSON columns a row).

    Parsed by orjson, several times faster, where it gives the same values as :mod:`json`:
    text it refuses (a lone surrogate, a float beyond the double's range, invalid JSON) and
    text with 19 digits in a row (an integer orjson would read as a float) go to
    :mod:`json`, which answers as before."""
    if isinstance(data, str):
        if _LONG_DIGITS.search(data) is None:
            try:
                return orjson.loads(data)
            except orjson.JSONDecodeError:
                pass
        return _json_decode(data)
    if _LONG_DIGITS_BYTES.search(data) is None:
        try:
            return orjson.loads(data)
        except orjson.JSONDecodeError:
            pass
    return _json_decode(data.decode("utf-8", "surrogatepass"))


def _in_memory(url: str) -> bool:
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and (
        parsed.database in (None, "", ":memory:") or parsed.query.get("mode") == "memory"
    )


#: The execution option of an engine or connection whose transactions only read.
READS_ONLY = "makker_reads_only"


def reading(engine: Engine) -> Engine:
    """``engine`` for transactions that only read: on SQLite they begin deferred and never wait
    for (or block) the writer. A write in such a transaction may fail with "database is
    locked" when another connection wrote meanwhile, so writers never use it."""
    return engine.execution_options(**{READS_ONLY: True})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory that keeps loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def make_read_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """A session factory for reading only (see :func:`reading`); it refuses to flush a change,
    so a route that writes on ``GET`` and lacks :func:`writes` fails in every test."""
    factory = sessionmaker(reading(engine), expire_on_commit=False)
    event.listen(factory, "before_flush", _refuse_writes)
    event.listen(factory, "do_orm_execute", _refuse_write_statements)
    return factory


_REFUSAL = "a reader's session must not write: mark the route with @writes"


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError(_REFUSAL)


def _refuse_write_statements(state: ORMExecuteState) -> None:
    # Bulk statements (insert(...), update(...)) bypass the flush.
    if state.is_insert or state.is_update or state.is_delete:
        raise RuntimeError(_REFUSAL)


@contextmanager
def writing(session: Session) -> Iterator[Session]:
    """Where a write made while serving a read belongs (an audited read, a desk session's
    activity): ``session`` itself when it is a writer's, so the write joins its transaction;
    else a short writer's transaction of its own, committed on leaving the block (a reader's
    session refuses writes and, on SQLite, holds no write lock)."""
    bind = session.get_bind()
    if not bind.get_execution_options().get(READS_ONLY, False):
        yield session
        return
    writer = bind.execution_options(**{READS_ONLY: False})
    with Session(writer) as apart, apart.begin():
        yield apart


F = TypeVar("F", bound=Callable[..., Any])


def writes(endpoint: F) -> F:
    """Mark a ``GET`` route that writes (an audited read) so that its session is a writer's.

    Put it under the route decorator: ``@router.get(...)`` then ``@writes``.
    """
    endpoint.makker_writes = True  # type: ignore[attr-defined]
    return endpoint


def unavailable(exc: BaseException) -> str | None:
    """Why the database could not serve, when ``exc`` says it is down, missing or busy (a
    connection refused, a missing file, a lock timeout): the driver's first line, which names
    no bound values. None for any other error."""
    if not isinstance(exc, OperationalError):
        return None
    message = str(exc.orig).strip().splitlines()
    return message[0] if message else type(exc.orig).__name__
