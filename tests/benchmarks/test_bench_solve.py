"""The benchmark as a deselected test: ``pytest -m benchmark -s tests/benchmarks``."""

from __future__ import annotations

import pytest

from tests.benchmarks.bench_solve import DEFAULT, bench


@pytest.mark.benchmark
def test_benchmark_table() -> None:
    lines = bench()
    print("\n".join(lines))
    assert len(lines) == 2 + len(DEFAULT)
