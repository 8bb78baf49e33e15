"""The service's one clock: every "now" and "today" of the service is read here, in UTC.

``MAKKER_CLOCK_OFFSET_DAYS`` (whole days, 0 to 3650; default 0) moves this clock ahead in a
process started with it: for trials and end-to-end tests that need a month to pass ("the
follow-up is due 30 days after acceptance") in a running ``makker serve`` or ``makker send``.
Only forwards, so times a process writes never precede the real present; a process with an
offset logs it when the app starts (:func:`offset_days`). Never set it in production: every
timestamp that process writes is moved too.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

OFFSET_VARIABLE = "MAKKER_CLOCK_OFFSET_DAYS"
MAX_OFFSET_DAYS = 3650


def _offset_from_environment() -> timedelta:
    raw = os.environ.get(OFFSET_VARIABLE, "").strip()
    if not raw:
        return timedelta(0)
    try:
        days = int(raw)
    except ValueError:
        raise ValueError(f"{OFFSET_VARIABLE} must be a whole number of days, not {raw!r}") from None
    if not 0 <= days <= MAX_OFFSET_DAYS:
        raise ValueError(f"{OFFSET_VARIABLE} must be between 0 and {MAX_OFFSET_DAYS} days")
    return timedelta(days=days)


_OFFSET = _offset_from_environment()


def offset_days() -> int:
    """How many days this process's clock runs ahead (0 unless ``MAKKER_CLOCK_OFFSET_DAYS``)."""
    return _OFFSET.days


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (moved by ``MAKKER_CLOCK_OFFSET_DAYS``)."""
    return datetime.now(UTC) + _OFFSET


def today() -> date:
    """Today's date in UTC."""
    return utcnow().date()
