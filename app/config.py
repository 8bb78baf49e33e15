"""Service settings, read once from the environment (prefix ``MAKKER_``)."""

from __future__ import annotations

from functools import lru_cache

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
    #: Requests a process serves at once, and as many pooled database connections (see
    #: app/concurrency.py); the rest wait their turn.
    db_pool_size: int = 20
    #: How long a request waits for its turn or a connection before a 503 with Retry-After.
    db_pool_timeout_seconds: float = 10.0


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings."""
    return Settings()
