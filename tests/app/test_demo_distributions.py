"""The demo's people are drawn exactly as the benchmark generator draws them."""

from __future__ import annotations

from app.demo.people import sample_people
from tests.benchmarks.generator import generate


def test_people_follow_the_benchmark_generator_exactly() -> None:
    for newcomers, mentors, seed in ((50, 30, 0), (200, 80, 7)):
        people, volunteers = sample_people(newcomers, mentors, seed)
        problem = generate(newcomers, seed, mentors=mentors)
        assert people == problem.newcomers
        assert volunteers == problem.mentors
