"""The sender: claims notifications from the outbox, delivers them, records the outcome.

**Never twice.** A notification is claimed in a transaction of its own (``UPDATE … WHERE id =
(SELECT … FOR UPDATE SKIP LOCKED)``: on PostgreSQL concurrent senders skip each other's rows;
on SQLite writers are serialised), which marks it ``sending`` with a lease
(``MAKKER_NOTIFY_LEASE_SECONDS``) and counts the attempt. It is delivered (one SMTP transaction,
or one webhook POST) and recorded ``sent`` in the next transaction, before the next one is
claimed. A sender that dies between the delivery and the record leaves that one row
``sending``; when the lease runs out the next sender delivers it again, with the same
Message-ID (and webhook event id) — at most that one, and recognisably the same message.

**Retries.** A temporary failure (a 4xx reply, a refused or lost connection, a webhook's 5xx,
408 or 429) waits ``base * 2**(attempt-1)`` (capped) before the next attempt; a permanent one
(5xx from SMTP, another 4xx from a webhook) or the last attempt marks it ``failed``.

Delivered rows keep no payload (their first names are emptied at once); every row goes with the
person it names (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import json
import logging
import smtplib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
from sqlalchemy import Engine, Table, and_, or_, select, update
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.models import Association, Notification
from app.models.notification import Channel, NotificationStatus
from app.notify import events, render, webhook

log = logging.getLogger("makker.notify")

_rows: Table = Notification.__table__  # type: ignore[assignment]
_now = clock.utcnow


class DeliveryFailed(Exception):
    """A delivery did not happen; ``permanent`` when retrying cannot help."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


@dataclass
class PassResult:
    """What one pass over the outbox did."""

    digests: int = 0
    reminders: int = 0
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)


def backoff(settings: Settings, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt."""
    seconds = settings.notify_retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.notify_retry_max_seconds))


def claim(
    engine: Engine,
    settings: Settings,
    channels: tuple[str, ...],
    due_by: datetime | None = None,
) -> Notification | None:
    """Claim the oldest notification on ``channels`` that is pending and due by ``due_by``
    (default now), or ``sending`` with its lease run out; a detached copy of it, or None."""
    now = _now()
    due = or_(
        and_(
            _rows.c.status == NotificationStatus.PENDING,
            _rows.c.next_attempt_at <= (due_by or now),
        ),
        and_(_rows.c.status == NotificationStatus.SENDING, _rows.c.claimed_until < now),
    )
    next_row = (
        select(_rows.c.id)
        .where(due, _rows.c.channel.in_(channels))
        .order_by(_rows.c.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    with Session(engine, expire_on_commit=False) as session, session.begin():
        claimed = session.execute(
            update(_rows)
            .where(_rows.c.id == next_row.scalar_subquery())
            .where(due)
            .values(
                status=NotificationStatus.SENDING,
                claimed_until=now + timedelta(seconds=settings.notify_lease_seconds),
                attempts=_rows.c.attempts + 1,
            )
            .returning(_rows.c.id)
        ).scalar()
        if claimed is None:
            return None
        row = session.get(Notification, claimed)
        if row is not None:
            session.expunge(row)
        return row


def record_sent(engine: Engine, notification_id: int) -> None:
    """Mark delivered, and forget the payload (it held first names)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(_rows)
            .where(_rows.c.id == notification_id, _rows.c.status == NotificationStatus.SENDING)
            .values(
                status=NotificationStatus.SENT,
                sent_at=_now(),
                claimed_until=None,
                last_error=None,
                payload={},
            )
        )


def record_failure(
    engine: Engine, settings: Settings, row: Notification, error: DeliveryFailed
) -> bool:
    """Schedule a retry, or give up; whether it gave up."""
    give_up = error.permanent or row.attempts >= settings.notify_max_attempts
    values: dict[str, object] = {"claimed_until": None, "last_error": str(error)[:500]}
    if give_up:
        values["status"] = NotificationStatus.FAILED
    else:
        values["status"] = NotificationStatus.PENDING
        values["next_attempt_at"] = _now() + backoff(settings, row.attempts)
    with Session(engine) as session, session.begin():
        session.execute(
            update(_rows)
            .where(_rows.c.id == row.id, _rows.c.status == NotificationStatus.SENDING)
            .values(**values)
        )
    return give_up


class Mailer:
    """One SMTP connection, opened when first needed and reopened after an error."""

    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("MAKKER_SMTP_URL must be smtp://host:port or smtps://host:port")
        self.host = parts.hostname
        self.port = parts.port or (465 if parts.scheme == "smtps" else 25)
        self.tls = parts.scheme == "smtps"
        self.starttls = parse_qs(parts.query).get("starttls", ["false"])[0] == "true"
        self.user = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP
        if self.tls:
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=context)
        if self.user is not None:
            smtp.login(self.user, self.password or "")
        return smtp

    def send(self, message: EmailMessage) -> None:
        """One SMTP transaction; :class:`DeliveryFailed` when the server did not take it."""
        try:
            if self._smtp is None:
                self._smtp = self._connect()
            self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _text in exc.recipients.values()]
            permanent = all(500 <= code < 600 for code in codes)
            raise DeliveryFailed(f"recipient refused ({codes})", permanent=permanent) from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            raise DeliveryFailed(
                f"SMTP {exc.smtp_code}", permanent=500 <= exc.smtp_code < 600
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise DeliveryFailed(f"SMTP connection: {type(exc).__name__}") from exc

    def close(self) -> None:
        """Say goodbye (quietly: the connection may be gone)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def post_webhook(
    client: httpx.Client, url: str, secret: str, row: Notification, body: bytes
) -> None:
    """One signed POST; :class:`DeliveryFailed` unless the receiver answered 2xx."""
    headers = {
        "Content-Type": "application/json",
        webhook.SIGNATURE_HEADER: webhook.signature(secret, int(time.time()), body),
        webhook.EVENT_ID_HEADER: str(row.id),
        webhook.EVENT_HEADER: row.kind,
    }
    try:
        response = client.post(url, content=body, headers=headers)
    except httpx.HTTPError as exc:
        raise DeliveryFailed(f"webhook: {type(exc).__name__}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return
    temporary = status >= 500 or status in (408, 429)
    raise DeliveryFailed(f"webhook answered {status}", permanent=not temporary)


@dataclass
class Sender:
    """Delivers the outbox: one pass (:meth:`run_pass`, ``makker send``) or until stopped
    (:meth:`serve`, the thread of ``makker serve``)."""

    engine: Engine
    settings: Settings
    #: A test hook: called with a notification's id after its delivery, before its record.
    after_delivery: Callable[[int], None] | None = None
    _stop: threading.Event = field(default_factory=threading.Event, init=False)

    @property
    def domain(self) -> str:
        return self.settings.mail_domain or urlsplit(self.settings.public_url).hostname or "makker"

    def channels(self) -> tuple[str, ...]:
        """The channels this sender can deliver (e-mail only with ``MAKKER_SMTP_URL``)."""
        if self.settings.smtp_url:
            return (Channel.EMAIL, Channel.WEBHOOK)
        return (Channel.WEBHOOK,)

    def write_digests(self) -> tuple[int, int]:
        """Today's digests of waiting proposals and reminders of follow-ups due (each once
        per account and day, from ``MAKKER_DIGEST_HOUR_UTC`` on); how many of each."""
        now = _now()
        if now.hour < self.settings.digest_hour_utc:
            return 0, 0
        with Session(self.engine) as session, session.begin():
            digests = events.proposals_waiting(session, now, self.settings.remind_after_days)
            reminders = events.follow_ups_due(session, now.date())
        return digests, reminders

    def run_pass(self) -> PassResult:
        """Write today's digests and reminders, then deliver every notification due when the
        pass began, one at a time (one that fails now waits for a later pass)."""
        digests, reminders = self.write_digests()
        began = _now()  # after the digests: they go out in this pass
        result = PassResult(digests=digests, reminders=reminders)
        mailer = (
            Mailer(self.settings.smtp_url, self.settings.notify_timeout_seconds)
            if self.settings.smtp_url
            else None
        )
        channels = self.channels()
        try:
            with httpx.Client(timeout=self.settings.notify_timeout_seconds) as client:
                while not self._stop.is_set():
                    row = claim(self.engine, self.settings, channels, due_by=began)
                    if row is None:
                        break
                    self._deliver_one(row, mailer, client, result)
        finally:
            if mailer is not None:
                mailer.close()
        return result

    def _deliver_one(
        self,
        row: Notification,
        mailer: Mailer | None,
        client: httpx.Client,
        result: PassResult,
    ) -> None:
        contact = self.settings.coordinator_contact
        try:
            if row.channel == Channel.EMAIL:
                assert mailer is not None  # only claimed with an SMTP URL
                mailer.send(
                    render.email_of(
                        row,
                        sender=self.settings.mail_from,
                        domain=self.domain,
                        coordinator_contact=contact,
                    )
                )
            else:
                secret = self._webhook_secret(row)
                body = json.dumps(render.webhook_body(row, contact)).encode()
                post_webhook(client, row.recipient, secret, row, body)
        except DeliveryFailed as exc:
            gave_up = record_failure(self.engine, self.settings, row, exc)
            (result.failed if gave_up else result.retried).append(row.id)
            log.warning(
                "notification not delivered",
                extra={"notification": row.id, "kind": row.kind, "gave_up": gave_up},
            )
            return
        if self.after_delivery is not None:
            self.after_delivery(row.id)
        record_sent(self.engine, row.id)
        result.sent.append(row.id)

    def _webhook_secret(self, row: Notification) -> str:
        with Session(self.engine) as session:
            secret = session.scalar(
                select(Association.webhook_secret).where(Association.id == row.association_id)
            )
        if not secret:
            raise DeliveryFailed("the association has no webhook secret", permanent=True)
        return secret

    def serve(self) -> None:
        """Pass over the outbox every ``MAKKER_SENDER_POLL_SECONDS`` until stopped."""
        while not self._stop.is_set():
            try:
                self.run_pass()
            except Exception as exc:
                # The database or the mail server may be away for a while: log, wait, retry.
                log.error(
                    "the sender could not work the outbox", extra={"error": type(exc).__name__}
                )
            self._stop.wait(self.settings.sender_poll_seconds)

    def stop(self) -> None:
        """Stop after the notification in progress."""
        self._stop.set()

    def start_thread(self) -> threading.Thread:
        """Serve in a daemon thread (the embedded sender of ``makker serve``)."""
        thread = threading.Thread(target=self.serve, name="makker-sender", daemon=True)
        thread.start()
        return thread
