"""Benchmark of the whole ``makker solve`` path: write a problem file, solve it, write JSON.

Run: ``.venv/bin/python -m tests.benchmarks.bench_solve [--old DIR] [--runs N] [CASE ...]``
or ``make bench``. Cases (default: all but ``own-100k``):

- ``generator-2k`` and ``generator-30k``: the project's seeded Danish-like instance
  (tests/benchmarks/generator.py; 30 % of people give their own coordinates, the rest
  their municipality's), half as many mentors as newcomers;
- ``own-30k``: the same people, every one giving their own coordinates;
- ``city-10k``: 10,000 newcomers and 5,000 mentors all inside Copenhagen, own coordinates
  (nearly everyone within everyone's limit: the densest candidate graph);
- ``own-100k``: 100,000 x 50,000, every one giving their own coordinates.

Columns: the phases from the command's summary line (read: parse and check the JSON; build:
validation, arrays, and the one compiled pass that applies the rules, counts the reasons and
scores every candidate pair; flow: the exact min-cost flow; finish: the matches' scores and
the unmatched requests' reasons; write: the JSON output), then the wall time of the whole
``makker solve`` process (interpreter start and imports included), its user + system CPU
time, and its peak memory (maximum resident set size). Figures are medians of ``--runs``
(default 3) fresh processes. With ``--old DIR`` (a checkout of an earlier commit, e.g.
``git worktree add /tmp/old HEAD~5`` or ``git archive``), each case is also solved by that
code in the same run, and the table shows old / new side by side with the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from matching import Problem, problem_to_dict
from tests.benchmarks.generator import dense_city, generate

RUNS = 3
_FIELDS = re.compile(r"(read|build|flow|finish|write|total) ([0-9.]+) s")
PHASES = ("read", "build", "flow", "finish", "write")


def _generator(size: int, share: float) -> Callable[[], Problem]:
    return lambda: generate(size, seed=size, own_point_share=share)


#: name -> (newcomers, builder)
CASES: dict[str, tuple[int, Callable[[], Problem]]] = {
    "generator-2k": (2_000, _generator(2_000, 0.3)),
    "generator-30k": (30_000, _generator(30_000, 0.3)),
    "own-30k": (30_000, _generator(30_000, 1.0)),
    "city-10k": (10_000, lambda: dense_city(10_000, seed=10_000)),
    "own-100k": (100_000, _generator(100_000, 1.0)),
}
DEFAULT = ("generator-2k", "generator-30k", "own-30k", "city-10k")


@dataclass(frozen=True)
class Run:
    """One ``makker solve`` process."""

    seconds: float
    cpu: float
    phases: dict[str, float]
    peak_mb: float
    candidates: int
    matched: int
    requests: int
    objective: float


def command(old: Path | None) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run ``makker solve`` (of checkout ``old`` if given)."""
    code = "import sys; from matching.io import run_solve; sys.exit(run_solve(*sys.argv[1:]))"
    env = dict(os.environ)
    if old is not None:
        env["PYTHONPATH"] = str(old)
        return [sys.executable, "-c", code], env
    makker = Path(sys.executable).with_name("makker")
    if makker.exists():
        return [str(makker), "solve"], env
    return [sys.executable, "-c", code], env


def run_once(problem: Path, output: Path, old: Path | None = None) -> Run:
    """Solve ``problem`` in a child process and measure it."""
    argv, env = command(old)
    args = [str(problem), "--output", str(output)] if argv[-1] == "solve" else [str(problem)]
    if argv[-1] != "solve":
        args.append(str(output))
    started = time.perf_counter()
    child = subprocess.Popen(
        [*argv, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env
    )
    assert child.stderr is not None
    summary = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"makker solve failed: {summary}")
    fields = dict(_FIELDS.findall(summary))
    stats = json.loads(output.read_text(encoding="utf-8"))["stats"]
    return Run(
        seconds=elapsed,
        cpu=usage.ru_utime + usage.ru_stime,
        phases={k: float(fields[k]) for k in PHASES},
        peak_mb=usage.ru_maxrss / 1024,
        candidates=stats["candidates"],
        matched=stats["matched"],
        requests=stats["requests"],
        objective=stats["objective"],
    )


def _median(runs: list[Run], key: Callable[[Run], float]) -> float:
    return statistics.median(key(r) for r in runs)


def _cells(runs: list[Run]) -> list[float]:
    return [
        *(_median(runs, lambda r, k=k: r.phases[k]) for k in PHASES),  # type: ignore[misc]
        _median(runs, lambda r: r.seconds),
        _median(runs, lambda r: r.cpu),
        _median(runs, lambda r: r.peak_mb),
    ]


def bench(cases: tuple[str, ...] = DEFAULT, runs: int = RUNS, old: Path | None = None) -> list[str]:
    """Run the benchmark and return the table's lines (Markdown)."""
    names = [*PHASES, "process", "CPU", "peak MB"]
    lines = [
        "| case | newcomers | mentors | requests | candidates | "
        + " | ".join(f"{n} s" if n not in ("peak MB",) else n for n in names)
        + " | matched | objective |",
        "| --- | " + " | ".join("---:" for _ in range(len(names) + 6)) + " |",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name in cases:
            size, build = CASES[name]
            problem = Path(tmp) / f"{name}.json"
            problem.write_text(json.dumps(problem_to_dict(build())))
            out = Path(tmp) / f"{name}.solution.json"
            new_runs, old_runs = [], []
            for _ in range(runs):  # interleaved, so both see the same machine load
                new_runs.append(run_once(problem, out))
                if old is not None:
                    old_runs.append(run_once(problem, out, old))
            first = new_runs[0]
            assert all(r.matched == first.matched for r in new_runs + old_runs)
            new = _cells(new_runs)
            if old is None:
                shown = [
                    f"{x:,.0f}" if i == len(new) - 1 else f"{x:.2f}" for i, x in enumerate(new)
                ]
            else:
                prior = _cells(old_runs)
                shown = [
                    (f"{o:,.0f} / {x:,.0f}" if i == len(new) - 1 else f"{o:.2f} / {x:.2f}")
                    + (f" ({o / x:.1f}x)" if x > 0 else "")
                    for i, (o, x) in enumerate(zip(prior, new, strict=True))
                ]
            lines.append(
                f"| {name} | {size:,} | {size // 2:,} | {first.requests:,} "
                f"| {first.candidates:,} | "
                + " | ".join(shown)
                + f" | {first.matched:,} | {first.objective:,.1f} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
    return lines


def main(argv: list[str]) -> None:
    """Print the benchmark table (see the module docstring for the arguments)."""
    parser = argparse.ArgumentParser(prog="bench_solve")
    parser.add_argument("cases", nargs="*", help=f"any of {', '.join(CASES)}")
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--old", type=Path, default=None, help="checkout of an earlier commit")
    args = parser.parse_args(argv)
    unknown = [c for c in args.cases if c not in CASES]
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; choose from {', '.join(CASES)}")
    print("\n".join(bench(tuple(args.cases) or DEFAULT, args.runs, args.old)))


if __name__ == "__main__":
    main(sys.argv[1:])
