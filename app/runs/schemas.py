"""Request and response bodies of ``/api/v1/match-runs``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


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
    group: dict[str, int] | None = Field(
        default=None,
        validation_alias="group_shortfall",
        description="For `group_size`: `waiting` (the most participants a candidate trainer "
        "could have had) and the programme's `group_min`",
    )


class RunGroupRead(BaseModel):
    """A trainer's group in the run's solution: its size, and the participants the caller
    may see (a coordinator: those of its municipalities)."""

    programme: str
    mentor_id: int
    size: int
    newcomer_ids: list[int]


class MatchRunSummary(BaseModel):
    """A run without its unmatched list (the list view).

    ``queued`` → ``running`` (``phase``: read, solve, write) → ``succeeded`` | ``failed``.
    ``details_pruned``: a dry run older than the latest few; its unmatched list is gone, its
    counts stay in ``stats``.
    """

    model_config = ConfigDict(from_attributes=True)

    id: int
    status: Literal["queued", "running", "succeeded", "failed"]
    phase: Literal["read", "solve", "write"] | None
    dry_run: bool
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    stats: dict[str, Any]
    error: str | None
    details_pruned: bool


class MatchRunRead(MatchRunSummary):
    """A run with the unmatched requests the caller may see."""

    unmatched: list[RunUnmatchedRead]
    groups: list[RunGroupRead] = Field(
        default_factory=list,
        description="The trainers' groups of the solution (group programmes), by programme and "
        "trainer; a coordinator sees the groups with a participant of theirs",
    )
