"""Errors of the matching library; they know nothing of HTTP or exit codes."""

from __future__ import annotations


class MatchingError(Exception):
    """Base of every error raised by :mod:`matching`."""


class ProblemError(MatchingError, ValueError):
    """The problem is invalid; ``record`` and ``field`` name where.

    ``record`` reads like ``mentor "m7"``, ``newcomers[3]``, ``policy`` or ``file``; ``field``
    is the key in the file contract (``capacity``, ``languages[1]`` …) or ``None`` for a whole
    record. ``str(error)`` starts with both, so a one-line message is complete on its own;
    ``message`` is the bare reason.
    """

    def __init__(
        self, message: str, *, record: str | None = None, field: str | None = None
    ) -> None:
        where = ", ".join(
            part
            for part in (record, None if field is None else f"field {field!r}")
            if part is not None
        )
        super().__init__(f"{where}: {message}" if where else message)
        self.message = message
        self.record = record
        self.field = field
