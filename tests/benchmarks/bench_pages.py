"""The desk's pages at national scale: the whole HTTP request (not a test; deselected).

On PostgreSQL with 30,000 newcomers, 15,000 mentors and about 25,000 proposals (10 %
accepted; tests/benchmarks/seeded.py, reused between runs), a real ``makker serve`` on
loopback and a signed-in desk session (a keep-alive connection, as a browser's): ``--calls``
GETs of each page, after a few to warm up, timed from sending the request to the last byte
of the answer (session lookup, scope, audit rows, the queries, the template). Printed as a
table of the median and the 95th percentile; the target is a median under 100 ms. Beside
them, the server process's own CPU time per request (from /proc, Linux only), which a busy
machine does not inflate as it does the wall-clock times (the load average is printed too).

    .venv/bin/python -m tests.benchmarks.bench_pages
    .venv/bin/pytest -m benchmark -s tests/benchmarks/bench_pages.py

Database: ``MAKKER_BENCH_DATABASE_URL``'s server, database ``makker_bench_api``
(``--database``, shared with bench_suggestions); ``--fresh`` rebuilds it.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import delete, select

from app.accounts.service import set_password_from_demo
from app.config import Settings
from app.db import make_engine, make_sessionmaker
from app.models import Account
from tests.app.live_server import running_server
from tests.benchmarks.seeded import national_database

pytestmark = pytest.mark.benchmark

TARGET_MEDIAN_MS = 100.0
WARM_UP = 5
PASSWORD = "benchmark password"
#: (who signs in, page): Copenhagen's coordinator has the most newcomers; an admin sees all.
PAGES = [
    ("coordinator of 101", "/proposals"),
    ("coordinator of 101", "/newcomers"),
    ("coordinator of 101", "/newcomers?state=waiting"),
    ("coordinator of 101", "/newcomers?state=matched"),
    ("admin", "/proposals"),
    ("admin", "/newcomers"),
]
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _ms(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered) * 1000, p95 * 1000


def _accounts(url: str) -> dict[str, str]:
    """A coordinator of Copenhagen and an admin on the database; their e-mail addresses."""
    engine = make_engine(url)
    people = {
        "coordinator of 101": ("bench-coordinator@example.com", "coordinator", ["101"]),
        "admin": ("bench-admin@example.com", "admin", []),
    }
    with make_sessionmaker(engine).begin() as session:
        emails = [email for email, _role, _m in people.values()]
        session.execute(delete(Account).where(Account.email.in_(emails)))
        for email, role, municipalities in people.values():
            row = Account(email=email, role=role, municipalities=municipalities)
            session.add(row)
            session.flush()
            set_password_from_demo(session, row, PASSWORD)
        assert session.scalar(select(Account.id).where(Account.email == emails[0]))
    engine.dispose()
    return {who: email for who, (email, _role, _m) in people.items()}


def _cpu_seconds(pid: int) -> float:
    """The process's user + system CPU time so far (0 where /proc is missing)."""
    stat = Path(f"/proc/{pid}/stat")
    if not stat.exists():
        return 0.0
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _signed_in(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    token = _TOKEN.search(client.get("/signin").text)
    assert token is not None
    form = {"csrf_token": token.group(1), "email": email, "password": PASSWORD}
    assert client.post("/signin", data=form).status_code == 303
    return client


def benchmark(database: str, *, calls: int, fresh: bool) -> dict[str, tuple[float, float]]:
    """Time every page; print and return ``{"who page": (median ms, p95 ms)}``."""
    url = national_database(database, fresh=fresh)
    emails = _accounts(url)
    Settings(database_url=url)  # the URL is valid for the app
    rows: dict[str, tuple[float, float]] = {}
    sizes: dict[str, int] = {}
    cpu: dict[str, float] = {}
    pids: list[int] = []
    # Quiet logs and no background threads competing with the requests.
    env = {"MAKKER_EMBEDDED_WORKER": "false", "MAKKER_SIGNIN_LIMIT_PER_ACCOUNT": "1000/minute"}
    with running_server(url, env, pids=pids) as base:
        clients = {who: _signed_in(base, email) for who, email in emails.items()}
        try:
            for who, path in PAGES:
                client = clients[who]
                for _ in range(WARM_UP):
                    assert client.get(path).status_code == 200
                samples = []
                used = _cpu_seconds(pids[0])
                for _ in range(calls):
                    started = time.perf_counter()
                    response = client.get(path)
                    response.read()
                    samples.append(time.perf_counter() - started)
                    assert response.status_code == 200, path
                cpu[f"{who} {path}"] = (_cpu_seconds(pids[0]) - used) / calls * 1000
                rows[f"{who} {path}"] = _ms(samples)
                sizes[f"{who} {path}"] = len(response.content)
        finally:
            for client in clients.values():
                client.close()
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"\n{calls} GETs each, a real server on loopback, {database} (30,000 x 15,000);")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs")
    print("| who | page | KiB | median ms | p95 ms | server CPU ms |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for (who, path), (median, p95) in zip(PAGES, rows.values(), strict=True):
        key = f"{who} {path}"
        size = sizes[key] / 1024
        print(f"| {who} | `{path}` | {size:.0f} | {median:.1f} | {p95:.1f} | {cpu[key]:.1f} |")
    return rows


def test_the_desk_pages_at_scale() -> None:
    """The median of the whole request under 100 ms at 30,000 x 15,000 on PostgreSQL."""
    rows = benchmark("makker_bench_api", calls=200, fresh=False)
    slow = {page: median for page, (median, _p95) in rows.items() if median >= TARGET_MEDIAN_MS}
    assert slow == {}, slow


def main() -> None:
    """Command-line entry: ``python -m tests.benchmarks.bench_pages``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="makker_bench_api")
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    benchmark(args.database, calls=args.calls, fresh=args.fresh)


if __name__ == "__main__":
    main()
