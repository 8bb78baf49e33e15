"""An unexpected error is logged by its class and where it happened, never by its message:
a database error's message carries the failing row (PostgreSQL's DETAIL) and a pydantic
error the input values, both people's names."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import SessionDep
from app.logs import JsonFormatter
from app.main import create_app
from app.models import Newcomer
from app.newcomers.schemas import NewcomerCreate
from tests.app import bodies

MARKER = "Tracebackleakname"


def _insert_without_a_last_name(session: SessionDep) -> None:
    # NOT NULL fails; PostgreSQL's DETAIL then repeats the whole row, the name included.
    now = datetime.now(UTC)
    session.execute(
        insert(Newcomer).values(
            municipality="101",
            first_name=MARKER,
            last_name=None,
            languages=["ar"],
            programmes=["mentor"],
            interests=[],
            registered_at=now,
            active=True,
            created_at=now,
            updated_at=now,
            version=1,
        )
    )


def _validate_a_bad_record() -> None:
    # A ValidationError's message quotes the input value.
    NewcomerCreate.model_validate(bodies.newcomer(first_name=f"{MARKER}\x01"))


@pytest.fixture
def probed_app(database_url: str) -> Iterator[FastAPI]:
    """The app, with two routes that fail as a bug would (probes, not replacements)."""
    application = create_app(
        Settings(database_url=database_url, log_level="INFO", embedded_worker=False)
    )
    application.add_api_route("/probe/sql", _insert_without_a_last_name, methods=["POST"])
    application.add_api_route("/probe/pydantic", _validate_a_bad_record, methods=["POST"])
    yield application
    application.state.engine.dispose()


@pytest.mark.parametrize(
    ("path", "error"), [("/probe/sql", "IntegrityError"), ("/probe/pydantic", "ValidationError")]
)
def test_an_unexpected_error_is_logged_by_class_and_location_only(
    probed_app: FastAPI,
    db: Session,
    caplog: pytest.LogCaptureFixture,
    path: str,
    error: str,
) -> None:
    caplog.set_level(logging.INFO)
    with TestClient(probed_app, raise_server_exceptions=False) as client:
        response = client.post(path, headers={"X-Request-ID": "probe-1"})
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert MARKER not in response.text

    # Rendered as the service renders its log lines (JSON on standard error).
    formatter = JsonFormatter()
    lines = [formatter.format(r) for r in caplog.records if r.name != "httpx"]
    logged = "\n".join(lines)
    assert MARKER not in logged
    (line,) = (json.loads(x) for x in lines if "exception" in json.loads(x))
    assert line["request_id"] == "probe-1"
    assert error in line["exception"]
    assert "test_log_privacy.py:" in line["exception"]  # where: file and line of each frame
    assert ("_insert_without_a_last_name" if "sql" in path else "_validate_a_bad_record") in line[
        "exception"
    ]
    # The access line still says what happened.
    assert any(json.loads(x).get("status") == 500 for x in lines)


def test_the_formatter_never_renders_an_exception_message() -> None:
    try:
        try:
            raise KeyError(MARKER)
        except KeyError as inner:
            raise RuntimeError(f"while handling {MARKER}") from inner
    except RuntimeError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, None)
        import sys

        record.exc_info = sys.exc_info()
    rendered = JsonFormatter().format(record)
    assert MARKER not in rendered
    exception = json.loads(rendered)["exception"]
    assert "RuntimeError" in exception
    assert "KeyError" in exception
    assert "test_the_formatter_never_renders_an_exception_message" in exception
