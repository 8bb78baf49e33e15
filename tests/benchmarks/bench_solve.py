"""Benchmark of the whole ``makker solve`` path: write a problem file, solve it, write JSON.

Run: ``.venv/bin/python -m tests.benchmarks.bench_solve [--old DIR] [--runs N] [CASE ...]``
or ``make bench``. Cases (default: all but ``own-100k``):

- ``generator-2k`` and ``generator-30k``: the project's seeded Danish-like instance
  (tests/benchmarks/generator.py; 30 % of people give their own coordinates, the rest
  their municipality's), half as many mentors as newcomers;
- ``own-30k``: the same people, every one giving their own coordinates;
- ``city-10k``: 10,000 newcomers and 5,000 mentors all inside Copenhagen, own coordinates
  (nearly everyone within everyone's limit: the densest candidate graph);
- ``own-100k``: 100,000 x 50,000, every one giving their own coordinates;
- ``households-30k``: ``generator-30k``'s people with 40 % of the newcomers in households
  of 2-6, 5 % asking for MindSpring (groups of 6-10) and 300 trainers
  (:func:`tests.benchmarks.generator.with_households`), solved side by side with the same
  instance without households and groups (``households-30k-plain``, every programme
  ``unit: person``); a last line gives the ratio of the two and whether the group stage was
  proven optimal (else its gap). Not in the default set.

Columns: the phases from the command's summary line (read: parse and check the JSON; build:
validation, arrays, and the one compiled pass that applies the rules, counts the reasons and
scores every candidate pair; flow: the exact min-cost flow; groups: the group stage (0 for
code without one); finish: the matches' scores and
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
from tests.benchmarks.generator import dense_city, generate, with_households

RUNS = 3
_FIELDS = re.compile(r"(read|build|flow|groups|finish|write|total) ([0-9.]+) s")
PHASES = ("read", "build", "flow", "groups", "finish", "write")


def _generator(size: int, share: float) -> Callable[[], Problem]:
    return lambda: generate(size, seed=size, own_point_share=share)


#: name -> (newcomers, builder)
CASES: dict[str, tuple[int, Callable[[], Problem]]] = {
    "generator-2k": (2_000, _generator(2_000, 0.3)),
    "generator-30k": (30_000, _generator(30_000, 0.3)),
    "own-30k": (30_000, _generator(30_000, 1.0)),
    "city-10k": (10_000, lambda: dense_city(10_000, seed=10_000)),
    "own-100k": (100_000, _generator(100_000, 1.0)),
    "households-30k": (30_000, lambda: with_households(30_000, seed=30_000)[0]),
    "households-30k-plain": (30_000, lambda: with_households(30_000, seed=30_000)[1]),
}
#: A case solved side by side with its twin (runs interleaved), and the ratio printed.
TWINS = {"households-30k": "households-30k-plain"}
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
    optimal: bool
    gap: float
    groups: int


def command(old: Path | None) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run ``makker solve`` (of checkout ``old`` if given)."""
    code = "import sys; from matching.io import run_solve; sys.exit(run_solve(*sys.argv[1:]))"
    env = dict(os.environ)
    if old is not None:
        env["PYTHONPATH"] = str(old.resolve())
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
    # The old checkout's own directory: ``python -c`` puts the working directory first on the
    # path, so run from this checkout it would import this checkout's ``matching``.
    child = subprocess.Popen(
        [*argv, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=None if old is None else old.resolve(),
    )
    assert child.stderr is not None
    summary = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"makker solve failed: {summary}")
    fields = dict(_FIELDS.findall(summary))
    solution = json.loads(output.read_text(encoding="utf-8"))
    stats = solution["stats"]
    return Run(
        seconds=elapsed,
        cpu=usage.ru_utime + usage.ru_stime,
        phases={k: float(fields.get(k, 0.0)) for k in PHASES},
        peak_mb=usage.ru_maxrss / 1024,
        candidates=stats["candidates"],
        matched=stats["matched"],
        requests=stats["requests"],
        objective=stats["objective"],
        optimal=bool(stats["optimal"]),
        gap=float(stats.get("gap", 0.0)),
        groups=len(solution.get("groups", [])),
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


def _outcome(runs: list[Run]) -> tuple[str, str]:
    """The matched and objective cells of one side: its first run's (proven runs agree)."""
    first = runs[0]
    mark = "" if first.optimal else f" (not proven, gap {first.gap:.2%})"
    return f"{first.matched:,}{mark}", f"{first.objective:,.1f}"


def _row(name: str, size: int, mentors: int, new_runs: list[Run], old_runs: list[Run]) -> str:
    first = new_runs[0]
    proven = [r for r in new_runs + old_runs if r.optimal]
    assert all(r.matched == proven[0].matched for r in proven), "proven optima disagree"
    matched, objective = _outcome(new_runs)
    if old_runs and _outcome(old_runs) != (matched, objective):
        before = _outcome(old_runs)
        matched, objective = f"{before[0]} / {matched}", f"{before[1]} / {objective}"
    new = _cells(new_runs)
    if not old_runs:
        shown = [f"{x:,.0f}" if i == len(new) - 1 else f"{x:.2f}" for i, x in enumerate(new)]
    else:
        prior = _cells(old_runs)
        shown = [
            (f"{o:,.0f} / {x:,.0f}" if i == len(new) - 1 else f"{o:.2f} / {x:.2f}")
            + (f" ({o / x:.1f}x)" if x > 0 else "")
            for i, (o, x) in enumerate(zip(prior, new, strict=True))
        ]
    return (
        f"| {name} | {size:,} | {mentors:,} | {first.requests:,} "
        f"| {first.candidates:,} | " + " | ".join(shown) + f" | {matched} | {objective} |"
    )


def _twin_line(name: str, twin: str, runs: list[Run], twin_runs: list[Run]) -> str:
    """The ratio of a case to its twin, and how its group stage ended."""
    wall = _median(runs, lambda r: r.seconds) / _median(twin_runs, lambda r: r.seconds)
    cpu = _median(runs, lambda r: r.cpu) / _median(twin_runs, lambda r: r.cpu)
    first = runs[0]
    proof = "proven optimal" if first.optimal else f"NOT proven, gap {first.gap:.4%}"
    return (
        f"{name} / {twin}: process {wall:.2f}x, CPU {cpu:.2f}x; "
        f"group stage {proof}, {first.groups:,} groups, "
        f"{_median(runs, lambda r: r.phases['groups']):.2f} s"
    )


def bench(cases: tuple[str, ...] = DEFAULT, runs: int = RUNS, old: Path | None = None) -> list[str]:
    """Run the benchmark and return the table's lines (Markdown), then one line per twin."""
    names = [*PHASES, "process", "CPU", "peak MB"]
    lines = [
        "| case | newcomers | mentors | requests | candidates | "
        + " | ".join(f"{n} s" if n not in ("peak MB",) else n for n in names)
        + " | matched | objective |",
        "| --- | " + " | ".join("---:" for _ in range(len(names) + 6)) + " |",
    ]
    notes: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in cases:
            group = [name, TWINS[name]] if name in TWINS else [name]
            files, results = [], {}
            for case in group:
                size, build = CASES[case]
                problem = build()
                path = Path(tmp) / f"{case}.json"
                path.write_text(json.dumps(problem_to_dict(problem)))
                files.append((case, size, len(problem.mentors), path))
                results[case] = ([], [])
            for _ in range(runs):  # interleaved, so all see the same machine load
                for case, _, _, path in files:
                    out = Path(tmp) / f"{case}.solution.json"
                    results[case][0].append(run_once(path, out))
                    if old is not None:
                        results[case][1].append(run_once(path, out, old))
            for case, size, mentors, _ in files:
                lines.append(_row(case, size, mentors, *results[case]))
                print(lines[-1], file=sys.stderr, flush=True)
            if name in TWINS:
                notes.append(
                    _twin_line(name, TWINS[name], results[name][0], results[TWINS[name]][0])
                )
                print(notes[-1], file=sys.stderr, flush=True)
    return lines + (["", *notes] if notes else [])


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
