"""The request-owned session (FastAPI's dependency), and the database's core re-exported.

The engine, the declarative base and the sessions are :mod:`app.database` (no web
framework: the jobs import it alone); this module adds what a request needs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from app.database import (
    NAMING_CONVENTION,
    POOL_OVERFLOW,
    READS_ONLY,
    Base,
    UTCDateTime,
    make_engine,
    make_read_sessionmaker,
    make_sessionmaker,
    reading,
    unavailable,
    utcnow,
    writes,
    writing,
)

__all__ = [
    "NAMING_CONVENTION",
    "POOL_OVERFLOW",
    "READS_ONLY",
    "Base",
    "SessionDep",
    "UTCDateTime",
    "finish",
    "get_session",
    "make_engine",
    "make_read_sessionmaker",
    "make_sessionmaker",
    "reading",
    "request_writes",
    "unavailable",
    "utcnow",
    "writes",
    "writing",
]


def request_writes(request: Request) -> bool:
    """Whether the request may write: any method but ``GET``/``HEAD``, or a route marked
    :func:`writes`."""
    if request.method not in {"GET", "HEAD"}:
        return True
    endpoint = getattr(request.scope.get("route"), "endpoint", None)
    return bool(getattr(endpoint, "makker_writes", False))


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request: committed when the handler succeeds, else rolled back.

    A request that only reads gets a reader's session (no write lock on SQLite). ``async``
    so that opening the session (no I/O: the connection is taken at the first query, on the
    handler's thread) costs no trip to a worker thread; the commit or rollback and the close
    run together in one (or on the handler's own thread: :func:`finish`).
    """
    state = request.app.state
    factory: sessionmaker[Session] = (
        state.sessionmaker if request_writes(request) else state.read_sessionmaker
    )
    session = factory()
    try:
        yield session
    except BaseException:
        await run_in_threadpool(close_session, session, commit=False)
        raise
    if session.in_transaction():
        await run_in_threadpool(close_session, session, commit=True)
    else:  # nothing began (or :func:`finish` ended it): closing is no I/O
        session.close()


def finish(session: Session) -> None:
    """Commit and close the request's session now, at the end of a ``def`` handler, on its
    worker thread: :func:`get_session` then has nothing left to do on another one. Only as
    the handler's last use of the session (a list's answer is serialised already)."""
    close_session(session, commit=True)


def close_session(session: Session, *, commit: bool) -> None:
    """Commit (or roll back) and close (I/O: on a worker thread)."""
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_session, scope="function")]
