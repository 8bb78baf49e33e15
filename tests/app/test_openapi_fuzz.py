"""Schemathesis against the app's own OpenAPI document: no 5xx, every answer as documented.

Bounded so that it stays a regular part of the suite (about half a minute): the explicit
examples and the random phase with ``MAKKER_FUZZ_EXAMPLES`` (default 25) cases per operation.
The coverage phase (every boundary value and malformed input of every parameter, some 3,000
requests) is off by default; run it, and harder, with
``MAKKER_FUZZ_COVERAGE=1 MAKKER_FUZZ_EXAMPLES=200 pytest tests/app/test_openapi_fuzz.py``.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from tests.app.factories import make_association, make_mentor, make_newcomer

EXAMPLES = int(os.environ.get("MAKKER_FUZZ_EXAMPLES", "25"))


def negative_data_refused(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis's ``negative_data_rejection``, except for cases that negate the headers:
    the test sends every case with a valid admin key, which repairs a header negation (a
    left-out ``Authorization``), so such a case is no longer invalid when it arrives."""
    meta = case.meta
    if meta is not None:
        headers = meta.components.get(ParameterLocation.HEADER)
        if headers is not None and headers.mode.is_negative:
            return None
    return negative_data_rejection(ctx, response, case)


COVERAGE = os.environ.get("MAKKER_FUZZ_COVERAGE", "") not in {"", "0"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_refused,
]


# The document is read from an app of its own (no database is touched to build it); each case
# is then sent to the test app, on the test database.
schema = schemathesis.openapi.from_asgi(
    "/openapi.json",
    create_app(Settings(database_url="sqlite://", log_level="WARNING", embedded_worker=False)),
    config=schemathesis.Config.from_dict({"phases": {"coverage": {"enabled": COVERAGE}}}),
)


@pytest.fixture
def data(db: Session) -> None:
    """A little data, so that reads sometimes find a record."""
    association = make_association(db)
    make_mentor(db, association)
    make_newcomer(db)


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_conforms(
    case: Any, app: FastAPI, data: None, admin: dict[str, str]
) -> None:
    case.call_and_validate(headers=admin, checks=CHECKS, app=app)
