"""Migrations are the schema: up from empty, no drift from the ORM, down to base, up again."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

import app.models  # noqa: F401  (registers every table)
from app.db import Base, make_engine
from app.migrate import alembic_config, downgrade, is_at_head, upgrade
from tests.app.conftest import _fresh_postgres


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    """An empty database of the kind the suite runs on (SQLite, or PostgreSQL when configured)."""
    configured = os.environ.get("MAKKER_TEST_DATABASE_URL")
    if configured and configured.startswith("postgresql"):
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        url = _fresh_postgres(configured, f"migrations_{worker}")
        yield url
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = make_url(url).database
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield f"sqlite:///{tmp_path / 'migrations.db'}"


def _drift(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_check_downgrade_upgrade(empty_database_url: str) -> None:
    url = empty_database_url
    heads = ScriptDirectory.from_config(alembic_config(url)).get_heads()
    assert len(heads) == 1, f"migrations branch: {heads}"

    upgrade(url)
    assert _drift(url) == []
    assert set(Base.metadata.tables) <= _tables(url)
    engine = make_engine(url)
    try:
        assert is_at_head(engine)
        with engine.connect() as connection:
            seeded = connection.execute(text("SELECT count(*) FROM programmes")).scalar_one()
        assert seeded == 7
    finally:
        engine.dispose()

    downgrade(url, "base")
    assert _tables(url) <= {"alembic_version"}

    upgrade(url)
    assert _drift(url) == []
