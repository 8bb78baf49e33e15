"""The nightly run's bulk statements on PostgreSQL, before and after (not a test).

Side by side in one process, alternating, each in a transaction that is rolled back, over
the national database ``bench_api.py`` seeds (``makker_bench_api``): inserting one run's
26,118 proposals by the driver's pipelined ``executemany`` (before) and by ``COPY``
(:func:`app.bulk.insert_rows`, after), and locking every newcomer ``FOR SHARE`` with ``IN``
lists of 5,000 placeholders (before) and with one ``= ANY(array)`` (after). Medians of the
rounds, wall and this process's CPU (the server's work shows in wall only):

    .venv/bin/python -m tests.benchmarks.bench_rematch_write --rounds 5
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ARRAY, Integer, Table, any_, bindparam, insert, select
from sqlalchemy.orm import Session

from app.bulk import insert_rows
from app.db import make_engine
from app.models import Match, MatchStatus, Newcomer
from tests.benchmarks.seeded import national_database

CHUNK = 5000
_matches: Table = Match.__table__  # type: ignore[assignment]
_newcomers: Table = Newcomer.__table__  # type: ignore[assignment]


def _cases(session: Session) -> dict[str, Callable[[Session], None]]:
    pairs = session.execute(select(Match.newcomer_id, Match.mentor_id, Match.programme)).all()
    ids = sorted(session.scalars(select(Newcomer.id)))
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = [
        {
            "newcomer_id": n,
            "mentor_id": m,
            "programme": p,
            "status": MatchStatus.SUPERSEDED,  # not live: no clash with the stored proposals
            "score": 0.5,
            "components": {"language": 1.0, "distance": 0.5, "age": 0.2, "interests": 0.1},
            "distance_km": 3.2,
            "source": "solver",
            "household_id": None,
            "created_at": now,
            "updated_at": now,
            "version": 1,
            "run_id": None,
        }
        for n, m, p in pairs
    ]
    columns = (_newcomers.c.id, _newcomers.c.active, _newcomers.c.programmes)

    def insert_executemany(s: Session) -> None:
        s.execute(insert(_matches), rows)

    def insert_copy(s: Session) -> None:
        insert_rows(s, _matches, rows)

    def lock_in_lists(s: Session) -> None:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            s.execute(
                select(*columns).where(_newcomers.c.id.in_(chunk)).with_for_update(read=True)
            ).all()

    def lock_array(s: Session) -> None:
        among = _newcomers.c.id == any_(bindparam(None, ids, type_=ARRAY(Integer)))
        s.execute(select(*columns).where(among).with_for_update(read=True)).all()

    return {
        f"insert {len(rows):,} proposals: executemany (before)": insert_executemany,
        f"insert {len(rows):,} proposals: COPY (after)": insert_copy,
        f"lock {len(ids):,} newcomers: IN lists of {CHUNK:,} (before)": lock_in_lists,
        f"lock {len(ids):,} newcomers: = ANY(array) (after)": lock_array,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="makker_bench_api")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    engine = make_engine(national_database(args.database))
    with Session(engine) as session:
        cases = _cases(session)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(args.rounds):
        for name, case in cases.items():
            with Session(engine) as session:
                session.begin()
                wall, cpu = time.perf_counter(), time.process_time()
                case(session)
                session.flush()
                times[name].append((time.perf_counter() - wall, time.process_time() - cpu))
                session.rollback()
    print(f"medians of {args.rounds} rounds, each rolled back")
    print("| statement | wall s | client CPU s |")
    print("| --- | ---: | ---: |")
    for name, runs in times.items():
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")
    engine.dispose()


if __name__ == "__main__":
    main()
