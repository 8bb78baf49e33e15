"""The events that notify someone, written to the outbox in the caller's transaction.

A decision and its notification commit together or not at all: :func:`match_accepted` and
:func:`match_ended` are called by :mod:`app.matches.service` before the request commits. What
an association is told about the newcomer is what it needs to call its volunteer — first name,
languages, municipality, programme — never the last name, birth date or contact details.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.auth import Principal
from app.followups.service import due_follow_ups
from app.models import Account, Association, Match, MatchStatus, Mentor, Newcomer, Programme
from app.models.notification import Channel, Notification

MATCH_ACCEPTED = "match_accepted"
MATCH_ENDED = "match_ended"
PROPOSALS_WAITING = "proposals_waiting"
FOLLOW_UPS_DUE = "follow_ups_due"
#: The follow-ups a reminder lists one by one (the counts cover them all).
FOLLOW_UPS_LISTED = 50
SIGNUP_CONFIRMATION = "signup_confirmation"
#: Payload keys about someone other than the newcomer (the volunteer, the coordinator who
#: decided, a volunteer's own confirmation): left out of the newcomer's GDPR export.
ABOUT_OTHERS = frozenset({"mentor_first_name", "coordinator_email", "first_name", "link"})


def enqueue(
    session: Session,
    *,
    kind: str,
    channel: Channel,
    recipient: str,
    language: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    **references: int | None,
) -> Notification | None:
    """Write one notification (any ``kind``: its renderer reads ``payload``); ``references``
    are the rows it is erased with (``match_id``, ``newcomer_id``, ``mentor_id``,
    ``association_id``, ``account_id``). With a ``dedupe_key`` already used, nothing is written
    and None returned."""
    row = Notification(
        kind=kind,
        channel=channel,
        recipient=recipient,
        language=language,
        payload=payload,
        dedupe_key=dedupe_key,
        **references,
    )
    if dedupe_key is None:
        session.add(row)
        session.flush()
        return row
    if session.scalar(select(Notification.id).where(Notification.dedupe_key == dedupe_key)):
        return None
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # a concurrent sender wrote the same key first
        return None
    return row


def _to_association(
    session: Session, kind: str, match: Match, payload: dict[str, Any]
) -> Notification | None:
    mentor = session.get(Mentor, match.mentor_id)
    association = session.get(Association, mentor.association_id) if mentor else None
    if mentor is None or association is None:
        return None
    if association.webhook_url and association.webhook_secret:
        channel, recipient = Channel.WEBHOOK, association.webhook_url
    elif association.contact_email:
        channel, recipient = Channel.EMAIL, association.contact_email
    else:
        return None  # nowhere to tell it
    return enqueue(
        session,
        kind=kind,
        channel=channel,
        recipient=recipient,
        language=association.language or "da",
        payload={
            "match_id": match.id,
            "mentor_id": mentor.id,
            "mentor_first_name": mentor.first_name,
            "association_name": association.name,
            **payload,
        },
        match_id=match.id,
        newcomer_id=match.newcomer_id,
        mentor_id=mentor.id,
        association_id=association.id,
    )


def _newcomer_facts(session: Session, match: Match) -> dict[str, Any]:
    newcomer = session.get(Newcomer, match.newcomer_id)
    programme = session.get(Programme, match.programme)
    assert newcomer is not None  # locked by the decision
    return {
        "newcomer_first_name": newcomer.first_name,
        "languages": list(newcomer.languages or []),
        "municipality": newcomer.municipality,
        "programme": match.programme,
        "programme_name": programme.name if programme else match.programme,
    }


def _deciding_account_email(session: Session, principal: Principal) -> str | None:
    if principal.account_id is None:
        return None
    return session.scalar(select(Account.email).where(Account.id == principal.account_id))


def match_accepted(session: Session, principal: Principal, match: Match) -> Notification | None:
    """Tell the mentor's association that its volunteer has a newcomer to call.

    The coordinator to contact is the desk account that accepted; for an API key the sender
    fills in ``MAKKER_COORDINATOR_CONTACT`` (see :mod:`app.notify.render`).
    """
    return _to_association(
        session,
        MATCH_ACCEPTED,
        match,
        {
            **_newcomer_facts(session, match),
            "coordinator_email": _deciding_account_email(session, principal),
        },
    )


def match_ended(session: Session, principal: Principal, match: Match) -> Notification | None:
    """Tell the mentor's association that the match ended (the reason stays out: free text)."""
    facts = _newcomer_facts(session, match)
    return _to_association(
        session,
        MATCH_ENDED,
        match,
        {
            "newcomer_first_name": facts["newcomer_first_name"],
            "municipality": facts["municipality"],
            "programme": facts["programme"],
            "programme_name": facts["programme_name"],
            "coordinator_email": _deciding_account_email(session, principal),
        },
    )


def signup_confirmation(
    session: Session, mentor: Mentor, *, link: str, language: str, hours: int
) -> Notification | None:
    """Mail a volunteer who signed up the one-time link that confirms their address (the
    payload, link included, is emptied once it is delivered; erased with the mentor)."""
    association = session.get(Association, mentor.association_id)
    if mentor.email is None or association is None:
        return None
    return enqueue(
        session,
        kind=SIGNUP_CONFIRMATION,
        channel=Channel.EMAIL,
        recipient=mentor.email,
        language=language,
        payload={
            "first_name": mentor.first_name,
            "association_name": association.name,
            "link": link,
            "hours": hours,
        },
        mentor_id=mentor.id,
        association_id=association.id,
    )


def digest_key(account_id: int, day: str) -> str:
    """The unique key of an account's digest of ``day`` (ISO date): one a day."""
    return f"{PROPOSALS_WAITING}:{account_id}:{day}"


def _coordinators(session: Session) -> list[Account]:
    return list(
        session.scalars(
            select(Account)
            .where(Account.role == "coordinator", Account.disabled_at.is_(None))
            .order_by(Account.id)
        )
    )


def proposals_waiting(session: Session, now: datetime, remind_after_days: int) -> int:
    """Write today's digest for each active coordinator account whose municipalities have
    proposals waiting longer than ``remind_after_days``; at most one per account and day.
    The caller commits. How many digests were written."""
    cutoff = now - timedelta(days=remind_after_days)
    waiting: dict[str, int] = {
        municipality: count
        for municipality, count in session.execute(
            select(Newcomer.municipality, func.count(Match.id))
            .join(Newcomer, Newcomer.id == Match.newcomer_id)
            .where(Match.status == MatchStatus.PROPOSED, Match.created_at < cutoff)
            .group_by(Newcomer.municipality)
        )
    }
    if not waiting:
        return 0
    day = now.date().isoformat()
    written = 0
    for account in _coordinators(session):
        counts = {m: waiting[m] for m in sorted(account.municipalities or []) if m in waiting}
        if not counts:
            continue
        row = enqueue(
            session,
            kind=PROPOSALS_WAITING,
            channel=Channel.EMAIL,
            recipient=account.email,
            language=account.language or "da",
            payload={
                "day": day,
                "days": remind_after_days,
                "total": sum(counts.values()),
                "municipalities": counts,
            },
            dedupe_key=digest_key(account.id, day),
            account_id=account.id,
        )
        written += row is not None
    return written


def reminder_key(account_id: int, day: str) -> str:
    """The unique key of an account's follow-up reminder of ``day`` (ISO date): one a day."""
    return f"{FOLLOW_UPS_DUE}:{account_id}:{day}"


def follow_ups_due(session: Session, today: date) -> int:
    """Write today's follow-up reminder for each active coordinator account whose
    municipalities have follow-ups due (:func:`app.followups.service.due_follow_ups`, the one
    rule); at most one per account and day, and again each day until the check-in is recorded.
    The caller commits. How many reminders were written.

    A reminder holds counts per municipality and, for the first :data:`FOLLOW_UPS_LISTED`, the
    match number, programme, due date and point: no one's name (the desk shows the pair).
    """
    due = due_follow_ups(session, today)
    if not due:
        return 0
    day = today.isoformat()
    written = 0
    for account in _coordinators(session):
        mine = [item for item in due if item.municipality in set(account.municipalities or [])]
        if not mine:
            continue
        counts = Counter(item.municipality for item in mine)
        row = enqueue(
            session,
            kind=FOLLOW_UPS_DUE,
            channel=Channel.EMAIL,
            recipient=account.email,
            language=account.language or "da",
            payload={
                "day": day,
                "total": len(mine),
                "municipalities": {code: counts[code] for code in sorted(counts)},
                "follow_ups": [
                    {
                        "match_id": item.match_id,
                        "programme": item.programme,
                        "due_on": item.due_on.isoformat(),
                        "days_after": item.days_after,
                    }
                    for item in mine[:FOLLOW_UPS_LISTED]
                ],
            },
            dedupe_key=reminder_key(account.id, day),
            account_id=account.id,
        )
        written += row is not None
    return written
