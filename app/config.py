"""Service settings, read once from the environment (prefix ``MAKKER_``)."""

from __future__ import annotations

from functools import lru_cache

from limits import parse
from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything the service can be configured with."""

    model_config = SettingsConfigDict(env_prefix="MAKKER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./makker.db"
    log_level: str = "INFO"
    max_body_bytes: int = 1_048_576
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

    @field_validator("auth_failure_limit")
    @classmethod
    def _a_rate_limit(cls, value: str) -> str:
        parse(value)  # a ValueError naming the text
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
