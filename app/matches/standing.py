"""Where each stored match stands for a run: the one classification of match rows.

Both the run's read (:func:`app.matches.mapping.load_problem`) and its write
(:mod:`app.jobs.rematch`) sort the stored matches the same way:

- ``fixed``: accepted matches. They use up a mentor's place, close their request, and their
  pair is never proposed again.
- ``previous``: pending solver proposals. A run may keep them (the keep bonus), rescore them,
  or supersede them.
- ``manual``: pending manual proposals (a coordinator's). A run never keeps, rescores or
  supersedes them; each closes its request and blocks its pair while it is pending.
- ``forbidden``: rejected and ended matches. Their pair is not proposed again; an ended match
  does not close its request.

Superseded matches are history: they shape nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Match, MatchSource, MatchStatus

PROPOSED, ACCEPTED = MatchStatus.PROPOSED, MatchStatus.ACCEPTED
REJECTED, ENDED = MatchStatus.REJECTED, MatchStatus.ENDED
MANUAL = MatchSource.MANUAL
#: The statuses that shape a run; the others (superseded) are history.
SHAPING = (ACCEPTED, PROPOSED, REJECTED, ENDED)


class Role(StrEnum):
    """What a stored match means to a run."""

    FIXED = "fixed"
    PREVIOUS = "previous"
    MANUAL = "manual"
    FORBIDDEN = "forbidden"


def role_of(status: str, source: str) -> Role | None:
    """The role of a match with this status and source (``None``: it shapes nothing)."""
    if status == ACCEPTED:
        return Role.FIXED
    if status == PROPOSED:
        return Role.MANUAL if source == MANUAL else Role.PREVIOUS
    if status in (REJECTED, ENDED):
        return Role.FORBIDDEN
    return None


@dataclass(frozen=True, slots=True)
class StoredMatch:
    """The columns of a match row a run reads."""

    id: int
    newcomer_id: int
    mentor_id: int
    programme: str
    score: float | None

    @property
    def request(self) -> tuple[int, str]:
        """(newcomer, programme)."""
        return (self.newcomer_id, self.programme)

    @property
    def pair(self) -> tuple[int, int]:
        """(newcomer, mentor)."""
        return (self.newcomer_id, self.mentor_id)


@dataclass(frozen=True, slots=True)
class Standing:
    """The stored matches that shape a run, by role, each list ordered by id."""

    fixed: Sequence[StoredMatch] = ()
    previous: Sequence[StoredMatch] = ()
    manual: Sequence[StoredMatch] = ()
    forbidden: Sequence[StoredMatch] = ()

    def closed_requests(self) -> set[tuple[int, str]]:
        """Requests a run must not propose for: accepted, or proposed by hand."""
        return {m.request for group in (self.fixed, self.manual) for m in group}

    def blocked_pairs(self) -> set[tuple[int, int]]:
        """Pairs a run must not propose: accepted, proposed by hand, rejected or ended."""
        return {m.pair for group in (self.fixed, self.manual, self.forbidden) for m in group}


def classify(rows: Iterable[Any]) -> Standing:
    """Sort rows of (``id``, ``newcomer_id``, ``mentor_id``, ``programme``, ``status``,
    ``source``, ``score``), in that order, into a :class:`Standing`, keeping their order."""
    groups: dict[Role, list[StoredMatch]] = {role: [] for role in Role}
    # The role of each (status, source) seen, found once (:func:`role_of`): a run reads tens
    # of thousands of rows, and the tuple unpacking costs less than the rows' attributes.
    roles: dict[tuple[str, str], list[StoredMatch] | None] = {}
    for match_id, newcomer_id, mentor_id, programme, status, source, score in rows:
        key = (status, source)
        if key not in roles:
            role = role_of(status, source)
            roles[key] = None if role is None else groups[role]
        found = roles[key]
        if found is not None:
            found.append(StoredMatch(match_id, newcomer_id, mentor_id, programme, score))
    return Standing(
        fixed=tuple(groups[Role.FIXED]),
        previous=tuple(groups[Role.PREVIOUS]),
        manual=tuple(groups[Role.MANUAL]),
        forbidden=tuple(groups[Role.FORBIDDEN]),
    )


def read_standing(session: Session) -> Standing:
    """Read and classify every match that shapes a run, in id order."""
    rows = session.execute(
        select(
            Match.id,
            Match.newcomer_id,
            Match.mentor_id,
            Match.programme,
            Match.status,
            Match.source,
            Match.score,
        )
        .where(Match.status.in_(SHAPING))
        .order_by(Match.id)
    ).all()
    return classify(rows)
