"""The retention report: of the accepted matches, the share still active at 3 and 6 months,
and the reasons matches ended, by programme and municipality, with today's small-count
suppression (:mod:`app.reports.suppression`) for everyone but admins.

A match *reached* a mark (91 days for 3 months, 182 for 6) when it was accepted that long
before the report's day; it was *active* at the mark unless it ended before it. An ended
match's reason is free text: for non-admins a reason given fewer times than the threshold is
folded into one ``reason: null`` row, so that no rare (possibly personal) text is shown.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.auth import Principal
from app.models import Match, MatchStatus, Newcomer
from app.reports.service import scope_of
from app.reports.suppression import Count, mask, small

#: The marks, in days after acceptance.
MARKS = {"3m": 91, "6m": 182}


class RetentionRow(BaseModel):
    """One programme in one municipality."""

    municipality: str
    programme: str
    accepted: Count = Field(description="Matches ever accepted")
    reached_3m: Count
    active_3m: Count
    active_3m_pct: float | None
    reached_6m: Count
    active_6m: Count
    active_6m_pct: float | None


class EndReason(BaseModel):
    """How often matches ended for one reason (``null``: rare reasons, folded together)."""

    municipality: str
    programme: str
    reason: str | None
    count: Count


class Retention(BaseModel):
    """The retention report on ``on``."""

    on: date
    exact: bool
    min_count: int
    rows: list[RetentionRow]
    end_reasons: list[EndReason]


@dataclass(slots=True)
class _Cell:
    accepted: int = 0
    reached_3m: int = 0
    active_3m: int = 0
    reached_6m: int = 0
    active_6m: int = 0


def _share(active: int, reached: int, exact: bool, threshold: int) -> float | None:
    if not reached:
        return None
    if not exact and (small(active, threshold) or small(reached - active, threshold)):
        return None  # the share would give the small count away
    return round(100.0 * active / reached, 1)


def retention(
    session: Session,
    principal: Principal,
    *,
    on: date,
    threshold: int,
    municipality: str | None = None,
    programme: str | None = None,
) -> Retention:
    """The retention report in the caller's scope on the day ``on``."""
    scope = scope_of(principal, municipality)
    exact = principal.is_admin
    query = (
        select(Newcomer.municipality, Match.programme, Match.status, Match.decided_at)
        .add_columns(Match.ended_at, Match.reason)
        .join(Newcomer, Newcomer.id == Match.newcomer_id)
        .where(
            Match.status.in_((MatchStatus.ACCEPTED, MatchStatus.ENDED)),
            Match.decided_at.is_not(None),
        )
    )
    if scope is not None:
        query = query.where(Newcomer.municipality.in_(scope))
    if programme is not None:
        query = query.where(Match.programme == programme)
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    reasons: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for muni, prog, status, decided_at, ended_at, reason in session.execute(query):
        accepted_on = decided_at.date()
        if accepted_on > on:
            continue
        cell = cells[(muni, prog)]
        cell.accepted += 1
        ended_on = ended_at.date() if status == MatchStatus.ENDED and ended_at else None
        for mark, days in MARKS.items():
            point = accepted_on + timedelta(days=days)
            if point > on:
                continue
            setattr(cell, f"reached_{mark}", getattr(cell, f"reached_{mark}") + 1)
            if ended_on is None or ended_on >= point:
                setattr(cell, f"active_{mark}", getattr(cell, f"active_{mark}") + 1)
        if ended_on is not None and ended_on <= on:
            reasons[(muni, prog)][(reason or "").strip()] += 1

    def shown(count: int) -> Count:
        return count if exact else mask(count, threshold)

    rows = [
        RetentionRow(
            municipality=muni,
            programme=prog,
            accepted=shown(c.accepted),
            reached_3m=shown(c.reached_3m),
            active_3m=shown(c.active_3m),
            active_3m_pct=_share(c.active_3m, c.reached_3m, exact, threshold),
            reached_6m=shown(c.reached_6m),
            active_6m=shown(c.active_6m),
            active_6m_pct=_share(c.active_6m, c.reached_6m, exact, threshold),
        )
        for (muni, prog), c in sorted(cells.items())
    ]
    end_reasons: list[EndReason] = []
    for (muni, prog), counter in sorted(reasons.items()):
        rare = 0
        for reason, count in sorted(counter.items(), key=lambda item: (-item[1], item[0])):
            if exact or not small(count, threshold):
                end_reasons.append(
                    EndReason(municipality=muni, programme=prog, reason=reason, count=count)
                )
            else:
                rare += count
        if rare:
            end_reasons.append(
                EndReason(municipality=muni, programme=prog, reason=None, count=shown(rare))
            )
    return Retention(on=on, exact=exact, min_count=threshold, rows=rows, end_reasons=end_reasons)
