"""Spreadsheet imports of newcomers (coordinators) and mentors (associations), in two steps.

1. :func:`preview` reads the file, turns each row into the API's request body (Danish
   columns, see :mod:`app.spreadsheets.columns`) and runs it through the API's own schema
   and the create service's rules (``prepare_newcomer`` / ``prepare_mentor``, which
   ``POST /newcomers`` and ``POST /mentors`` run before they insert): every rule is the
   API's, every error is reported by row and Danish column, and nothing is written but the
   preview. The bodies are stored server-side (``SpreadsheetImport``) for ``PREVIEW_TTL``.
2. :func:`commit` checks every row again by the same rules and inserts them all in one
   multi-row statement in the request's transaction (all rows or none: any error is a 422
   and nothing is written), once: a second commit answers with the records the first made.

A mentors' import is for one association: an association's own, or the one an admin names
(:func:`app.mentors.service.owner_of`, checked before anything is written); the preview is
tied to it, and a commit naming another is refused.

No cell value is ever logged; the audit log gets one event per record and one ``import``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from itertools import zip_longest
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app import audit, clock
from app.auth import Principal
from app.errors import AppError, Forbidden, Gone, NotFound, ValidationFailed
from app.mentors import service as mentors
from app.mentors.schemas import MentorCreate
from app.models import SpreadsheetImport
from app.newcomers import service as newcomers
from app.newcomers.schemas import NewcomerCreate
from app.programmes.service import all_by_code
from app.spreadsheets.columns import MENTOR_COLUMNS, NEWCOMER_COLUMNS, CellError, Column
from app.spreadsheets.reading import Table, read_table

Kind = Literal["newcomers", "mentors"]
#: How long a preview waits for its commit.
PREVIEW_TTL = timedelta(hours=1)
#: Rows of the preview shown in its answer (all are stored and committed).
SAMPLE_ROWS = 20
RESOURCE = "spreadsheet_import"


#: A create service's rules for one record: its row's values (or an AppError).
Prepare = Callable[..., dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Kind:
    columns: tuple[Column, ...]
    schema: type[BaseModel]
    #: The create service's rules (``prepare_newcomer``, ``prepare_mentor``).
    prepare: Prepare
    #: The create service's multi-row insert of prepared values.
    create_many: Callable[[Session, Principal, Sequence[dict[str, Any]]], list[int]]
    #: Keyword arguments ``prepare`` takes to read shared data once per import (given the
    #: import's association, None for newcomers).
    shared: Callable[[Session, int | None], dict[str, Any]]
    #: The field a 403 of the service is about (a newcomer outside the key's municipalities).
    forbidden_field: str | None = None


KINDS: dict[str, _Kind] = {
    "newcomers": _Kind(
        NEWCOMER_COLUMNS,
        NewcomerCreate,
        newcomers.prepare_newcomer,
        newcomers.create_newcomers,
        lambda session, _association: {"programmes": all_by_code(session)},
        "municipality",
    ),
    "mentors": _Kind(
        MENTOR_COLUMNS,
        MentorCreate,
        mentors.prepare_mentor,
        mentors.create_mentors,
        lambda session, association: {
            "programmes": all_by_code(session),
            "held": set(),
            "owner": association,
        },
    ),
}


class RowError(BaseModel):
    """One error: the sheet's row number (the header is row 1) and the Danish column."""

    row: int
    column: str | None
    field: str | None
    message: str
    #: What kind of error, for a translation: pydantic's error type (``missing``,
    #: ``value_error`` …), a cell's (``date``, ``number``, ``whole_number``, ``yes_no``), the
    #: header's (``unknown_column``, ``column_missing``), or ``rule`` (the create service's).
    type: str | None = None


class ImportPreview(BaseModel):
    """An uploaded file, read and checked; commit it by ``id`` before ``expires_at``."""

    id: str
    kind: Kind
    #: The association the mentors are imported for (None for newcomers).
    association_id: int | None = None
    rows: int
    valid_rows: int
    errors: list[RowError]
    sample: list[dict[str, Any]]
    expires_at: Any
    committed: bool


class ImportResult(BaseModel):
    """A committed import: the records made (the same answer every time it is committed)."""

    id: str
    kind: Kind
    association_id: int | None = None
    created: int
    ids: list[int]
    committed_at: Any


class ImportFailed(ValidationFailed):
    """A 422 listing every row's errors (nothing written)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        AppError.__init__(
            self,
            f"{len(errors)} errors in the spreadsheet; nothing was imported",
            errors=[
                {"field": f"row {e.row}: {e.column or e.field or 'file'}", "message": e.message}
                for e in errors
            ],
        )


def _bodies(
    table: Table, columns: Sequence[Column]
) -> tuple[list[tuple[int, dict[str, Any]]], list[RowError]]:
    by_name = {c.name.casefold(): c for c in columns}
    errors: list[RowError] = []
    mapped: list[Column | None] = []
    for name in table.header:
        column = by_name.get(name.casefold())
        if column is None and name:
            errors.append(
                RowError(
                    row=1, column=name, field=None, message="unknown column", type="unknown_column"
                )
            )
        mapped.append(column)
    present = {c.name for c in mapped if c is not None}
    for column in columns:
        if column.required and column.name not in present:
            errors.append(
                RowError(
                    row=1,
                    column=column.name,
                    field=column.field,
                    message="column missing",
                    type="column_missing",
                )
            )
    bodies: list[tuple[int, dict[str, Any]]] = []
    for number, cells in table.rows:
        body: dict[str, Any] = {}
        for column, cell in zip_longest(mapped, cells):  # a short row: empty cells
            if column is None:
                continue
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                if column.blank is not None:
                    body[column.field] = column.blank
                continue
            try:
                body[column.field] = column.convert(cell)
            except CellError as exc:
                errors.append(
                    RowError(
                        row=number,
                        column=column.name,
                        field=column.field,
                        message=str(exc),
                        type=exc.kind,
                    )
                )
                body[column.field] = None  # refused below as well; the cell error names it
        bodies.append((number, body))
    return bodies, errors


def _column_of(columns: Sequence[Column], field: str) -> str | None:
    head = field.split(".", 1)[0]
    return next((c.name for c in columns if c.field == head), None)


def _run(
    session: Session,
    principal: Principal,
    kind: _Kind,
    number: int,
    body: dict[str, Any],
    shared: dict[str, Any],
) -> tuple[dict[str, Any] | None, list[RowError]]:
    """One row through the API's schema and the create service's rules; the row's values or
    its errors. Nothing is written."""
    try:
        data = kind.schema.model_validate_json(json.dumps(body))
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False):
            field = ".".join(str(part) for part in error["loc"])
            errors.append(
                RowError(
                    row=number,
                    column=_column_of(kind.columns, field),
                    field=field,
                    message=error["msg"],
                    type=error["type"],
                )
            )
        return None, errors
    try:
        return kind.prepare(session, principal, data, **shared), []
    except AppError as exc:
        fallback = kind.forbidden_field if isinstance(exc, Forbidden) else None
        found: list[dict[str, Any]] = [dict(e) for e in exc.errors or ()] or [
            {"field": fallback, "message": exc.detail}
        ]
        return None, [
            RowError(
                row=number,
                column=_column_of(kind.columns, e["field"]) if e.get("field") else None,
                field=e.get("field"),
                message=str(e["message"]),
                type="rule",
            )
            for e in found
        ]


def _run_all(
    session: Session,
    principal: Principal,
    kind: _Kind,
    bodies: Sequence[tuple[int, dict[str, Any]]],
    association_id: int | None,
) -> tuple[list[dict[str, Any]], list[RowError]]:
    shared = kind.shared(session, association_id)
    made: list[dict[str, Any]] = []
    errors: list[RowError] = []
    for number, body in bodies:
        values, row_errors = _run(session, principal, kind, number, body, shared)
        if values is not None:
            made.append(values)
        errors += row_errors
    return made, errors


def _association(
    session: Session, principal: Principal, kind_name: Kind, requested: int | None
) -> int | None:
    """A mentors' import's association (403/422 as ``POST /mentors``); None for newcomers."""
    if kind_name == "mentors":
        return mentors.owner_of(session, principal, requested)
    if requested is not None:
        raise ValidationFailed("association_id", "newcomers belong to no association")
    return None


def preview(
    session: Session,
    principal: Principal,
    kind_name: Kind,
    content: bytes,
    *,
    association_id: int | None = None,
) -> ImportPreview:
    """Read and check a file for the association (mentors: the key's own, or the one an
    admin names); store its rows for :func:`commit`. Nothing else is written."""
    kind = KINDS[kind_name]
    association = _association(session, principal, kind_name, association_id)
    now = clock.utcnow()
    session.execute(delete(SpreadsheetImport).where(SpreadsheetImport.expires_at < now))
    table = read_table(content)
    bodies, errors = _bodies(table, kind.columns)
    _valid, row_errors = _run_all(session, principal, kind, bodies, association)
    errors = sorted(errors + row_errors, key=lambda e: (e.row, e.column or ""))
    row = SpreadsheetImport(
        token=secrets.token_urlsafe(32),
        kind=kind_name,
        owner=principal.actor,
        association_id=association,
        expires_at=now + PREVIEW_TTL,
        rows=[{"row": number, "body": body} for number, body in bodies],
        errors=[e.model_dump() for e in errors],
        row_count=len(bodies),
    )
    session.add(row)
    session.flush()
    audit.record(session, principal, "preview", RESOURCE, row.token)
    bad_rows = {e.row for e in errors if e.row > 1}
    return ImportPreview(
        id=row.token,
        kind=kind_name,
        association_id=association,
        rows=len(bodies),
        valid_rows=len(bodies) - len(bad_rows) if not any(e.row == 1 for e in errors) else 0,
        errors=errors,
        sample=[body for _number, body in bodies[:SAMPLE_ROWS]],
        expires_at=row.expires_at,
        committed=False,
    )


def _own(
    session: Session, principal: Principal, kind_name: Kind, import_id: str
) -> SpreadsheetImport:
    row = session.scalar(
        select(SpreadsheetImport)
        .where(
            SpreadsheetImport.token == import_id,
            SpreadsheetImport.kind == kind_name,
            SpreadsheetImport.owner == principal.actor,
        )
        .with_for_update()
    )
    if row is None:
        raise NotFound(f"No import {import_id!r}")
    return row


def _result(row: SpreadsheetImport) -> ImportResult:
    ids = list(row.created_ids or [])
    return ImportResult(
        id=row.token,
        kind=row.kind,
        association_id=row.association_id,
        created=len(ids),
        ids=ids,
        committed_at=row.committed_at,
    )


def commit(
    session: Session,
    principal: Principal,
    kind_name: Kind,
    import_id: str,
    *,
    association_id: int | None = None,
) -> ImportResult:
    """Create every row of a preview, all or none, once (410 when the preview expired). An
    ``association_id`` given must be the preview's (422 naming it otherwise)."""
    row = _own(session, principal, kind_name, import_id)
    if association_id is not None:
        named = _association(session, principal, kind_name, association_id)
        if named != row.association_id:
            raise ValidationFailed(
                "association_id",
                f"the preview was checked for association {row.association_id}, not {named};"
                " upload the file again for this one",
            )
    if row.committed_at is not None:
        return _result(row)
    if row.expires_at < clock.utcnow():
        raise Gone(f"The import {import_id!r} expired; upload the file again")
    if row.errors:
        raise ImportFailed([RowError(**e) for e in row.errors])
    kind = KINDS[kind_name]
    association = _association(session, principal, kind_name, row.association_id)
    valid, errors = _run_all(
        session, principal, kind, [(item["row"], item["body"]) for item in row.rows], association
    )
    if errors:  # the data changed since the preview (a programme retired, …)
        raise ImportFailed(errors)
    row.created_ids = kind.create_many(session, principal, valid)
    row.committed_at = clock.utcnow()
    row.rows = []  # the personal data now lives in the records themselves
    session.flush()
    audit.record(session, principal, "import", RESOURCE, row.token)
    return _result(row)
