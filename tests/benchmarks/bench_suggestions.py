"""Suggestions at national scale, before and after the narrowing (not a test; deselected).

On PostgreSQL with 30,000 newcomers, 15,000 mentors and about 25,000 proposals (10 %
accepted; tests/benchmarks/seeded.py, reused between runs), for seeded random newcomers:

- *before*: every mentor read by ``load_problem``, then ``matching.suggest`` (the old path,
  tests/app/suggestions_reference.py), for the first ``--before`` newcomers;
- *after*: ``app.suggestions.service.find`` (the index of mentors, warm, and the narrowed
  ``matching.suggest``), on the same newcomers, each checked equal to *before*;
- the whole request ``GET /api/v1/newcomers/{id}/suggestions`` through the app (key lookup,
  scope, audit row, JSON), in process, for ``--calls`` newcomers.

    .venv/bin/python -m tests.benchmarks.bench_suggestions
    .venv/bin/pytest -m benchmark -s tests/benchmarks/bench_suggestions.py

Database: ``MAKKER_BENCH_DATABASE_URL``'s server, database ``makker_bench_api``
(``--database``); ``--fresh`` rebuilds it.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth import issue_key
from app.config import Settings
from app.main import create_app
from app.models import Newcomer
from app.suggestions import index
from app.suggestions.service import POLICY, find
from matching import Suggestions
from tests.app.suggestions_reference import full_load_suggestions
from tests.benchmarks.seeded import national_database

pytestmark = pytest.mark.benchmark

TARGET_P95_MS = 50.0


def _ms(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _timed(call: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def benchmark(
    database: str, *, calls: int, before: int, fresh: bool
) -> dict[str, tuple[float, float]]:
    """Run the three measurements; print and return ``{row: (median ms, p95 ms)}``."""
    url = national_database(database, fresh=fresh)
    app = create_app(Settings(database_url=url, log_level="WARNING"))
    factory = app.state.sessionmaker
    with factory() as session:
        ids = sorted(session.scalars(select(Newcomer.id)))
    chosen = random.Random(7).sample(ids, calls)
    old: list[float] = []
    new: list[float] = []
    with factory() as session:
        build, _ = _timed(
            lambda: index.current(session, today=datetime.now(UTC).date(), policy=POLICY)
        )
        for newcomer_id in chosen:
            newcomer = session.get(Newcomer, newcomer_id)
            assert newcomer is not None
            seconds, found = _timed(lambda n=newcomer: find(session, n, limit=5))
            new.append(seconds)
            if len(old) < before:
                seconds, expected = _timed(
                    lambda n=newcomer: full_load_suggestions(session, n.id, 5, None, None)
                )
                old.append(seconds)
                assert _plain(found) == _plain(expected), newcomer_id
    with factory.begin() as session:
        _row, key = issue_key(session, name="bench", role="admin")
    http: list[float] = []
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {key}"}
        client.get(f"/api/v1/newcomers/{chosen[0]}/suggestions", headers=headers)
        for newcomer_id in chosen:
            url_path = f"/api/v1/newcomers/{newcomer_id}/suggestions"
            seconds, response = _timed(lambda p=url_path: client.get(p, headers=headers))
            assert response.status_code == 200, response.text  # type: ignore[attr-defined]
            http.append(seconds)
    app.state.engine.dispose()
    rows = {
        "before: load_problem (all mentors) + suggest": _ms(old),
        "after: mentor index + narrowed suggest": _ms(new),
        "after: whole GET /newcomers/{id}/suggestions": _ms(http),
    }
    counts = dict(zip(rows, (len(old), len(new), len(http)), strict=True))
    print(f"\nindex of 15,000 mentors built in {build * 1000:.0f} ms (once per change)")
    print("| path | calls | median ms | p95 ms |")
    print("| --- | ---: | ---: | ---: |")
    for name, (median, p95) in rows.items():
        print(f"| {name} | {counts[name]} | {median:.1f} | {p95:.1f} |")
    return rows


def _plain(blocks: list[Suggestions]) -> list[tuple[object, ...]]:
    return [(b.programme, b.candidates, dict(b.passed), b.reason) for b in blocks]


def test_suggestions_at_scale() -> None:
    """p95 of the whole request under 50 ms at 30,000 x 15,000 on PostgreSQL."""
    rows = benchmark("makker_bench_api", calls=300, before=30, fresh=False)
    assert rows["after: whole GET /newcomers/{id}/suggestions"][1] < TARGET_P95_MS


def main() -> None:
    """Command-line entry: ``python -m tests.benchmarks.bench_suggestions``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="makker_bench_api")
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--before", type=int, default=30)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    benchmark(args.database, calls=args.calls, before=args.before, fresh=args.fresh)


if __name__ == "__main__":
    main()
