"""Structured JSON logs carrying the request id. Never log names, e-mails or phone numbers."""

from __future__ import annotations

import json
import logging
import sys
import traceback
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_PROJECT_ROOT = str(Path(__file__).resolve().parent.parent) + "/"
_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, if any."""
    return _request_id.get()


def set_request_id(value: str | None) -> object:
    """Bind a request id to the current context; returns a token for :func:`reset_request_id`."""
    return _request_id.set(value)


def reset_request_id(token: object) -> None:
    """Undo :func:`set_request_id`."""
    _request_id.reset(token)  # type: ignore[arg-type]


def describe_exception(exc: BaseException) -> str:
    """An exception by its class and where it happened, never by its message.

    A message can hold people's data: a database error's (PostgreSQL's ``DETAIL: Failing row
    contains (...)``), a pydantic error's ``input_value``, any ``str`` of a record. So only
    each exception's class (and a database error's SQLSTATE), and each frame's file, line and
    function, are rendered; causes and contexts follow, innermost first, like Python's own.
    """
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        chain.append(current)
        seen.add(id(current))
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    blocks = []
    for item in reversed(chain):
        frames = traceback.extract_tb(item.__traceback__)
        where = "".join(f"\n  {_short(f.filename)}:{f.lineno} in {f.name}" for f in frames)
        blocks.append(f"{_class_of(item)}{where}")
    return "\n-- then --\n".join(blocks)


def _short(filename: str) -> str:
    # Installed packages from their package, the project's files from its root.
    for marker in ("site-packages/", _PROJECT_ROOT):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def _class_of(exc: BaseException) -> str:
    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    sqlstate = getattr(exc, "sqlstate", None) or getattr(
        getattr(exc, "orig", None), "sqlstate", None
    )
    return f"{name} [SQLSTATE {sqlstate}]" if isinstance(sqlstate, str) else name


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, request id and ``extra`` fields."""

    _standard = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = current_request_id()
        if request_id:
            payload["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in self._standard and not key.startswith("_"):
                payload[key] = value
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, default=str)

    def formatException(self, ei: Any) -> str:
        """Class and location only (:func:`describe_exception`)."""
        exc = ei[1] if isinstance(ei, tuple) else None
        return describe_exception(exc) if isinstance(exc, BaseException) else ""


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # Our access log replaces uvicorn's (which would print query strings).
    logging.getLogger("uvicorn.access").disabled = True
