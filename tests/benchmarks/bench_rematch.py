"""End-to-end scale benchmark of ``makker rematch`` (not a test; deselected by default).

Seeds 30,000 newcomers and 15,000 mentors (the benchmark generator's distributions) into a
fresh PostgreSQL database and a fresh SQLite file, then runs ``makker rematch`` twice as a
process: the first run proposes everything (all ``new``), the second is the steady nightly
case (nothing changed: all ``kept``). Reported per run: the read, solve and write phases, the
process's wall and CPU (user + system) seconds, and its peak resident memory.

    .venv/bin/pytest -m benchmark -s tests/benchmarks/bench_rematch.py
    .venv/bin/python -m tests.benchmarks.bench_rematch --newcomers 30000 --mentors 15000
    .venv/bin/python -m tests.benchmarks.bench_rematch --db postgresql --runs 3 --old DIR

``--runs N`` repeats the pair of runs on N fresh copies of the seeded database and prints the
medians. ``--old DIR`` (a checkout of an earlier commit, e.g. ``git archive <commit> | tar -x
-C DIR``) runs that code's ``makker rematch`` too (from DIR, with ``PYTHONPATH=DIR``, so it
imports its own code), interleaved with this one's on copies of the same seed, and checks
that both wrote the same proposals, unmatched requests, groups and run stats.

PostgreSQL: ``MAKKER_BENCH_DATABASE_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/makker_bench``; the database, and with
``--runs``/``--old`` its copies ``<name>_copy``, are recreated).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
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
from tests.postgres import recreate

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
        url = recreate(PG_URL, make_url(PG_URL).database or "makker_bench")
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


def run_rematch(url: str, workdir: Path, root: Path = ROOT) -> dict[str, Any]:
    """Run ``makker rematch`` of the code in ``root`` as a process (from ``root``, importing
    its code); its stats, wall and CPU seconds and peak memory (MB)."""
    out_path, err_path = workdir / "out.json", workdir / "err.txt"
    env = {
        **os.environ,
        "MAKKER_DATABASE_URL": url,
        "MAKKER_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(root),
    }
    started = time.perf_counter()
    with out_path.open("w") as out, err_path.open("w") as err:
        process = subprocess.Popen(
            [sys.executable, "-c", "from app.cli import main; main()", "rematch"],
            cwd=root,
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


RUNS = ("first run (all new)", "second run (all kept)")
#: What a run wrote, compared between old and new code (ids and timestamps aside).
WRITTEN = {
    "matches": "newcomer_id, mentor_id, programme, status, score, components, distance_km, "
    "source, household_id, version",
    "run_unmatched": "newcomer_id, programme, municipality, language, reason, passed, "
    "group_shortfall",
    "run_group_members": "programme, mentor_id, newcomer_id",
}


def _copy(kind: str, seeded: str, workdir: Path) -> str:
    """A fresh copy of the seeded database."""
    if kind == "sqlite":
        target = workdir / "copy.db"
        shutil.copyfile(make_url(seeded).database or "", target)
        return f"sqlite:///{target}"
    source = make_url(seeded).database
    return recreate(seeded, f"{source}_copy", template=source)


def written(url: str) -> dict[str, list[str]]:
    """The rows the runs wrote, in a comparable form (each run's rows by run)."""
    engine = create_engine(url)
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for table, columns in WRITTEN.items():
            run = "run_id, " if table != "matches" else "run_id, decided_at IS NULL, "
            rows = connection.execute(text(f"SELECT {run}{columns} FROM {table}")).all()
            found[table] = sorted(json.dumps(list(r), default=str, sort_keys=True) for r in rows)
        stats = connection.execute(text("SELECT stats FROM match_runs ORDER BY id")).scalars()
        found["match_runs"] = [
            json.dumps(
                {
                    k: v
                    for k, v in (s if isinstance(s, dict) else json.loads(s)).items()
                    if k not in ("seconds", "phases")
                },
                sort_keys=True,
            )
            for s in stats
        ]
    engine.dispose()
    return found


def _line(kind: str, label: str, stats: dict[str, Any]) -> str:
    phases = stats["phases"]
    return (
        f"[{kind}] {label}: read {phases['read']:.1f} s, solve {phases['solve']:.1f} s, "
        f"write {phases['write']:.1f} s; process {stats['wall_seconds']:.1f} s wall, "
        f"{stats['cpu_seconds']:.1f} s CPU, peak {stats['peak_mb']:.0f} MB; "
        f"requests {stats['requests']}, "
        f"candidates {stats['candidates']}, matched {stats['matched']}, "
        f"kept {stats['kept']}, new {stats['new']}, superseded {stats['superseded']}"
    )


def _median(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """The medians of the runs' figures (the counts are the same in every run)."""
    first = reports[0]
    median = {**first, "phases": {}}
    for key in ("wall_seconds", "cpu_seconds", "peak_mb"):
        median[key] = statistics.median(r[key] for r in reports)
    for phase in first["phases"]:
        median["phases"][phase] = statistics.median(r["phases"][phase] for r in reports)
    return median


def benchmark(
    kind: str, newcomers: int, mentors: int, *, runs: int = 1, old: Path | None = None
) -> list[dict[str, Any]]:
    """Seed a fresh database of ``kind`` and run the job twice, ``runs`` times on fresh copies
    (with ``old``, that code's job too, interleaved); one report line per run, then the
    medians."""
    codes = {"new": ROOT} if old is None else {"old": old.resolve(), "new": ROOT}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        url = fresh_database(kind, workdir)
        seconds = seed(url, newcomers, mentors)
        print(f"\n[{kind}] seeded {newcomers} newcomers, {mentors} mentors in {seconds:.1f} s")
        load = os.getloadavg()
        found: dict[str, dict[str, list[dict[str, Any]]]] = {
            code: {label: [] for label in RUNS} for code in codes
        }
        rows: dict[str, dict[str, list[str]]] = {}
        for repetition in range(runs):
            for code, root in codes.items():
                target = url if runs == 1 and old is None else _copy(kind, url, workdir)
                for label in RUNS:
                    stats = run_rematch(target, workdir, root)
                    print(_line(kind, f"{code} #{repetition + 1} {label}", stats))
                    found[code][label].append(stats)
                if old is not None and repetition == 0:
                    rows[code] = written(target)
        if old is not None:
            same = rows["old"] == rows["new"]
            print(f"[{kind}] old and new wrote the same rows: {'yes' if same else 'NO'}")
            if not same:
                raise AssertionError("old and new code wrote different rows")
        load_after = os.getloadavg()
        print(
            f"[{kind}] medians of {runs} (load average {load[0]:.1f} before, "
            f"{load_after[0]:.1f} after):"
        )
        reports = []
        for code in codes:
            for label in RUNS:
                median = _median(found[code][label])
                print(_line(kind, f"{code} {label}", median))
                reports.append({"database": kind, "code": code, "run": label, **median})
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
    parser.add_argument("--runs", type=int, default=1, help="pairs of runs (medians)")
    parser.add_argument("--old", type=Path, help="an older checkout, run interleaved")
    args = parser.parse_args()
    kinds = ["postgresql", "sqlite"] if args.db == "both" else [args.db]
    for kind in kinds:
        benchmark(kind, args.newcomers, args.mentors, runs=args.runs, old=args.old)


if __name__ == "__main__":
    main()
