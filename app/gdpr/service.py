"""GDPR: export a newcomer's data, remove the traces erasure must take, purge past retention.

Erasure is a hard delete of the newcomer's row (``DELETE /newcomers/{id}``): the database
cascades to their matches and to the runs' unmatched-request and group-member rows, runs keep
only their anonymous counts, and the audit log never held personal data. An
``Idempotency-Key`` holds only a reference and the request's hash; :func:`erase_traces`
clears the hash in the delete's transaction, and :func:`checkpoint_after_erasure` empties
SQLite's write-ahead log once it has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app import audit
from app.auth import SYSTEM, Principal
from app.db import utcnow
from app.gdpr import repository
from app.gdpr.schemas import AuditEntry, NewcomerExport
from app.households.service import before_erasure
from app.models import (
    IdempotencyRecord,
    Match,
    Mentor,
    Newcomer,
    Notification,
    RunGroupMember,
    RunUnmatched,
)
from app.notify.events import ABOUT_OTHERS

logger = logging.getLogger(__name__)

#: How long an Idempotency-Key is honoured unless the settings say otherwise.
DEFAULT_KEY_TTL = timedelta(hours=24)


def export_newcomer(session: Session, principal: Principal, newcomer: Newcomer) -> NewcomerExport:
    """Every stored field of ``newcomer``, their matches, unmatched records, places in
    trainers' groups, household membership and audit trail (other people only as ids or
    counts).

    The export is itself audited (action ``export``), after the trail is read.
    """
    matches = repository.matches_of(session, newcomer.id)
    events = repository.audit_about(session, newcomer.id, [m.id for m in matches])
    document = NewcomerExport(
        exported_at=utcnow(),
        newcomer=repository.columns_of(newcomer),
        matches=[repository.columns_of(m) for m in matches],
        check_ins=[
            repository.columns_of(c)
            for c in repository.check_ins_of(session, [m.id for m in matches])
        ],
        unmatched=[
            {k: v for k, v in repository.columns_of(u).items() if k != "newcomer_id"}
            for u in repository.unmatched_of(session, newcomer.id)
        ],
        groups=repository.groups_of(session, newcomer.id),
        audit=[
            AuditEntry(at=e.at, action=e.action, resource=e.resource, record_id=e.record_id)
            for e in events
        ],
        notifications=[_notification(n) for n in repository.notifications_of(session, newcomer.id)],
        household=repository.household_membership_of(session, newcomer.id),
    )
    audit.record(session, principal, "export", "newcomer", newcomer.id)
    return document


#: A notification's columns about others: the association's address (its id stays, and its
#: name in the payload) and the delivery's error text (it may quote that address).
_NOTIFICATION_ABOUT_OTHERS = frozenset({"recipient", "last_error"})


def _notification(row: Notification) -> dict[str, Any]:
    """A notification's columns and payload, without what they hold about other people."""
    fields = {
        k: v for k, v in repository.columns_of(row).items() if k not in _NOTIFICATION_ABOUT_OTHERS
    }
    fields["payload"] = {k: v for k, v in row.payload.items() if k not in ABOUT_OTHERS}
    return fields


def erase_traces(
    session: Session, newcomer_ids: Iterable[int], mentor_ids: Iterable[int] = ()
) -> int:
    """Forget what the Idempotency-Keys kept of the requests that created these people or
    their matches (the body's hash); run it in the transaction that deletes the people,
    before the delete. The keys stay, so a retry is a 410 rather than a new person.

    Every lookup goes through an index: a correction (PATCH) touches no key at all, because
    a key refers to its record and a replay renders the record as it is now. Returns how many
    keys were changed.
    """
    newcomers, mentors = sorted(set(newcomer_ids)), sorted(set(mentor_ids))
    matches = repository.match_ids_of(session, newcomers, mentors)
    return (
        repository.forget_requests(session, "newcomer", newcomers)
        + repository.forget_requests(session, "mentor", mentors)
        + repository.forget_requests(session, "match", matches)
        + repository.forget_requests(
            session, "check_in", [c.id for c in repository.check_ins_of(session, matches)]
        )
    )


def checkpoint_after_erasure(engine: Engine) -> None:
    """Call after an erasure commits: on SQLite, copy the write-ahead log into the database
    and truncate it, so the ``-wal`` file keeps no old page holding the erased rows (freed
    space in the database file itself is zeroed by ``secure_delete``). Nothing on PostgreSQL.
    """
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as connection:
        # On the driver's connection: a checkpoint cannot run inside a transaction.
        raw: Any = connection.connection.driver_connection
        busy, _log, _done = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        logger.warning("WAL checkpoint after an erasure was blocked by a reader; retried later")


@dataclass(frozen=True, slots=True)
class PurgeCounts:
    """What a purge deleted (or would delete, in a dry run)."""

    matches: int
    newcomers: int
    mentors: int
    unmatched: int
    idempotency: int
    notifications: int = 0
    group_members: int = 0

    def lines(self) -> list[str]:
        """One ``name: count`` line per kind of record."""
        return [
            f"matches: {self.matches}",
            f"newcomers: {self.newcomers}",
            f"mentors: {self.mentors}",
            f"unmatched_records: {self.unmatched}",
            f"group_members: {self.group_members}",
            f"idempotency_records: {self.idempotency}",
            f"notifications: {self.notifications}",
        ]


def cutoff_of(day: date) -> datetime:
    """The first instant of ``day`` in UTC."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def purge(
    session: Session, ended_before: date, *, key_ttl: timedelta = DEFAULT_KEY_TTL
) -> PurgeCounts:
    """Delete what is past retention at ``ended_before`` (the caller commits, once).

    - matches ended, rejected or superseded before the date (a purged rejection no longer
      forbids the pair);
    - inactive newcomers and inactive mentors, unchanged since before the date, whose every
      match closed before it (or who have none); with them go their remaining matches and
      their unmatched-request rows (their Idempotency-Keys forget the request);
    - unmatched-request rows and group-member rows of runs started before the date, except
      the latest applied run's (the shortages report reads it);
    - Idempotency-Keys older than ``key_ttl`` (expired: never replayed again);
    - notifications (and digests, reminders) delivered before the date, or failed and written
      before it.

    Kept: open matches, active people, runs (anonymous counts), the audit log (no personal
    data), notifications still to deliver.
    """
    cutoff = cutoff_of(ended_before)
    notifications = repository.delete_ids(
        session, Notification, repository.old_notification_ids(session, cutoff)
    )
    newcomers = repository.retired_newcomer_ids(session, cutoff)
    mentors = repository.retired_mentor_ids(session, cutoff)
    matches = repository.delete_ids(session, Match, repository.closed_match_ids(session, cutoff))
    keep_run = repository.latest_applied_run_id(session)
    unmatched = repository.delete_ids(
        session, RunUnmatched, repository.old_run_rows(session, RunUnmatched, cutoff, keep_run)
    )
    group_members = repository.delete_ids(
        session,
        RunGroupMember,
        repository.old_run_rows(session, RunGroupMember, cutoff, keep_run),
    )
    erase_traces(session, newcomers, mentors)
    before_erasure(session, newcomers)
    idempotency = repository.delete_ids(
        session, IdempotencyRecord, repository.old_idempotency_ids(session, utcnow() - key_ttl)
    )
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
        notifications=notifications,
        group_members=group_members,
    )


def run_purge(
    database_url: str,
    ended_before: date,
    *,
    dry_run: bool = False,
    key_ttl: timedelta = DEFAULT_KEY_TTL,
) -> PurgeCounts:
    """:func:`purge` in one transaction of its own (rolled back when ``dry_run``), then a
    WAL checkpoint (people may have been erased)."""
    from app.db import make_engine, make_sessionmaker

    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            counts = purge(session, ended_before, key_ttl=key_ttl)
            if dry_run:
                session.rollback()
                return counts
            session.commit()
        checkpoint_after_erasure(engine)
        return counts
    finally:
        engine.dispose()
