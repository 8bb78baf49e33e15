"""PostgreSQL databases made afresh for tests and benchmarks."""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def recreate(url: str, name: str, *, template: str | None = None) -> str:
    """Drop database ``name`` on ``url``'s server if it exists and create it empty (or as a
    copy of ``template``); the URL of the new database."""
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)
