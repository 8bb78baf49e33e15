"""Request and response bodies of ``/api/v1/match-runs``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


class MatchRunCreate(BaseModel):
    """Start a run; a dry run computes and reports without writing proposals."""

    model_config = ConfigDict(extra="forbid", strict=True)

    dry_run: bool = False


class RunUnmatchedRead(BaseModel):
    """A request the run left unmatched, the rule that removed its last mentor, and counts."""

    model_config = ConfigDict(from_attributes=True)

    newcomer_id: int
    programme: str
    municipality: str
    language: str
    reason: str
    passed: dict[str, int]


class MatchRunSummary(BaseModel):
    """A run without its unmatched list (the list view)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: Literal["running", "succeeded", "failed"]
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None
    stats: dict[str, Any]
    error: str | None


class MatchRunRead(MatchRunSummary):
    """A run with the unmatched requests the caller may see."""

    unmatched: list[RunUnmatchedRead]
