"""The notification outbox: each row is one message to one recipient, written in the
transaction of the decision that causes it, and delivered later by the sender
(:mod:`app.notify.sender`) over SMTP or a signed webhook.

``kind`` is open (``match_accepted``, ``match_ended``, ``proposals_waiting``; more may come,
say ``follow_up_due``) and ``payload`` is the event's data as JSON: a new kind needs a renderer,
no schema change. The payload holds no personal data beyond first names; it is emptied once the
message is delivered, and the row goes with the newcomer, mentor, association or account it
names (``ON DELETE CASCADE``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow


class NotificationStatus(StrEnum):
    """``pending`` → ``sending`` (claimed by a sender) → ``sent`` | ``pending`` (retry later) |
    ``failed`` (gave up)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class Channel(StrEnum):
    """How a notification travels."""

    EMAIL = "email"
    WEBHOOK = "webhook"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next_attempt_at", "status", "next_attempt_at"),
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status_known"),
        CheckConstraint("channel IN ('email', 'webhook')", name="channel_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(10))
    #: An e-mail address or a webhook URL, as it was when the event happened.
    recipient: Mapped[str] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(5))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: At most one notification per key (the daily digest: one per account and day).
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    match_id: Mapped[int | None] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    newcomer_id: Mapped[int | None] = mapped_column(
        ForeignKey("newcomers.id", ondelete="CASCADE"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentors.id", ondelete="CASCADE"), index=True
    )
    association_id: Mapped[int | None] = mapped_column(
        ForeignKey("associations.id", ondelete="CASCADE"), index=True
    )
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: While ``sending``: a sender that has not recorded the outcome by then is presumed dead.
    claimed_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
