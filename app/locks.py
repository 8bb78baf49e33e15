"""Named locks that die with their holder: one writing run at a time, and a run's liveness.

- PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) taken on a dedicated
  autocommit connection that is held for the whole run and then closed (never returned to the
  pool). If the process dies, the server ends the session and the lock is gone.
- SQLite: an exclusive ``flock`` on a lock file beside the database file. The kernel drops it
  when the process dies, so a killed run never blocks the next one. (Database-level locks
  cannot be used: holding SQLite's write lock would block the run's own writes.)
- SQLite in memory: a process-local lock (there is no other process to exclude).

Trying never waits: a second run learns at once that another run is in progress.

Two uses: ``rematch`` (held by the one writing run) and ``run-<id>`` (held by the worker
executing that queued run, so that a worker finding the row ``running`` and the lock free knows
the executor is gone; see app/jobs/worker.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text

_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


class LockBusy(Exception):
    """The lock is held by another run."""

    def __init__(self, name: str) -> None:
        super().__init__("another run is in progress")
        self.name = name


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_try_advisory_lock`` from a lock name."""
    digest = hashlib.sha256(f"makker:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_file_path(engine: Engine, name: str) -> str | None:
    """The lock file of a file-based SQLite database (``None`` for an in-memory one)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return f"{os.path.abspath(database)}.{name}.lock"


@contextmanager
def exclusive(engine: Engine, name: str, *, ephemeral: bool = False) -> Iterator[None]:
    """Hold the named lock for the ``with`` block; raise :class:`LockBusy` if it is taken.

    ``ephemeral``: the lock file (SQLite) is removed on release, for one-off names such as a
    run's. Whoever opened the removed file before gets its lock later and finds the work done:
    callers act only on what the database says once they hold the lock.
    """
    if engine.dialect.name == "postgresql":
        with _advisory(engine, name):
            yield
        return
    path = lock_file_path(engine, name)
    if path is None:
        with _in_process(name):
            yield
        return
    with _flock(path, name, remove=ephemeral):
        yield


def is_free(engine: Engine, name: str) -> bool:
    """Whether the named lock is free right now (taken and released at once)."""
    try:
        with exclusive(engine, name):
            return True
    except LockBusy:
        return False


@contextmanager
def _advisory(engine: Engine, name: str) -> Iterator[None]:
    key = advisory_key(name)
    connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        if not got:
            raise LockBusy(name)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        # Close the server session rather than pooling it: no lock can outlive the run.
        connection.invalidate()
        connection.close()


@contextmanager
def _flock(path: str, name: str, *, remove: bool) -> Iterator[None]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LockBusy(name) from exc
        try:
            yield
        finally:
            if remove:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(path)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextmanager
def _in_process(name: str) -> Iterator[None]:
    with _memory_guard:
        lock = _memory_locks.setdefault(name, threading.Lock())
    if not lock.acquire(blocking=False):
        raise LockBusy(name)
    try:
        yield
    finally:
        lock.release()
