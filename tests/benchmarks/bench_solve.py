"""Benchmark of the whole ``makker solve`` path: write a problem file, solve it, write JSON.

Run: ``.venv/bin/python -m tests.benchmarks.bench_solve [sizes...]`` (default 2000 10000 30000)
or ``make bench``. Columns: build (validate, arrays, candidates and costs) and flow (OR-Tools)
from the command's summary line; in-process = read JSON to written JSON; process = wall time
of the whole ``makker solve`` process, interpreter start and imports included; process CPU =
its user + system CPU time (single-threaded work, so the wall time on an idle machine).
Each size is a seeded Danish-like instance (tests/benchmarks/generator.py) with half as
many mentors as newcomers; each run is a fresh ``makker solve`` process, whose peak memory
is its own maximum resident set size; figures are the median of 3 runs.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from matching import problem_to_dict
from tests.benchmarks.generator import generate

SIZES = (2_000, 10_000, 30_000)
RUNS = 3
_FIELDS = re.compile(r"(read|build|flow|finish|write|total) ([0-9.]+) s")


@dataclass(frozen=True)
class Run:
    """One ``makker solve`` process."""

    seconds: float
    cpu: float
    solve: float
    build: float
    flow: float
    peak_mb: float
    candidates: int
    matched: int
    requests: int
    objective: float


def command() -> list[str]:
    """The installed ``makker`` beside this interpreter, else the same code path directly."""
    makker = Path(sys.executable).with_name("makker")
    if makker.exists():
        return [str(makker), "solve"]
    code = "import sys; from matching.io import run_solve; sys.exit(run_solve(*sys.argv[1:]))"
    return [sys.executable, "-c", code]


def run_once(problem: Path, output: Path) -> Run:
    """Solve ``problem`` in a child process and measure it."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [*command(), str(problem), "--output", str(output)]
        if command()[-1] == "solve"
        else [*command(), str(problem), str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert child.stderr is not None
    summary = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise RuntimeError(f"makker solve failed: {summary}")
    fields = dict(_FIELDS.findall(summary))
    stats = json.loads(output.read_text(encoding="utf-8"))["stats"]
    return Run(
        seconds=elapsed,
        cpu=usage.ru_utime + usage.ru_stime,
        solve=float(fields["total"]),
        build=float(fields["build"]),
        flow=float(fields["flow"]),
        peak_mb=usage.ru_maxrss / 1024,
        candidates=stats["candidates"],
        matched=stats["matched"],
        requests=stats["requests"],
        objective=stats["objective"],
    )


def bench(sizes: tuple[int, ...] = SIZES, runs: int = RUNS) -> list[str]:
    """Run the benchmark and return the table's lines (Markdown)."""
    lines = [
        "| newcomers | mentors | requests | candidate pairs | build s | flow s | in-process s "
        "| process s | process CPU s | peak MB | matched | objective |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            problem = Path(tmp) / f"problem-{size}.json"
            problem.write_text(json.dumps(problem_to_dict(generate(size, seed=size))))
            results = [run_once(problem, Path(tmp) / f"solution-{size}.json") for _ in range(runs)]
            first = results[0]
            assert all(r.objective == first.objective for r in results)
            med = statistics.median
            lines.append(
                f"| {size:,} | {size // 2:,} | {first.requests:,} | {first.candidates:,} "
                f"| {med(r.build for r in results):.2f} | {med(r.flow for r in results):.2f} "
                f"| {med(r.solve for r in results):.2f} | {med(r.seconds for r in results):.2f} "
                f"| {med(r.cpu for r in results):.2f} "
                f"| {med(r.peak_mb for r in results):,.0f} | {first.matched:,} "
                f"| {first.objective:,.1f} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
    return lines


def main(argv: list[str]) -> None:
    """Print the benchmark table for the sizes given (default 2,000 / 10,000 / 30,000)."""
    sizes = tuple(int(a) for a in argv) or SIZES
    print("\n".join(bench(sizes)))


if __name__ == "__main__":
    main(sys.argv[1:])
