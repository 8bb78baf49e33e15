"""Errors of the matching library; they know nothing of HTTP or exit codes."""

from __future__ import annotations


class MatchingError(Exception):
    """Base of every error raised by :mod:`matching`."""


class ProblemError(MatchingError, ValueError):
    """The problem is invalid; ``record`` and ``field`` name where (e.g. ``mentors[3]``, ``capacity``)."""

    def __init__(self, message: str, *, record: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.record = record
        self.field = field
