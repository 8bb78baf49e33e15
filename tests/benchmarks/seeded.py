"""A PostgreSQL database at national scale for the API benchmarks, made once and reused.

30,000 newcomers and 15,000 mentors (the benchmark generator's people, seeded as
bench_rematch.py does), then one ``rematch`` (about 25,000 proposals), then a share of those
proposals accepted, so mentors carry load. Building it takes about half a minute; a database
that is at the migration head and holds the same counts is reused unless ``fresh`` is asked for.
"""

from __future__ import annotations

import os
import time

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.db import make_engine
from app.jobs.rematch import rematch
from app.migrate import is_at_head, upgrade
from tests.benchmarks.bench_rematch import seed

BASE_URL = os.environ.get(
    "MAKKER_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/makker_bench"
)
ACCEPTED_SHARE = 0.1


def _url(database: str) -> str:
    return make_url(BASE_URL).set(database=database).render_as_string(hide_password=False)


def _ready(url: str, newcomers: int, mentors: int) -> bool:
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"))
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": base.database}
        ).first()
    admin.dispose()
    if not exists:
        return False
    engine = create_engine(url)
    try:
        if not is_at_head(engine):  # made by an older checkout: build it again
            return False
        with engine.connect() as connection:
            counts = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM newcomers), (SELECT count(*) FROM mentors),"
                    " (SELECT count(*) FROM matches WHERE status = 'accepted')"
                )
            ).one()
    except Exception:
        return False
    finally:
        engine.dispose()
    return counts[0] == newcomers and counts[1] == mentors and counts[2] > 0


def national_database(
    database: str, *, newcomers: int = 30_000, mentors: int = 15_000, fresh: bool = False
) -> str:
    """The URL of a seeded, rematched database named ``database`` (built when needed)."""
    url = _url(database)
    if not fresh and _ready(url, newcomers, mentors):
        print(f"reusing {database}: {newcomers} newcomers, {mentors} mentors")
        return url
    started = time.perf_counter()
    url = _fresh(url)
    seed(url, newcomers, mentors)
    engine = make_engine(url)
    result = rematch(engine)
    with engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE matches SET status = 'accepted', decided_at = now()"
                " WHERE id IN (SELECT id FROM matches WHERE status = 'proposed'"
                " ORDER BY id LIMIT :n)"
            ),
            {"n": int(result.stats["new"] * ACCEPTED_SHARE)},
        )
        connection.execute(text("ANALYZE"))
    engine.dispose()
    print(
        f"seeded {database}: {newcomers} newcomers, {mentors} mentors, "
        f"{result.stats['new']} proposals ({ACCEPTED_SHARE:.0%} accepted) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return url


def _fresh(url: str) -> str:
    """Drop and recreate the database of ``url`` and migrate it."""
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{base.database}"'))
    admin.dispose()
    upgrade(url)
    return url
