"""The benchmark as a deselected test: ``pytest -m benchmark -s tests/benchmarks``.

Besides printing the table, it checks what the table claims: one row per size, every
figure consistent with the others, and the memory target (1.5 GB at 30,000 newcomers) met.
"""

from __future__ import annotations

import pytest

from tests.benchmarks.bench_solve import SIZES, bench

TARGET_PEAK_MB = 1536


def rows_of(lines: list[str]) -> list[dict[str, float]]:
    """The Markdown table's rows, by column header, as numbers."""
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [cell.strip().replace(",", "") for cell in line.strip("|").split("|")]
        rows.append(dict(zip(header, map(float, cells), strict=True)))
    return rows


@pytest.mark.benchmark
def test_benchmark_table() -> None:
    lines = bench()
    print("\n".join(lines))
    rows = rows_of(lines)
    assert [row["newcomers"] for row in rows] == list(SIZES)
    for row in rows:
        assert row["mentors"] == row["newcomers"] // 2
        assert row["requests"] >= row["newcomers"]  # everyone asks for at least one programme
        assert 0 < row["matched"] <= row["requests"]
        assert row["candidate pairs"] >= row["matched"]
        assert row["objective"] > 0
        # Phases are parts of the solve, the solve a part of the process (2-decimal rounding).
        assert row["build s"] + row["flow s"] - 0.01 <= row["in-process s"] <= row["process s"]
        assert row["peak MB"] < TARGET_PEAK_MB, row
