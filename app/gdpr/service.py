"""GDPR: export a newcomer's data, remove the traces erasure must take, purge past retention.

Erasure is a hard delete of the newcomer's row (``DELETE /newcomers/{id}``): the database
cascades to their matches and to the runs' unmatched-request rows, runs keep only their
anonymous counts, and the audit log never held personal data. What the cascade cannot reach
is the replay copy of create answers kept for ``Idempotency-Key``; :func:`erase_traces`
removes those and must run in the same transaction as the delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy.orm import Session

from app import audit
from app.auth import SYSTEM, Principal
from app.db import utcnow
from app.gdpr import repository
from app.gdpr.schemas import AuditEntry, NewcomerExport
from app.models import IdempotencyRecord, Match, Mentor, Newcomer, RunUnmatched


def export_newcomer(session: Session, principal: Principal, newcomer: Newcomer) -> NewcomerExport:
    """Every stored field of ``newcomer``, their matches, unmatched records and audit trail.

    The export is itself audited (action ``export``), after the trail is read.
    """
    matches = repository.matches_of(session, newcomer.id)
    events = repository.audit_about(session, newcomer.id, [m.id for m in matches])
    document = NewcomerExport(
        exported_at=utcnow(),
        newcomer=repository.columns_of(newcomer),
        matches=[repository.columns_of(m) for m in matches],
        unmatched=[
            {k: v for k, v in repository.columns_of(u).items() if k != "newcomer_id"}
            for u in repository.unmatched_of(session, newcomer.id)
        ],
        audit=[
            AuditEntry(at=e.at, action=e.action, resource=e.resource, record_id=e.record_id)
            for e in events
        ],
    )
    audit.record(session, principal, "export", "newcomer", newcomer.id)
    return document


def _mentions(body: Any, key: str, ids: frozenset[int]) -> bool:
    """True when a stored JSON answer names one of ``ids`` under ``key`` (``newcomer_id``)."""
    if isinstance(body, dict):
        if body.get(key) in ids:
            return True
        nested = body.get(key.removesuffix("_id"))
        if isinstance(nested, dict) and nested.get("id") in ids:
            return True
        return any(_mentions(value, key, ids) for value in body.values())
    if isinstance(body, list):
        return any(_mentions(item, key, ids) for item in body)
    return False


def _copies(session: Session, collection: str, key: str, ids: Iterable[int]) -> list[int]:
    """Ids of stored create answers that are, or mention, one of these records."""
    wanted = frozenset(ids)
    if not wanted:
        return []
    found = []
    for record in repository.idempotency_records(session):
        body = record.response_body
        own = record.path.rstrip("/").endswith(f"/{collection}") and isinstance(body, dict)
        if (own and body.get("id") in wanted) or _mentions(body, key, wanted):
            found.append(record.id)
    return found


def erase_traces(
    session: Session, newcomer_ids: Iterable[int], mentor_ids: Iterable[int] = ()
) -> int:
    """Delete the stored create answers holding a copy of these people's data.

    The ``Idempotency-Key`` replay store keeps a create's answer (the record, with the name)
    for a day; no foreign key leads there, so erasure must call this in the transaction that
    deletes the people. Returns how many answers were deleted.
    """
    doomed = set(_copies(session, "newcomers", "newcomer_id", newcomer_ids))
    doomed.update(_copies(session, "mentors", "mentor_id", mentor_ids))
    return repository.delete_ids(session, IdempotencyRecord, doomed)


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """What a purge deleted (or would delete, in a dry run)."""

    matches: int
    newcomers: int
    mentors: int
    unmatched: int
    idempotency: int

    def lines(self) -> list[str]:
        """One ``name: count`` line per kind of record."""
        return [
            f"matches: {self.matches}",
            f"newcomers: {self.newcomers}",
            f"mentors: {self.mentors}",
            f"unmatched_records: {self.unmatched}",
            f"idempotency_records: {self.idempotency}",
        ]


def cutoff_of(day: date) -> datetime:
    """The first instant of ``day`` in UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def purge(session: Session, ended_before: date) -> PurgeCounts:
    """Delete what is past retention at ``ended_before`` (the caller commits, once).

    - matches ended, rejected or superseded before the date (a purged rejection no longer
      forbids the pair);
    - inactive newcomers and inactive mentors, unchanged since before the date, whose every
      match closed before it (or who have none); with them go their remaining matches, their
      unmatched-request rows and their idempotency copies;
    - unmatched-request rows of runs started before the date, except the latest applied run's
      (the shortages report reads it);
    - idempotency answers stored before the date.

    Kept: open matches, active people, runs (anonymous counts), the audit log (no personal
    data).
    """
    cutoff = cutoff_of(ended_before)
    newcomers = repository.retired_newcomer_ids(session, cutoff)
    mentors = repository.retired_mentor_ids(session, cutoff)
    matches = repository.delete_ids(session, Match, repository.closed_match_ids(session, cutoff))
    keep_run = repository.latest_applied_run_id(session)
    unmatched = repository.delete_ids(
        session, RunUnmatched, repository.old_unmatched_ids(session, cutoff, keep_run)
    )
    idempotency = repository.delete_ids(
        session, IdempotencyRecord, repository.old_idempotency_ids(session, cutoff)
    )
    idempotency += erase_traces(session, newcomers, mentors)
    for newcomer_id in newcomers:
        audit.record(session, SYSTEM, "purge", "newcomer", newcomer_id)
    for mentor_id in mentors:
        audit.record(session, SYSTEM, "purge", "mentor", mentor_id)
    erased_newcomers = repository.delete_ids(session, Newcomer, newcomers)
    erased_mentors = repository.delete_ids(session, Mentor, mentors)
    return PurgeCounts(
        matches=matches,
        newcomers=erased_newcomers,
        mentors=erased_mentors,
        unmatched=unmatched,
        idempotency=idempotency,
    )


def run_purge(database_url: str, ended_before: date, *, dry_run: bool = False) -> PurgeCounts:
    """:func:`purge` in one transaction of its own (rolled back when ``dry_run``)."""
    from app.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            counts = purge(session, ended_before)
            if dry_run:
                session.rollback()
            else:
                session.commit()
            return counts
    finally:
        engine.dispose()
