"""Service settings, read once from the environment (prefix ``MAKKER_``)."""

from __future__ import annotations

from functools import lru_cache

from limits import parse
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with."""

    model_config = SettingsConfigDict(env_prefix="MAKKER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./makker.db"
    log_level: str = "INFO"
    max_body_bytes: int = 1_048_576
    #: The largest spreadsheet upload (``POST .../imports``, the desk's import forms).
    max_import_bytes: int = 20 * 1_048_576
    #: Counts below this are shown as "<N" to non-admins in reports.
    report_min_count: int = 5
    #: How long an idempotency key's answer is replayed.
    idempotency_ttl_hours: int = 24
    #: Execute queued match runs in a thread of ``makker serve`` (off where ``makker worker``
    #: processes execute them beside several API replicas).
    embedded_worker: bool = True
    #: Seconds between a worker's looks at the run queue (a run queued here wakes it at once).
    worker_poll_seconds: float = 2.0
    #: How many dry runs keep their unmatched requests (older dry runs keep their counts).
    dry_run_details_kept: int = 5
    #: Failed authentications allowed per client address, in the ``limits`` notation
    #: ("20/minute", "100 per hour"); more are answered 429. Valid keys are never counted.
    auth_failure_limit: str = "20/minute"
    #: Where the failures are counted (a ``limits`` storage URI): the process's memory, or
    #: e.g. ``redis://host:6379`` to share the count between processes.
    auth_failure_storage: str = "memory://"

    # Notifications (app/notify): the outbox's sender.
    #: Where e-mail goes: ``smtp://[user:password@]host:port`` (``smtps://`` for TLS from the
    #: start, ``?starttls=true`` to upgrade); unset, e-mail notifications wait in the outbox.
    smtp_url: str | None = None
    #: The sender address of the notifications.
    mail_from: str = "makker@localhost"
    #: The domain of the notifications' Message-IDs (``<notification-ID@domain>``); the host of
    #: ``public_url`` when unset.
    mail_domain: str | None = None
    #: Deliver notifications in a thread of ``makker serve`` (off where ``makker send`` runs
    #: from cron instead).
    embedded_sender: bool = True
    #: Seconds between the sender's looks at the outbox.
    sender_poll_seconds: float = 10.0
    #: Attempts before a notification is marked failed; the wait before attempt n+1 is
    #: ``retry_base_seconds * 2**(n-1)``, at most ``retry_max_seconds``.
    notify_max_attempts: int = 8
    notify_retry_base_seconds: float = 60.0
    notify_retry_max_seconds: float = 6 * 3600.0
    #: A claimed notification whose sender has not recorded the outcome after this long is
    #: claimed again (its sender died): longer than any SMTP or webhook timeout.
    notify_lease_seconds: float = 300.0
    #: SMTP and webhook timeouts.
    notify_timeout_seconds: float = 30.0
    #: A proposal waiting longer than this for a decision is counted in the coordinators'
    #: daily digest.
    remind_after_days: int = 7
    #: The digest is written by the first pass of the sender at or after this hour (UTC).
    digest_hour_utc: int = Field(default=6, ge=0, le=23)
    #: The coordinator an association is told to contact when a match was accepted by an API
    #: key (a desk account's own address is given when a person accepted).
    coordinator_contact: str | None = None

    @field_validator("auth_failure_limit")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        parse(value)  # a ValueError naming the text
        return value

    # The desk (web pages for people; API keys stay for machines).
    #: Where links printed by ``makker invite`` and ``makker reset-link`` point.
    public_url: str = "http://127.0.0.1:8000"
    #: Signs the CSRF token of forms shown before sign-in; a random one per process when unset
    #: (set it when several processes serve the desk).
    secret_key: str | None = None
    #: Mark cookies Secure even on plain-HTTP requests (a TLS-terminating proxy in front).
    cookie_secure: bool = False
    #: A desk session ends after this long without a request, and at the latest after the max.
    session_idle_minutes: int = 30
    session_max_hours: int = 12
    invitation_ttl_hours: int = 72
    reset_ttl_hours: int = 2
    #: A volunteer's link to confirm their sign-up's e-mail address works this long.
    signup_confirm_ttl_hours: int = 72
    #: Failed sign-ins allowed per client address and per account (``limits`` notation).
    signin_limit_per_address: str = "20/15 minutes"
    signin_limit_per_account: str = "5/15 minutes"
    #: Volunteer sign-ups posted per client address (valid, invalid or caught by the honeypot).
    signup_limit_per_address: str = "10/hour"
    #: Where the npm assets (dkfds, axe-core) were installed by the set-up.
    desk_assets_dir: str = ".build/npm/node_modules"
    #: Requests a process serves at once, and as many pooled database connections (see
    #: app/concurrency.py); the rest wait their turn.
    db_pool_size: int = 20
    #: How long a request waits for its turn or a connection before a 503 with Retry-After.
    db_pool_timeout_seconds: float = 10.0


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
