"""Queries on accounts, one-time links and sessions (looked up by hash, never by plaintext)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from app.models import Account, AccountSession, AccountToken


def by_email(session: Session, email: str) -> Account | None:
    """The account of a (normalised) address."""
    return session.scalar(select(Account).where(Account.email == email))


def by_id(session: Session, account_id: int) -> Account | None:
    """One account."""
    return session.get(Account, account_id)


def list_all(session: Session) -> Sequence[Account]:
    """Every account, by id."""
    return session.scalars(select(Account).order_by(Account.id)).all()


def token_by_hash(
    session: Session, token_hash: str, purpose: str, *, lock: bool = True
) -> AccountToken | None:
    """A one-time link of ``purpose``, locked unless ``lock`` is false (two tabs redeeming it
    race on this row; showing its form only reads)."""
    query = select(AccountToken).where(
        AccountToken.token_hash == token_hash, AccountToken.purpose == purpose
    )
    return session.scalar(query.with_for_update() if lock else query)


def retire_tokens(session: Session, account_id: int, purpose: str, now: datetime) -> None:
    """Mark every unused link of ``purpose`` used: only the newest one works."""
    session.execute(
        update(AccountToken)
        .where(
            AccountToken.account_id == account_id,
            AccountToken.purpose == purpose,
            AccountToken.used_at.is_(None),
        )
        .values(used_at=now)
    )


def session_by_hash(session: Session, token_hash: str) -> AccountSession | None:
    """A desk session by the hash of its cookie."""
    return session.scalar(select(AccountSession).where(AccountSession.token_hash == token_hash))


def touch_session(session: Session, session_id: int, now: datetime) -> None:
    """Note a desk session's activity."""
    session.execute(
        update(AccountSession).where(AccountSession.id == session_id).values(last_seen_at=now)
    )


def end_session(session: Session, session_id: int) -> None:
    """Remove one desk session."""
    session.execute(delete(AccountSession).where(AccountSession.id == session_id))


def end_sessions(session: Session, account_id: int) -> None:
    """Sign the account out everywhere (after a password change)."""
    session.execute(delete(AccountSession).where(AccountSession.account_id == account_id))


def end_stale_sessions(
    session: Session, account_id: int, *, idle_since: datetime, created_before: datetime
) -> None:
    """Remove the account's sessions that have expired (idle, or past their maximum age)."""
    session.execute(
        delete(AccountSession).where(
            AccountSession.account_id == account_id,
            or_(
                AccountSession.last_seen_at < idle_since,
                AccountSession.created_at < created_before,
            ),
        )
    )
