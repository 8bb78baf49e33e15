"""The same input gives the same bytes; the input order does not matter."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from matching import Solution, problem_from_dict, problem_to_dict, solution_to_json, solve
from tests.benchmarks.generator import generate


def without_time(solution: Solution) -> str:
    """The Solution JSON with the wall-clock ``seconds`` (never reproducible) zeroed."""
    return solution_to_json(replace(solution, stats=replace(solution.stats, seconds=0.0)))


def test_same_input_gives_byte_identical_output() -> None:
    problem = generate(400, seed=3)
    first, second = without_time(solve(problem)), without_time(solve(problem))
    assert first == second
    assert json.loads(first)["stats"]["matched"] > 100


def test_shuffled_input_gives_the_same_objective_and_matches() -> None:
    problem = generate(400, seed=4)
    rnd = random.Random(1)
    mentors, newcomers = list(problem.mentors), list(problem.newcomers)
    rnd.shuffle(mentors)
    rnd.shuffle(newcomers)
    shuffled = replace(problem, mentors=tuple(mentors), newcomers=tuple(newcomers))
    a, b = solve(problem), solve(shuffled)
    assert a.stats.objective == b.stats.objective
    assert without_time(a) == without_time(b)


def test_problem_json_round_trip() -> None:
    problem = generate(50, seed=5)
    assert problem_from_dict(json.loads(json.dumps(problem_to_dict(problem)))) == problem
