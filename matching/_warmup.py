"""Compile the kernels once, at set-up: ``python -m matching._warmup``.

numba caches compiled code on disk (see :mod:`matching._jit`); the first solve after an
install would otherwise spend several seconds compiling, inside whatever command or request
came first. A tiny problem reaches every kernel: the candidate pass and the flow (``solve``),
one request against every mentor (``suggest``) and one pair (``check_pair``); a household
and a group request come along.
"""

from __future__ import annotations

import time

from matching.candidates import check_pair, suggest
from matching.io import problem_from_dict
from matching.solve import solve

_PROBLEM = {
    "mentors": [
        {"id": "m1", "languages": ["da", "ar"], "municipality": "101", "capacity": 1,
         "programmes": ["mentor", "homework_help"], "interests": ["football"], "age": 40,
         "gender": "female", "child_certificate": True},
        {"id": "m2", "languages": ["da", "ti"], "municipality": "751", "lat": 56.15,
         "lon": 10.2, "capacity": 2, "programmes": ["mentor"], "accepts_genders": ["female"]},
    ],
    "newcomers": [
        {"id": "n1", "languages": ["ar"], "municipality": "101", "programmes": ["mentor"],
         "age": 30, "gender": "female", "interests": ["football"], "waiting_days": 10},
        {"id": "n2", "languages": ["ti", "da"], "municipality": "751", "lat": 56.1,
         "lon": 10.1, "programmes": ["mentor", "homework_help"], "age": 12},
        {"id": "n3", "languages": ["ar"], "municipality": "101",
         "programmes": ["network_family", "mindspring"], "age": 35},
        {"id": "n4", "languages": ["ar"], "municipality": "101", "programmes": [], "age": 6},
    ],
    "households": [{"id": "h1", "members": ["n3", "n4"]}],
    "previous": [{"newcomer": "n1", "mentor": "m1", "programme": "mentor"}],
}  # fmt: skip


def main() -> None:
    """Solve, suggest and check one pair of a tiny problem; print how long it took."""
    started = time.perf_counter()
    problem = problem_from_dict(_PROBLEM)
    solve(problem)
    suggest(problem, "n2", "mentor")
    check_pair(problem, "n2", "m1", "homework_help")
    print(f"matching: kernels compiled or loaded in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
