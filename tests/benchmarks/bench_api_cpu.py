"""CPU per request in-process: ``makker``'s app beside the plain baseline (not a test).

Sequential requests straight into each ASGI app (no server, no HTTP parsing, no concurrency)
on one event loop, over the database bench_api.py seeds; the process's CPU time (every
thread) per request, alternating the apps round by round, medians over the rounds. Steadier
than wrk on a shared machine, and it isolates what the app itself costs:

    .venv/bin/python -m tests.benchmarks.bench_api_cpu --rounds 7 --requests 300

The rows: the baseline's ``GET /matches?limit=50``; Makker's ``GET /api/v1/matches?limit=50``
with an admin key and with a coordinator's key of Copenhagen (101); ``GET
/api/v1/newcomers?limit=50`` (admin, 50 audit rows a page). With ``--old DIR`` (a checkout of
an earlier commit, e.g. ``git archive HEAD~3 | tar -x -C /tmp/old``) the same rows run in a
second process on that checkout's code, the two processes taking turns round by round, and
the table shows old and new side by side (each against its own process's baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import IO, Any

from starlette.types import ASGIApp, Message

ROOT = Path(__file__).resolve().parents[2]
#: (row, path) in table order; the first is the baseline.
ROWS = [
    ("plain baseline: GET /matches?limit=50", "/matches"),
    ("GET /api/v1/matches?limit=50 (admin)", "/api/v1/matches"),
    ("GET /api/v1/matches?limit=50 (coordinator of 101)", "/api/v1/matches"),
    ("GET /api/v1/newcomers?limit=50 (admin, 50 audit rows)", "/api/v1/newcomers"),
]


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


def _cases(url: str, admin: str, coordinator: str) -> list[tuple[ASGIApp, str, Any]]:
    os.environ["MAKKER_DATABASE_URL"] = url
    os.environ.setdefault("MAKKER_LOG_LEVEL", "WARNING")
    from app.config import Settings
    from app.main import create_app
    from tests.benchmarks.baseline_app import app as baseline

    makker = create_app(Settings(database_url=url, log_level="WARNING"))
    as_admin = [(b"authorization", f"Bearer {admin}".encode())]
    as_coordinator = [(b"authorization", f"Bearer {coordinator}".encode())]
    apps: list[tuple[ASGIApp, Any]] = [
        (baseline, []),
        (makker, as_admin),
        (makker, as_coordinator),
        (makker, as_admin),
    ]
    return [(app, path, headers) for (app, headers), (_name, path) in zip(apps, ROWS, strict=True)]


async def _round(cases: list[tuple[ASGIApp, str, Any]], requests: int) -> list[float]:
    return [await _cpu_ms(app, path, headers, requests) for app, path, headers in cases]


async def _child(url: str, requests: int, keys: tuple[str, str], commands: IO[str]) -> None:
    """One checkout's process: warm up, then one round per ``round`` line, as JSON."""
    cases = _cases(url, *keys)
    await _round(cases, 50)  # warm-up: pools, caches, imports
    print("ready", flush=True)
    for line in commands:
        if line.strip() != "round":
            break
        print("result", json.dumps(await _round(cases, requests)), flush=True)


def _spawn(
    checkout: Path, args: argparse.Namespace, keys: tuple[str, str]
) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout.resolve()),
        "MAKKER_BENCH_KEYS": json.dumps(keys),
    }
    argv = [sys.executable, str(Path(__file__).resolve()), "--child",
            "--database", args.database, "--requests", str(args.requests)]  # fmt: skip
    # The checkout's own directory: its ``app`` and ``tests`` come first on the path.
    process = subprocess.Popen(
        argv, cwd=checkout.resolve(), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    return process


def _ask(process: subprocess.Popen[str], command: str, answer: str) -> str:
    """Send ``command`` (if any) and return the rest of the first line starting ``answer``
    (the child's other output, such as log lines, is passed through)."""
    assert process.stdin is not None and process.stdout is not None
    if command:
        process.stdin.write(command + "\n")
        process.stdin.flush()
    for line in process.stdout:
        if line.startswith(answer):
            return line[len(answer) :].strip()
        print(line, end="", file=sys.stderr)
    raise RuntimeError("a benchmark process ended early")


def _cell(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _table(found: dict[str, list[list[float]]], rounds: int, requests: int) -> list[str]:
    medians = {side: [statistics.median(r[i] for r in runs) for i in range(len(ROWS))]
               for side, runs in found.items()}  # fmt: skip
    sides = list(found)
    lines = [
        f"\nin-process, sequential, {requests} requests a round, median of {rounds} rounds "
        "(CPU ms/request, rounds' range)",
        "| request | " + " | ".join(f"{s} CPU ms/request" for s in sides)
        + " | " + " | ".join(f"{s}: baseline's CPU / this" for s in sides) + " |",
        "| --- |" + " ---: |" * (2 * len(sides)),
    ]  # fmt: skip
    for i, (name, _path) in enumerate(ROWS):
        cells = [_cell([r[i] for r in found[s]]) for s in sides]
        ratios = [f"{medians[s][0] / medians[s][i]:.2f}x" for s in sides]
        lines.append(f"| {name} | " + " | ".join(cells + ratios) + " |")
    for s in sides:
        m = medians[s]
        lines.append(
            f"{s}: coordinator / admin {m[2] / m[1]:.2f}x, newcomers / admin {m[3] / m[1]:.2f}x"
        )
    return lines


def main() -> None:
    """Command-line entry: ``python -m tests.benchmarks.bench_api_cpu``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", default="makker_bench_api")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--old", type=Path, default=None, help="checkout of an earlier commit")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from tests.benchmarks.seeded import national_database

    if args.child:
        try:
            import uvloop

            uvloop.install()
        except ImportError:  # pragma: no cover
            pass
        keys = tuple(json.loads(os.environ["MAKKER_BENCH_KEYS"]))
        url = national_database(args.database)
        asyncio.run(_child(url, args.requests, (keys[0], keys[1]), sys.stdin))
        return
    from tests.benchmarks.bench_api import _keys

    keys = _keys(national_database(args.database))
    checkouts = {"new": ROOT} if args.old is None else {"old": args.old, "new": ROOT}
    processes = {side: _spawn(path, args, keys) for side, path in checkouts.items()}
    found: dict[str, list[list[float]]] = {side: [] for side in checkouts}
    try:
        for process in processes.values():
            _ask(process, "", "ready")
        for _ in range(args.rounds):
            for side, process in processes.items():
                found[side].append(json.loads(_ask(process, "round", "result ")))
    finally:
        for process in processes.values():
            assert process.stdin is not None
            process.stdin.close()
            process.wait()
    print("\n".join(_table(found, args.rounds, args.requests)))


if __name__ == "__main__":
    main()
