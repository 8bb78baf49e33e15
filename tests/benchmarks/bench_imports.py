"""Spreadsheet imports of 10,000 newcomers in under 10 s (deselected by default).

On a fresh database (SQLite file, and PostgreSQL when reachable), through the app
in-process: the preview (upload, every row checked) and the commit (every row created) of a
10,000-row XLSX file and of the same rows as a Windows-1252 CSV; medians of a few runs,
printed as a table.

    .venv/bin/pytest -m benchmark -s tests/benchmarks/bench_imports.py

``MAKKER_BENCH_IMPORTS_RUNS`` sets the runs (default 3). PostgreSQL:
``MAKKER_BENCH_IMPORTS_URL`` (default
``postgresql+psycopg://postgres@127.0.0.1:5432/makker_bench_imports``; recreated).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.auth import issue_key
from app.config import Settings
from app.main import create_app
from app.migrate import upgrade
from tests.app.spreadsheets import NEWCOMER_HEADER, csv_bytes, newcomer_rows, xlsx

pytestmark = pytest.mark.benchmark

PG_URL = os.environ.get(
    "MAKKER_BENCH_IMPORTS_URL",
    "postgresql+psycopg://postgres@127.0.0.1:5432/makker_bench_imports",
)
ROWS = 10_000
RUNS = int(os.environ.get("MAKKER_BENCH_IMPORTS_RUNS", "3"))
LIMIT_SECONDS = 10.0
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _database(kind: str, workdir: Path) -> str | None:
    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'bench-imports.db'}"
    else:
        base = make_url(PG_URL)
        try:
            admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{base.database}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{base.database}"'))
            admin.dispose()
        except Exception:  # no PostgreSQL here: measure SQLite only
            return None
        url = base.render_as_string(hide_password=False)
    upgrade(url)
    return url


def _measure(url: str, files: dict[str, tuple[str, bytes]]) -> list[tuple[str, float, float]]:
    # The default limits (MAKKER_MAX_IMPORT_BYTES for uploads); no sender thread competing.
    settings = Settings(
        database_url=url, log_level="WARNING", embedded_worker=False, embedded_sender=False
    )
    app = create_app(settings)
    with app.state.sessionmaker.begin() as session:
        _row, key = issue_key(
            session, name="bench", role="coordinator", municipalities=["101", "751"]
        )
    headers = {"Authorization": f"Bearer {key}"}
    out = []
    with TestClient(app) as client:
        for name, (content_type, content) in files.items():
            previews, commits = [], []
            for _ in range(RUNS):
                started = time.perf_counter()
                preview = client.post(
                    "/api/v1/newcomers/imports",
                    headers={**headers, "Content-Type": content_type},
                    content=content,
                )
                previewed = time.perf_counter()
                assert preview.status_code == 200, preview.text[:500]
                assert preview.json()["errors"] == []
                committed = client.post(
                    f"/api/v1/newcomers/imports/{preview.json()['id']}/commit", headers=headers
                )
                done = time.perf_counter()
                assert committed.status_code == 200, committed.text[:500]
                assert committed.json()["created"] == ROWS
                previews.append(previewed - started)
                commits.append(done - previewed)
            out.append((name, statistics.median(previews), statistics.median(commits)))
    app.state.engine.dispose()
    return out


def test_ten_thousand_rows_import_in_under_ten_seconds() -> None:
    rows = newcomer_rows(ROWS)
    files = {
        "xlsx": (XLSX_TYPE, xlsx(NEWCOMER_HEADER, rows)),
        "csv (cp1252)": ("text/csv", csv_bytes(NEWCOMER_HEADER, rows, encoding="cp1252")),
    }
    results: list[tuple[str, str, float, float]] = []
    with tempfile.TemporaryDirectory() as workdir:
        for kind in ("sqlite", "postgresql"):
            url = _database(kind, Path(workdir))
            if url is None:
                continue
            for name, preview, commit in _measure(url, files):
                results.append((kind, name, preview, commit))
    print(f"\n{ROWS:,} newcomers, median of {RUNS} runs")
    print(f"{'database':<11} {'file':<13} {'preview s':>10} {'commit s':>10} {'total s':>10}")
    for kind, name, preview, commit in results:
        print(f"{kind:<11} {name:<13} {preview:>10.2f} {commit:>10.2f} {preview + commit:>10.2f}")
    for kind, name, preview, commit in results:
        assert preview + commit < LIMIT_SECONDS, (kind, name, preview, commit)
