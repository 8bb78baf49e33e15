"""Report figures: aggregation, percentiles and small-cell suppression by role."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.auth import Principal
from app.db import utcnow
from app.domain import municipalities as known_municipalities
from app.errors import NotFound, ValidationFailed
from app.matches.mapping import waiting_days
from app.models import MatchStatus
from app.reports import repository
from app.reports.schemas import (
    GroupShortage,
    RunRef,
    ShortageRow,
    Shortages,
    Summary,
    SummaryRow,
)
from app.reports.suppression import column_total_hidden, mask, small


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-quantile (0 to 1) of sorted values, linear between closest ranks."""
    if not sorted_values:
        raise ValueError("no values")
    position = (len(sorted_values) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    fraction = position - low
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * fraction


@dataclass(slots=True)
class _Cell:
    requests: int = 0
    proposed: int = 0
    matched: int = 0
    waits: list[int] = field(default_factory=list)

    @property
    def waiting(self) -> int:
        return self.requests - self.matched


def scope_of(principal: Principal, municipality: str | None) -> list[str] | None:
    """Municipalities a report may cover: None means all (an admin without a filter)."""
    if municipality is not None and municipality not in known_municipalities():
        raise ValidationFailed("municipality", f"unknown municipality code {municipality!r}")
    if principal.is_admin:
        return None if municipality is None else [municipality]
    allowed = list(principal.municipalities)
    if municipality is not None:
        return [municipality] if municipality in allowed else []
    return allowed


def _row(
    cell: _Cell, municipality: str | None, programme: str | None, exact: bool, threshold: int
) -> SummaryRow:
    waits = sorted(cell.waits)
    median = round(percentile(waits, 0.5), 1) if waits else None
    p90 = round(percentile(waits, 0.9), 1) if waits else None
    coverage = round(100.0 * cell.matched / cell.requests, 1) if cell.requests else None
    if exact:
        return SummaryRow(
            municipality=municipality,
            programme=programme,
            requests=cell.requests,
            waiting=cell.waiting,
            proposed=cell.proposed,
            matched=cell.matched,
            coverage_pct=coverage,
            median_waiting_days=median,
            p90_waiting_days=p90,
        )
    waiting_small = small(cell.waiting, threshold)
    matched_small = small(cell.matched, threshold)
    requests_small = small(cell.requests, threshold)
    waiting: int | str | None = mask(cell.waiting, threshold)
    matched: int | str | None = mask(cell.matched, threshold)
    # requests = waiting + matched: with the total shown, one small part gives the other away.
    if not requests_small and waiting_small != matched_small:
        if waiting_small:
            matched = None
        else:
            waiting = None
    hide_shares = waiting_small or matched_small
    return SummaryRow(
        municipality=municipality,
        programme=programme,
        requests=mask(cell.requests, threshold),
        waiting=waiting,
        proposed=mask(cell.proposed, threshold),
        matched=matched,
        coverage_pct=None if hide_shares else coverage,
        median_waiting_days=None if waiting_small else median,
        p90_waiting_days=None if waiting_small else p90,
    )


def summary(
    session: Session,
    principal: Principal,
    *,
    threshold: int,
    municipality: str | None = None,
    programme: str | None = None,
    now: datetime | None = None,
) -> Summary:
    """Requests, coverage and waiting days by municipality and programme, in scope.

    A request is a programme an active newcomer asks for (an offered programme); it is
    *matched* when it has an accepted match, else *waiting* (an ended match reopens it, as for
    the nightly run). Waiting days count from ``registered_at``, as the solver's do.
    """
    now = now or utcnow()
    scope = scope_of(principal, municipality)
    exact = principal.is_admin
    cells: dict[tuple[str, str], _Cell] = defaultdict(_Cell)
    total = _Cell()
    status: dict[tuple[int, str], str] = {}
    for newcomer_id, prog, match_status in repository.open_matches(session, scope):
        # An accepted match wins over a proposal of the same request.
        if status.get((newcomer_id, prog)) != MatchStatus.ACCEPTED:
            status[(newcomer_id, prog)] = match_status
    offered = repository.active_programmes(session)
    for newcomer_id, muni, programmes, registered_at in repository.active_requests(session, scope):
        days = waiting_days(registered_at, now.date())
        for prog in dict.fromkeys(programmes):
            if prog not in offered or (programme is not None and prog != programme):
                continue
            state = status.get((newcomer_id, prog))
            for cell in (cells[(muni, prog)], total):
                cell.requests += 1
                if state == MatchStatus.ACCEPTED:
                    cell.matched += 1
                else:
                    cell.waits.append(days)
                    if state == MatchStatus.PROPOSED:
                        cell.proposed += 1
    rows = [
        _row(cell, muni, prog, exact, threshold) for (muni, prog), cell in sorted(cells.items())
    ]
    total_row = _row(total, None, None, exact, threshold)
    if not exact:
        # A column total minus the rows shown would reveal a lone withheld row.
        for name in ("requests", "waiting", "proposed", "matched"):
            withheld = sum(1 for row in rows if not isinstance(getattr(row, name), int))
            if withheld == 1 and isinstance(getattr(total_row, name), int):
                setattr(total_row, name, None)
                if name in ("waiting", "matched"):
                    total_row.coverage_pct = None
    return Summary(generated_at=now, exact=exact, min_count=threshold, rows=rows, total=total_row)


def shortages(
    session: Session,
    principal: Principal,
    *,
    threshold: int,
    municipality: str | None = None,
    programme: str | None = None,
    run_id: int | None = None,
) -> Shortages:
    """Unmatched requests of the latest applied run (or ``run_id``), grouped, in scope."""
    scope = scope_of(principal, municipality)
    exact = principal.is_admin
    if run_id is None:
        run = repository.latest_applied_run(session)
    else:
        run = repository.run_by_id(session, run_id)
        if run is None or run.status != "succeeded":
            raise NotFound(f"No succeeded run {run_id}")
    if run is None:
        return Shortages(run=None, exact=exact, min_count=threshold, items=[], total=0)
    groups = sorted(
        repository.shortage_groups(session, run.id, scope, programme),
        key=lambda g: (-g[4], g[0], g[1], g[2], g[3]),
    )
    counts = [int(g[4]) for g in groups]
    details = _group_shortages(session, run.id, scope, programme, exact, threshold)
    items = [
        ShortageRow(
            municipality=muni,
            language=language,
            programme=prog,
            reason=reason,
            count=int(count) if exact else mask(int(count), threshold),
            group=details.get((muni, language, prog, reason)),
        )
        for muni, language, prog, reason, count in groups
    ]
    total: int | str | None = sum(counts)
    if not exact:
        if small(sum(counts), threshold):
            total = mask(sum(counts), threshold)
        elif column_total_hidden(counts, threshold):
            total = None
    return Shortages(
        run=RunRef(
            id=run.id, dry_run=run.dry_run, started_at=run.started_at, finished_at=run.finished_at
        ),
        exact=exact,
        min_count=threshold,
        items=items,
        total=total,
    )


def _group_shortages(
    session: Session,
    run_id: int,
    scope: list[str] | None,
    programme: str | None,
    exact: bool,
    threshold: int,
) -> dict[tuple[str, str, str, str], GroupShortage]:
    """Per shortage row of a group programme: its ``group_min``, the most participants one
    candidate trainer could have had (``group_size``; suppressed like a count) and the most
    trainers within reach (``passed["distance"]``: programme, language and distance held)."""
    minimums = repository.group_programmes(session)
    if programme is not None:
        minimums = {code: least for code, least in minimums.items() if code == programme}
    trainers: dict[tuple[str, str, str, str], int] = {}
    waiting: dict[tuple[str, str, str, str], int] = {}
    for muni, language, prog, reason, passed, shortfall in repository.group_shortage_details(
        session, run_id, scope, minimums
    ):
        key = (muni, language, prog, reason)
        trainers[key] = max(trainers.get(key, 0), int((passed or {}).get("distance", 0)))
        if shortfall is not None:
            waiting[key] = max(waiting.get(key, 0), int(shortfall["waiting"]))
    return {
        key: GroupShortage(
            group_min=minimums[key[2]],
            waiting=None
            if key not in waiting
            else (waiting[key] if exact else mask(waiting[key], threshold)),
            trainers_in_reach=reach,
        )
        for key, reach in trainers.items()
    }
