"""The API under load: ``makker serve`` beside a plain FastAPI endpoint (not a test).

On PostgreSQL with 30,000 newcomers, 15,000 mentors and about 25,000 proposals
(tests/benchmarks/seeded.py, reused between runs), starts ``makker serve`` (``--workers 1``,
then ``--workers 2``) and the plain baseline (tests/benchmarks/baseline_app.py, one process),
and runs ``wrk -t1 -c32`` against each in turn, side by side, ``--rounds`` times (the median
round is reported):

- baseline ``GET /matches?limit=50``;
- ``GET /api/v1/matches?limit=50`` with an admin key, and with a coordinator's key of
  Copenhagen (101);
- ``GET /api/v1/newcomers?limit=50`` (admin), which writes 50 audit rows a page;
- ``GET /api/v1/newcomers/{id}/suggestions`` (admin, random newcomers).

Every answer's status is counted (a wrk Lua script): any 5xx is reported.

    .venv/bin/python -m tests.benchmarks.bench_api            # needs wrk (apt-get install wrk)
    .venv/bin/python -m tests.benchmarks.bench_api --seconds 10 --rounds 3 --workers 1 2
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.auth import issue_key
from app.db import make_engine, make_sessionmaker
from tests.benchmarks.seeded import national_database

pytestmark = pytest.mark.benchmark

ROOT = Path(__file__).resolve().parents[2]
CONNECTIONS = 32

# Counts answers by status; wrk's own summary only says "non-2xx or 3xx". With one thread,
# done() reads that thread's table.
_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    for status, n in pairs(counts) do io.write(string.format("status %d %d\\n", status, n)) end
  end
end
"""
_SUGGESTIONS_LUA = """
math.randomseed(7)
request = function()
  local id = math.random(1, 30000)
  return wrk.format("GET", "/api/v1/newcomers/" .. id .. "/suggestions")
end
"""


@dataclass(frozen=True, slots=True)
class Result:
    """One wrk run."""

    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    cpu_ms: float = 0.0  # server CPU per answered request

    @property
    def errors(self) -> int:
        """Answers with a 5xx status."""
        return sum(n for status, n in self.statuses.items() if status >= 500)


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str, seconds: int, headers: dict[str, str], script: str = "", server: int | None = None
) -> Result:
    """``wrk -t1 -c32`` for ``seconds`` against ``url``; with ``server`` (a pid), also the
    server's CPU milliseconds per request, which a busy machine disturbs far less than
    throughput."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + _LUA)
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "30s", "--latency"]
    command += ["-s", lua.name]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    before = cpu_seconds(server) if server is not None else 0.0
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    used = cpu_seconds(server) - before if server is not None else 0.0
    os.unlink(lua.name)
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", out, re.MULTILINE))
    statuses = {int(s): int(n) for s, n in re.findall(r"^status (\d+) (\d+)$", out, re.MULTILINE)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    answered = sum(statuses.values())
    cpu_ms = 1000 * used / answered if answered else 0.0
    return Result(rps, _ms(percentiles["50"]), _ms(percentiles["99"]), statuses, cpu_ms)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and its children (uvicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # fields[1] is the parent's pid; fields[11], fields[12] are utime and stime.
        if int(entry.name) == pid or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(command: list[str], url: str, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MAKKER_DATABASE_URL": url, "MAKKER_LOG_LEVEL": "WARNING"}
    # Its own process group: stopping it stops the workers of ``--workers N`` too.
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, start_new_session=True
    )
    deadline = time.monotonic() + 120  # a busy machine starts it slowly
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process
        except httpx.HTTPError:
            time.sleep(0.3)
    _stop(process)
    raise RuntimeError(f"server did not start: {command}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and every process of its group (uvicorn's workers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.wait()


def _keys(url: str) -> tuple[str, str]:
    engine = make_engine(url)
    with make_sessionmaker(engine).begin() as session:
        _a, admin = issue_key(session, name="bench admin", role="admin")
        _c, coordinator = issue_key(
            session, name="bench coordinator", role="coordinator", municipalities=["101"]
        )
    engine.dispose()
    return admin, coordinator


def _median(results: list[Result]) -> Result:
    """The round with the median throughput, with the statuses of every round."""
    chosen = sorted(results, key=lambda r: r.rps)[len(results) // 2]
    statuses: dict[int, int] = {}
    for r in results:
        for status, n in r.statuses.items():
            statuses[status] = statuses.get(status, 0) + n
    cpu = statistics.median(r.cpu_ms for r in results)
    return Result(chosen.rps, chosen.p50_ms, chosen.p99_ms, statuses, cpu)


def benchmark(database: str, *, seconds: int, rounds: int, workers: list[int]) -> None:
    """Run every row and print the table."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    url = national_database(database)
    admin, coordinator = _keys(url)
    base_port, makker_port = _free_port(), _free_port()
    baseline = _start(
        [sys.executable, "-m", "uvicorn", "tests.benchmarks.baseline_app:app", "--port",
         str(base_port), "--log-level", "warning", "--no-access-log"],
        url,
        base_port,
    )  # fmt: skip
    as_admin = {"Authorization": f"Bearer {admin}"}
    as_coordinator = {"Authorization": f"Bearer {coordinator}"}
    rows: list[tuple[str, Result]] = []
    try:
        for n in workers:
            makker = _start(
                [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port",
                 str(makker_port), "--workers", str(n)],
                url,
                makker_port,
            )  # fmt: skip
            api = f"http://127.0.0.1:{makker_port}/api/v1"
            root = f"http://127.0.0.1:{makker_port}"
            plain = f"http://127.0.0.1:{base_port}/matches?limit=50"
            cases = [
                ("plain baseline: GET /matches?limit=50", plain, {}, "", baseline.pid),
                ("GET /matches?limit=50 (admin)", f"{api}/matches?limit=50", as_admin, "",
                 makker.pid),
                ("GET /matches?limit=50 (coordinator of 101)", f"{api}/matches?limit=50",
                 as_coordinator, "", makker.pid),
                ("GET /newcomers?limit=50 (admin, 50 audit rows)", f"{api}/newcomers?limit=50",
                 as_admin, "", makker.pid),
                ("GET /newcomers/{id}/suggestions (admin)", root, as_admin, _SUGGESTIONS_LUA,
                 makker.pid),
            ]  # fmt: skip
            try:
                wrk(cases[1][1], 2, as_admin)  # warm-up: pools, caches, the mentor index
                wrk(root, 2, as_admin, _SUGGESTIONS_LUA)
                found: dict[str, list[Result]] = {name: [] for name, *_ in cases}
                for _ in range(rounds):
                    for name, target, headers, script, pid in cases:
                        found[name].append(wrk(target, seconds, headers, script, pid))
            finally:
                _stop(makker)
            for name, *_ in cases:
                label = name if name.startswith("plain") else f"makker --workers {n}: {name}"
                rows.append((label, _median(found[name])))
    finally:
        _stop(baseline)
    _print(rows)


def _print(rows: list[tuple[str, Result]]) -> None:
    print(f"\nwrk -t1 -c{CONNECTIONS}, median of the rounds; 5xx summed over all rounds")
    print(
        "| request | req/s | p50 ms | p99 ms | 5xx | server CPU ms/request "
        "| req/s vs. baseline | CPU/request vs. baseline |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    baseline: Result | None = None
    for name, r in rows:
        if name.startswith("plain"):
            baseline = r
        speed = f"{r.rps / baseline.rps:.2f}x" if baseline else "-"
        cost = f"{baseline.cpu_ms / r.cpu_ms:.2f}x" if baseline and r.cpu_ms else "-"
        print(
            f"| {name} | {r.rps:.0f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} "
            f"| {r.cpu_ms:.2f} | {speed} | {cost} |"
        )


def test_api_under_load() -> None:
    """Prints the table (the ratios are read side by side; no timing is asserted)."""
    benchmark("makker_bench_api", seconds=10, rounds=3, workers=[1, 2])


def main() -> None:
    """Command-line entry: ``python -m tests.benchmarks.bench_api``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="makker_bench_api")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    benchmark(args.database, seconds=args.seconds, rounds=args.rounds, workers=args.workers)


if __name__ == "__main__":
    main()
