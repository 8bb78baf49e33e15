"""CPU per request in-process: ``makker``'s app beside the plain baseline (not a test).

Sequential requests straight into each ASGI app (no server, no HTTP parsing, no concurrency)
on one event loop, over the database bench_api.py seeds; the process's CPU time (every
thread) per request, alternating the two apps round by round, medians over the rounds. Steadier
than wrk on a shared machine, and it isolates what the app itself costs:

    .venv/bin/python -m tests.benchmarks.bench_api_cpu --rounds 7 --requests 300
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

from starlette.types import ASGIApp, Message

from tests.benchmarks.bench_api import _keys
from tests.benchmarks.seeded import national_database


async def _one(app: ASGIApp, path: str, query: bytes, headers: list[tuple[bytes, bytes]]) -> int:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query,
        "headers": [(b"host", b"127.0.0.1"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    status = 0

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def _cpu_ms(app: ASGIApp, path: str, headers: list[tuple[bytes, bytes]], n: int) -> float:
    """CPU milliseconds per request over ``n`` sequential requests (all 200)."""
    started = time.process_time()
    for _ in range(n):
        status = await _one(app, path, b"limit=50", headers)
        if status != 200:
            raise RuntimeError(f"{path} answered {status}")
    return 1000 * (time.process_time() - started) / n


async def _run(url: str, rounds: int, requests: int) -> None:
    os.environ["MAKKER_DATABASE_URL"] = url
    os.environ.setdefault("MAKKER_LOG_LEVEL", "WARNING")
    from app.config import Settings
    from app.main import create_app
    from tests.benchmarks.baseline_app import app as baseline

    admin, _coordinator = _keys(url)
    makker = create_app(Settings(database_url=url, log_level="WARNING"))
    as_admin = [(b"authorization", f"Bearer {admin}".encode())]
    cases = [
        ("plain baseline: GET /matches?limit=50", baseline, "/matches", []),
        ("makker: GET /api/v1/matches?limit=50 (admin)", makker, "/api/v1/matches", as_admin),
    ]
    for _name, app, path, headers in cases:  # warm-up: pools, caches, imports
        await _cpu_ms(app, path, headers, 50)
    found: dict[str, list[float]] = {name: [] for name, *_ in cases}
    for _ in range(rounds):
        for name, app, path, headers in cases:
            found[name].append(await _cpu_ms(app, path, headers, requests))
    print(f"\nin-process, sequential, {requests} requests a round, median of {rounds} rounds")
    print("| request | CPU ms/request | rounds' range | CPU/request vs. baseline |")
    print("| --- | ---: | --- | ---: |")
    base = statistics.median(found[cases[0][0]])
    for name, values in found.items():
        cpu = statistics.median(values)
        print(f"| {name} | {cpu:.2f} | {min(values):.2f}-{max(values):.2f} | {base / cpu:.2f}x |")


def main() -> None:
    """Command-line entry: ``python -m tests.benchmarks.bench_api_cpu``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default="makker_bench_api")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover
        pass
    asyncio.run(_run(national_database(args.database), args.rounds, args.requests))


if __name__ == "__main__":
    main()
