"""Small-cell suppression for everyone but admins.

A count below the threshold (``Settings.report_min_count``, 5) is shown as the string
``"<5"`` (*primary* suppression). A figure that would let a reader work a suppressed count
back out is shown as ``null`` (*secondary* suppression): the other part of a split total, a
percentage over a suppressed count, percentiles of fewer people than the threshold, and a
column total when exactly one row of that column is withheld. Admins see exact numbers.
"""

from __future__ import annotations

from collections.abc import Iterable

#: A reported count: exact, ``"<5"``, or ``None`` when withheld to protect another cell.
Count = int | str | None


def small(count: int, threshold: int) -> bool:
    """True when ``count`` must not be shown exactly: below the threshold, zero included."""
    return count < threshold


def mask(count: int, threshold: int) -> int | str:
    """``count``, or ``"<threshold"`` when it is small."""
    return f"<{threshold}" if small(count, threshold) else count


def column_total_hidden(values: Iterable[int], threshold: int) -> bool:
    """True when a column total would reveal its one suppressed row by subtraction."""
    return sum(1 for value in values if small(value, threshold)) == 1
