"""End-to-end scale benchmark of ``makker rematch`` (not a test; deselected by default).

Seeds 30,000 newcomers and 15,000 mentors (the benchmark generator's distributions) into a
fresh PostgreSQL database and a fresh SQLite file, then runs ``makker rematch`` twice as a
process: the first run proposes everything (all ``new``), the second is the steady nightly
case (nothing changed: all ``kept``). Reported per run: the read, solve and write phases, the
total, and the process's peak resident memory.

    .venv/bin/pytest -m benchmark -s tests/benchmarks/bench_rematch.py
    .venv/bin/python -m tests.benchmarks.bench_rematch --newcomers 30000 --mentors 15000

PostgreSQL: ``MAKKER_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/makker_bench``; the database is recreated).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import make_url

from app.db import make_engine
from app.migrate import upgrade
from app.models import Association, Mentor, Newcomer
from tests.benchmarks.generator import generate

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]
PG_URL = os.environ.get(
    "MAKKER_BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/makker_bench"
)
TODAY = date(2026, 11, 22)
TARGET_SECONDS, TARGET_MB = 60.0, 1536.0


def fresh_database(kind: str, workdir: Path) -> str:
    """A new, migrated, empty database of ``kind`` (``postgresql`` or ``sqlite``)."""
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        base = make_url(PG_URL)
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{base.database}"'))
        admin.dispose()
        url = base.render_as_string(hide_password=False)
    upgrade(url)
    return url


def seed(url: str, newcomers: int, mentors: int, seed_value: int = 0) -> float:
    """Bulk-insert the generated people; returns the seconds it took."""
    started = time.perf_counter()
    problem = generate(newcomers, seed_value, mentors=mentors)
    now = datetime.now(UTC)
    engine = make_engine(url)
    with engine.begin() as connection:
        association_ids = [
            connection.execute(
                insert(Association.__table__)
                .values(
                    name=f"Forening {i}",
                    kind="red_cross",
                    municipalities=[],
                    created_at=now,
                    updated_at=now,
                    version=1,
                )
                .returning(Association.__table__.c.id)
            ).scalar_one()
            for i in range(20)
        ]
        connection.execute(
            insert(Mentor.__table__),
            [
                {
                    "association_id": association_ids[i % len(association_ids)],
                    "first_name": f"Frivillig{i}",
                    "last_name": "Bench",
                    "birth_year": None if m.age is None else TODAY.year - m.age,
                    "gender": m.gender,
                    "languages": list(m.languages),
                    "municipality": m.municipality,
                    "lat": m.lat,
                    "lon": m.lon,
                    "max_distance_km": m.max_distance_km,
                    "capacity": m.capacity,
                    "programmes": list(m.programmes),
                    "interests": list(m.interests),
                    "accepts_genders": None
                    if m.accepts_genders is None
                    else list(m.accepts_genders),
                    "child_certificate": m.child_certificate,
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for i, m in enumerate(problem.mentors)
            ],
        )
        connection.execute(
            insert(Newcomer.__table__),
            [
                {
                    "municipality": n.municipality,
                    "first_name": f"Nykommer{i}",
                    "last_name": "Bench",
                    "birth_date": None if n.age is None else date(TODAY.year - n.age - 1, 12, 31),
                    "gender": n.gender,
                    "languages": list(n.languages),
                    "interests": list(n.interests),
                    "programmes": list(n.programmes),
                    "mentor_gender": n.mentor_gender,
                    "max_distance_km": n.max_distance_km,
                    "lat": n.lat,
                    "lon": n.lon,
                    "registered_at": now - timedelta(days=n.waiting_days),
                    "active": True,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for i, n in enumerate(problem.newcomers)
            ],
        )
    engine.dispose()
    return time.perf_counter() - started


def run_rematch(url: str, workdir: Path) -> dict[str, Any]:
    """Run ``makker rematch`` as a process; its stats, wall seconds and peak memory (MB)."""
    out_path, err_path = workdir / "out.json", workdir / "err.txt"
    env = {**os.environ, "MAKKER_DATABASE_URL": url, "MAKKER_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", "from app.cli import main; main()", "rematch"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=err,
        )
        _pid, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"makker rematch failed:\n{err_path.read_text()}")
    stats: dict[str, Any] = json.loads(out_path.read_text())
    stats["wall_seconds"] = round(wall, 2)
    stats["peak_mb"] = round(usage.ru_maxrss / 1024, 1)  # Linux: kilobytes
    stats["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    stats["progress"] = err_path.read_text().strip().splitlines()
    return stats


def benchmark(kind: str, newcomers: int, mentors: int) -> list[dict[str, Any]]:
    """Seed a fresh database of ``kind`` and run the job twice; one report line per run."""
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = fresh_database(kind, workdir)
        seconds = seed(url, newcomers, mentors)
        print(f"\n[{kind}] seeded {newcomers} newcomers, {mentors} mentors in {seconds:.1f} s")
        reports = []
        for label in ("first run (all new)", "second run (all kept)"):
            stats = run_rematch(url, workdir)
            phases = stats["phases"]
            print(
                f"[{kind}] {label}: read {phases['read']:.1f} s, solve {phases['solve']:.1f} s, "
                f"write {phases['write']:.1f} s; process {stats['wall_seconds']:.1f} s wall, "
                f"{stats['cpu_seconds']:.1f} s CPU, peak {stats['peak_mb']:.0f} MB; "
                f"requests {stats['requests']}, "
                f"candidates {stats['candidates']}, matched {stats['matched']}, "
                f"kept {stats['kept']}, new {stats['new']}, superseded {stats['superseded']}"
            )
            reports.append({"database": kind, "run": label, **stats})
        return reports


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_rematch_at_scale(kind: str) -> None:
    """30,000 newcomers, 15,000 mentors: under 60 s and 1.5 GB on PostgreSQL."""
    reports = benchmark(kind, 30_000, 15_000)
    if kind == "postgresql":
        for report in reports:
            assert report["wall_seconds"] < TARGET_SECONDS
            assert report["peak_mb"] < TARGET_MB


def main() -> None:
    """Command-line entry: ``python -m tests.benchmarks.bench_rematch``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--newcomers", type=int, default=30_000)
    parser.add_argument("--mentors", type=int, default=15_000)
    parser.add_argument("--db", choices=["postgresql", "sqlite", "both"], default="both")
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    for kind in kinds:
        benchmark(kind, args.newcomers, args.mentors)


if __name__ == "__main__":
    main()
