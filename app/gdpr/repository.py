"""Queries for export, erasure and purge."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from app.models import (
    AuditEvent,
    CheckIn,
    HouseholdMember,
    IdempotencyRecord,
    Match,
    MatchRun,
    MatchStatus,
    Mentor,
    Newcomer,
    Notification,
    RunGroupMember,
    RunUnmatched,
)
from app.models.notification import NotificationStatus

#: Audit ``resource`` names that denote a newcomer or a match (singular and plural forms).
NEWCOMER_RESOURCES = ("newcomer", "newcomers")
MATCH_RESOURCES = ("match", "matches")

#: Match statuses that are over: the match no longer binds anyone.
CLOSED_STATUSES = (MatchStatus.ENDED, MatchStatus.REJECTED, MatchStatus.SUPERSEDED)


def columns_of(row: Any) -> dict[str, Any]:
    """Every stored column of an ORM row, by column name."""
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def matches_of(session: Session, newcomer_id: int) -> Sequence[Match]:
    """All matches of a newcomer, oldest first."""
    return session.scalars(
        select(Match).where(Match.newcomer_id == newcomer_id).order_by(Match.id)
    ).all()


def notifications_of(session: Session, newcomer_id: int) -> Sequence[Notification]:
    """The notifications about a newcomer's matches, oldest first (erased with them)."""
    return session.scalars(
        select(Notification)
        .where(Notification.newcomer_id == newcomer_id)
        .order_by(Notification.id)
    ).all()


def check_ins_of(session: Session, match_ids: Sequence[int]) -> Sequence[CheckIn]:
    """The check-ins on the matches, oldest first (notes included)."""
    if not match_ids:
        return []
    return session.scalars(
        select(CheckIn).where(CheckIn.match_id.in_(match_ids)).order_by(CheckIn.id)
    ).all()


def unmatched_of(session: Session, newcomer_id: int) -> Sequence[RunUnmatched]:
    """Every run's record of a newcomer's unmatched requests, oldest first."""
    return session.scalars(
        select(RunUnmatched)
        .where(RunUnmatched.newcomer_id == newcomer_id)
        .order_by(RunUnmatched.id)
    ).all()


def groups_of(session: Session, newcomer_id: int) -> list[dict[str, Any]]:
    """Every run's placement of a newcomer in a trainer's group, oldest first: the row's
    columns but ``newcomer_id``, and ``members``, the group's size (the others only counted)."""
    other = aliased(RunGroupMember)
    size = (
        select(func.count())
        .select_from(other)
        .where(
            other.run_id == RunGroupMember.run_id,
            other.programme == RunGroupMember.programme,
            other.mentor_id == RunGroupMember.mentor_id,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(RunGroupMember, size)
        .where(RunGroupMember.newcomer_id == newcomer_id)
        .order_by(RunGroupMember.id)
    ).all()
    return [
        {**{k: v for k, v in columns_of(row).items() if k != "newcomer_id"}, "members": int(n)}
        for row, n in rows
    ]


def audit_about(
    session: Session, newcomer_id: int, match_ids: Collection[int]
) -> Sequence[AuditEvent]:
    """Audit events about a newcomer or one of their matches, oldest first."""
    about = and_(
        AuditEvent.resource.in_(NEWCOMER_RESOURCES), AuditEvent.record_id == str(newcomer_id)
    )
    if match_ids:
        about = or_(
            about,
            and_(
                AuditEvent.resource.in_(MATCH_RESOURCES),
                AuditEvent.record_id.in_([str(i) for i in match_ids]),
            ),
        )
    return session.scalars(select(AuditEvent).where(about).order_by(AuditEvent.id)).all()


def match_ids_of(
    session: Session, newcomer_ids: Collection[int], mentor_ids: Collection[int]
) -> list[int]:
    """Ids of every match of these newcomers or mentors."""
    if not newcomer_ids and not mentor_ids:
        return []
    ids: set[int] = set()
    for column, people in ((Match.newcomer_id, newcomer_ids), (Match.mentor_id, mentor_ids)):
        wanted = sorted(people)
        for start in range(0, len(wanted), 500):
            ids.update(
                session.scalars(select(Match.id).where(column.in_(wanted[start : start + 500])))
            )
    return sorted(ids)


def forget_requests(session: Session, resource: str, record_ids: Iterable[int]) -> int:
    """Clear the request hash of the Idempotency-Keys that created these records (by index);
    the number of keys changed. A retry of such a key is then a 410."""
    wanted = sorted({str(i) for i in record_ids})
    changed = 0
    for start in range(0, len(wanted), 500):
        result = session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.resource == resource,
                IdempotencyRecord.record_id.in_(wanted[start : start + 500]),
            )
            .values(request_hash=None)
        )
        changed += int(getattr(result, "rowcount", 0) or 0)
    return changed


def delete_ids(session: Session, model: Any, ids: Iterable[int]) -> int:
    """Delete rows of ``model`` by id, in chunks; the number deleted."""
    wanted = sorted(set(ids))
    deleted = 0
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        result = session.execute(delete(model).where(model.id.in_(chunk)))
        deleted += int(getattr(result, "rowcount", 0) or 0)
    return deleted


def _closed_before(cutoff: datetime) -> ColumnElement[bool]:
    when = func.coalesce(Match.ended_at, Match.decided_at, Match.updated_at)
    return and_(Match.status.in_(CLOSED_STATUSES), when < cutoff)


def closed_match_ids(session: Session, cutoff: datetime) -> list[int]:
    """Matches ended, rejected or superseded before ``cutoff``."""
    return list(session.scalars(select(Match.id).where(_closed_before(cutoff))))


def _no_match_but_closed_before(person_column: Any, cutoff: datetime) -> ColumnElement[bool]:
    # Every match of the person (if any) is closed and was closed before the cutoff.
    return ~exists().where(person_column, ~_closed_before(cutoff))


def retired_newcomer_ids(session: Session, cutoff: datetime) -> list[int]:
    """Inactive newcomers, unchanged since before ``cutoff``, whose every match closed before."""
    query = select(Newcomer.id).where(
        Newcomer.active.is_(False),
        Newcomer.updated_at < cutoff,
        _no_match_but_closed_before(Match.newcomer_id == Newcomer.id, cutoff),
    )
    return list(session.scalars(query))


def retired_mentor_ids(session: Session, cutoff: datetime) -> list[int]:
    """Inactive mentors, unchanged since before ``cutoff``, whose every match closed before."""
    query = select(Mentor.id).where(
        Mentor.active.is_(False),
        Mentor.updated_at < cutoff,
        _no_match_but_closed_before(Match.mentor_id == Mentor.id, cutoff),
    )
    return list(session.scalars(query))


def latest_applied_run_id(session: Session) -> int | None:
    """The newest succeeded, non-dry run (its unmatched rows feed the shortages report)."""
    return session.scalar(
        select(func.max(MatchRun.id)).where(
            MatchRun.status == "succeeded", MatchRun.dry_run.is_(False)
        )
    )


def old_run_rows(
    session: Session,
    model: type[RunUnmatched] | type[RunGroupMember],
    cutoff: datetime,
    keep_run: int | None,
) -> list[int]:
    """Ids of a run's detail rows (unmatched requests, group members) of runs started before
    ``cutoff`` (but never of ``keep_run``)."""
    query = (
        select(model.id)
        .join(MatchRun, MatchRun.id == model.run_id)
        .where(MatchRun.started_at < cutoff)
    )
    if keep_run is not None:
        query = query.where(model.run_id != keep_run)
    return list(session.scalars(query))


def old_idempotency_ids(session: Session, cutoff: datetime) -> list[int]:
    """Idempotency-Keys stored before ``cutoff``."""
    return list(
        session.scalars(select(IdempotencyRecord.id).where(IdempotencyRecord.created_at < cutoff))
    )


def old_notification_ids(session: Session, cutoff: datetime) -> list[int]:
    """Notifications finished before ``cutoff``: delivered (by ``sent_at``), or given up on
    (``failed``, by ``created_at``). Pending and in-flight ones are kept, whatever their age."""
    finished = or_(
        and_(Notification.status == NotificationStatus.SENT, Notification.sent_at < cutoff),
        and_(Notification.status == NotificationStatus.FAILED, Notification.created_at < cutoff),
    )
    return list(session.scalars(select(Notification.id).where(finished)))


def household_membership_of(session: Session, newcomer_id: int) -> dict[str, Any] | None:
    """The newcomer's household membership: household id, position, member count."""
    mine = session.scalar(select(HouseholdMember).where(HouseholdMember.newcomer_id == newcomer_id))
    if mine is None:
        return None
    size = session.scalar(
        select(func.count())
        .select_from(HouseholdMember)
        .where(HouseholdMember.household_id == mine.household_id)
    )
    return {
        "household_id": mine.household_id,
        "position": mine.position,
        "contact_person": mine.position == 0,
        "members": int(size or 0),
    }
