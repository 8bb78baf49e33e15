"""The same input gives the same bytes; the input order does not matter."""

from __future__ import annotations

import json
import random
from dataclasses import replace

from matching import Solution, problem_from_dict, problem_to_dict, solution_to_json, solve
from tests.benchmarks.generator import generate, with_households


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


def test_households_and_groups_in_any_order_give_the_same_bytes() -> None:
    problem = with_households(1500, seed=6, trainers=15, mindspring_share=0.1)[0]
    rnd = random.Random(2)

    def shuffled(items: tuple[object, ...]) -> tuple[object, ...]:
        out = list(items)
        rnd.shuffle(out)
        return tuple(out)

    other = replace(
        problem,
        mentors=shuffled(problem.mentors),  # type: ignore[arg-type]
        newcomers=shuffled(problem.newcomers),  # type: ignore[arg-type]
        households=shuffled(problem.households),  # type: ignore[arg-type]
        fixed=shuffled(problem.fixed),  # type: ignore[arg-type]
        forbidden=shuffled(problem.forbidden),  # type: ignore[arg-type]
    )
    first = solve(problem)
    assert first.groups and any(m.household for m in first.matches)
    assert without_time(first) == without_time(solve(problem)) == without_time(solve(other))
