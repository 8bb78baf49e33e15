"""The benchmark as a deselected test: ``pytest -m benchmark -s tests/benchmarks``.

Besides printing the table, it checks what the table claims: one row per size, every
figure consistent with the others, and the memory target (1.5 GB at 30,000 newcomers) met.
"""

from __future__ import annotations

import pytest

from tests.benchmarks.bench_solve import DEFAULT, PHASES, bench

TARGET_PEAK_MB = 1536


def rows_of(lines: list[str]) -> list[dict[str, float | str]]:
    """The Markdown table's rows, by column header: the case by name, the rest as numbers."""
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    rows: list[dict[str, float | str]] = []
    for line in lines[2:]:
        cells = [cell.strip().replace(",", "") for cell in line.strip("|").split("|")]
        rows.append(
            {
                name: cell if name == "case" else float(cell)
                for name, cell in zip(header, cells, strict=True)
            }
        )
    return rows


@pytest.mark.benchmark
def test_benchmark_table() -> None:
    lines = bench()
    print("\n".join(lines))
    rows = rows_of(lines)
    assert [row["case"] for row in rows] == list(DEFAULT)
    for row in rows:
        numbers = {k: v for k, v in row.items() if isinstance(v, float)}
        assert numbers["mentors"] == numbers["newcomers"] // 2
        assert numbers["requests"] >= numbers["newcomers"]  # everyone asks for a programme
        assert 0 < numbers["matched"] <= numbers["requests"]
        assert numbers["candidates"] >= numbers["matched"]
        assert numbers["objective"] > 0
        # The phases are parts of the process (2-decimal rounding).
        phases = sum(numbers[f"{phase} s"] for phase in PHASES)
        assert phases - 0.01 * len(PHASES) <= numbers["process s"], row
        assert numbers["peak MB"] < TARGET_PEAK_MB, row
