"""App-tier fixtures: a real database built by the migrations, the app driven through httpx.

SQLite (a temporary file) by default; set ``MAKKER_TEST_DATABASE_URL`` to a PostgreSQL URL to
run the same tests there. Each pytest-xdist worker gets its own fresh database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from app.auth import issue_key
from app.config import Settings
from app.db import Base
from app.main import create_app
from app.migrate import upgrade
from app.models import Programme
from tests.app.live_server import server  # noqa: F401  (a fixture for every module here)
from tests.postgres import recreate


def _fresh_postgres(url: str, worker: str) -> str:
    return recreate(url, f"{make_url(url).database}_{worker}")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A freshly migrated database for this test session (and xdist worker)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    configured = os.environ.get("MAKKER_TEST_DATABASE_URL")
    if configured and configured.startswith("postgresql"):
        url = _fresh_postgres(configured, worker)
    else:
        path = Path(tmp_path_factory.mktemp("db")) / f"makker-{worker}.db"
        url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def app(database_url: str) -> Iterator[FastAPI]:
    """One application for the session; queued runs wait for a test to execute them
    (``tests.app.runs.work_off``: no worker thread races the assertions)."""
    # Many tests fail authentication on purpose; test_keys_and_limits tests the limit.
    settings = Settings(
        database_url=database_url,
        log_level="WARNING",
        embedded_worker=False,
        embedded_sender=False,
        auth_failure_limit="100000/minute",
    )
    application = create_app(settings)
    yield application
    application.state.engine.dispose()


@pytest.fixture(scope="session")
def _default_programmes(app: FastAPI) -> list[dict[str, Any]]:
    with app.state.sessionmaker() as session:
        rows = session.query(Programme).all()
        return [{c.key: getattr(row, c.key) for c in Programme.__table__.columns} for row in rows]


@pytest.fixture
def db(app: FastAPI, _default_programmes: list[dict[str, Any]]) -> Iterator[Session]:
    """A session on the test database; every table is emptied after the test."""
    session: Session = app.state.sessionmaker()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
        with app.state.sessionmaker.begin() as cleanup:
            for table in reversed(Base.metadata.sorted_tables):
                cleanup.execute(delete(table))
            cleanup.execute(Programme.__table__.insert(), _default_programmes)


@pytest.fixture
def client(app: FastAPI, db: Session) -> Iterator[TestClient]:
    """An httpx-based client on the app (no key; see ``keys``)."""
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


class Keys:
    """Creates API keys and returns ready-made ``Authorization`` headers."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def headers(
        self,
        role: str,
        *,
        association_id: int | None = None,
        municipalities: list[str] | None = None,
    ) -> dict[str, str]:
        with self.app.state.sessionmaker.begin() as session:
            _row, key = issue_key(
                session,
                name=f"test-{role}",
                role=role,  # type: ignore[arg-type]
                association_id=association_id,
                municipalities=municipalities,
            )
        return {"Authorization": f"Bearer {key}"}

    def admin(self) -> dict[str, str]:
        return self.headers("admin")

    def coordinator(self, *municipalities: str) -> dict[str, str]:
        return self.headers("coordinator", municipalities=list(municipalities))

    def association(self, association_id: int) -> dict[str, str]:
        return self.headers("association", association_id=association_id)


@pytest.fixture
def keys(app: FastAPI, db: Session) -> Keys:
    """Key factory for the test."""
    return Keys(app)


@pytest.fixture
def admin(keys: Keys) -> dict[str, str]:
    """Headers of an admin key."""
    return keys.admin()


@pytest.fixture
def desk(app: FastAPI, client: TestClient) -> Any:
    """Desk accounts and sign-in for page tests (tests/app/desk.py)."""
    from tests.app.desk import Desk

    return Desk(app, client)
