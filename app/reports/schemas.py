"""Report answers. A count is an integer, ``"<5"`` (suppressed) or ``null`` (withheld)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

Count = int | str | None
"""Exact for admins; for others ``"<5"`` below the threshold, ``null`` when it would reveal
another suppressed cell."""


class SummaryRow(BaseModel):
    """Requests of one municipality and programme (or all of them, in ``total``)."""

    municipality: str | None = Field(description="Kommunekode; null in the total")
    programme: str | None = Field(description="Programme code; null in the total")
    requests: Count = Field(description="Open and matched requests of active newcomers")
    waiting: Count = Field(description="Requests without an accepted match")
    proposed: Count = Field(description="Waiting requests with a proposal to decide")
    matched: Count = Field(description="Requests with an accepted match")
    coverage_pct: float | None = Field(description="matched / requests * 100")
    median_waiting_days: float | None = Field(description="Median days waited so far")
    p90_waiting_days: float | None = Field(description="90th percentile of days waited so far")


class Summary(BaseModel):
    """``GET /reports/summary``."""

    generated_at: datetime
    exact: bool = Field(description="False when small counts are suppressed (non-admin keys)")
    min_count: int = Field(description="Counts below this are shown as '<min_count'")
    rows: list[SummaryRow]
    total: SummaryRow


class RunRef(BaseModel):
    """The run a shortages report is drawn from."""

    id: int
    dry_run: bool
    started_at: datetime
    finished_at: datetime | None


class GroupShortage(BaseModel):
    """What the unmatched requests of a row in a group programme lack: participants or a
    trainer ("Tigrinya near Aarhus: 4 waiting, a group needs 6, no trainer within reach")."""

    group_min: int = Field(description="The programme's group_min: a group runs with no fewer")
    waiting: Count = Field(
        description="For `group_size`: the most participants one candidate trainer of these "
        "requests could have had (accepted ones included); null for other reasons"
    )
    trainers_in_reach: int = Field(
        description="The most trainers any one of these requests had within reach: in the "
        "programme, speaking the language, within the distance (rules 1-3); 0: none"
    )


class ShortageRow(BaseModel):
    """Unmatched requests sharing a municipality, first language, programme and reason."""

    municipality: str
    language: str = Field(description="The newcomers' first language (ISO 639)")
    programme: str
    reason: str = Field(description="The rule that removed the last mentor (MATCHING.md)")
    count: Count
    group: GroupShortage | None = Field(
        default=None, description="Set for group programmes (`unit: group`), else null"
    )


class Shortages(BaseModel):
    """``GET /reports/shortages``."""

    run: RunRef | None = Field(description="Null when no run has succeeded yet")
    exact: bool
    min_count: int
    items: list[ShortageRow]
    total: Count
