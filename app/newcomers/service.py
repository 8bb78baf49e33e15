"""Newcomer use cases: scope from the key, domain checks, and an audit event for every write
and every read of a record (a list writes one ``list`` event per record returned, so the log
answers "who has seen this person's record" — no personal data is ever written to it)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from app import audit, clock
from app.auth import Principal
from app.bulk import bulk_create
from app.errors import Forbidden, ValidationFailed
from app.etag import check_if_match
from app.gdpr.service import erase_traces
from app.households.service import before_erasure, check_own_programmes, lock_household_of
from app.models import Newcomer, Programme
from app.newcomers import repository
from app.newcomers.schemas import NewcomerCreate, NewcomerUpdate
from app.pagination import PageParams
from app.programmes.service import check_ages, check_codes
from app.resources import apply_changes

RESOURCE = "newcomer"
#: The stored fields the cross-field rules read when a PATCH leaves them out.
_CHECKED = ("programmes", "birth_date", "lat", "lon")


def list_newcomers(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    municipality: str | None,
    active: bool | None,
) -> tuple[Sequence[Any], str | None]:
    """A page of the newcomers the caller may see, as rows of their columns (each read is
    audited)."""
    rows, cursor = repository.list_rows(
        session, principal, params, municipality=municipality, active=active
    )
    audit.record_many(session, principal, "list", RESOURCE, [row.id for row in rows])
    return rows, cursor


def search_newcomers(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    name: str | None = None,
    municipality: str | None = None,
    programme: str | None = None,
    state: str | None = None,
) -> tuple[Sequence[Newcomer], str | None]:
    """The desk's list: a filtered page of the newcomers the caller may see (each audited)."""
    rows, cursor = repository.search_scoped(
        session,
        principal,
        params,
        name=name,
        municipality=municipality,
        programme=programme,
        state=state,
    )
    for row in rows:
        audit.record(session, principal, "list", RESOURCE, row.id)
    return rows, cursor


def get_newcomer(session: Session, principal: Principal, newcomer_id: int) -> Newcomer:
    """One newcomer in the caller's scope (audited)."""
    row = repository.get_scoped(session, principal, newcomer_id)
    audit.record(session, principal, "read", RESOURCE, row.id)
    return row


def prepare_newcomer(
    session: Session,
    principal: Principal,
    data: NewcomerCreate,
    *,
    programmes: Mapping[str, Programme] | None = None,
) -> dict[str, Any]:
    """Every rule of a new newcomer (403 outside the caller's municipalities, 422 naming the
    field); the row's values. ``programmes`` (all, by code) spares a query per record."""
    if not repository.in_scope(principal, data.municipality):
        raise Forbidden(f"The key may not register newcomers in {data.municipality}")
    values = data.model_dump()
    if values["registered_at"] is None:
        values["registered_at"] = clock.utcnow()
    _check(session, values, held_programmes=(), programmes=programmes)
    return values


def create_newcomer(session: Session, principal: Principal, data: NewcomerCreate) -> Newcomer:
    """Register a newcomer in one of the caller's municipalities (403 elsewhere)."""
    row = Newcomer(**prepare_newcomer(session, principal, data))
    session.add(row)
    session.flush()
    audit.record(session, principal, "create", RESOURCE, row.id)
    return row


def create_newcomers(
    session: Session, principal: Principal, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert newcomers whose values :func:`prepare_newcomer` made, in one multi-row
    statement, each audited ``create``; their ids, in order."""
    return bulk_create(session, principal, Newcomer, RESOURCE, rows)


def update_newcomer(
    session: Session,
    principal: Principal,
    newcomer_id: int,
    data: NewcomerUpdate,
    if_match: str | None,
) -> Newcomer:
    """Change a newcomer (412 when stale; 403 when moved outside the caller's municipalities)."""
    row = repository.get_scoped(session, principal, newcomer_id, for_update=True)
    check_if_match(if_match, row.version)
    changes = data.changes()
    if "municipality" in changes and not repository.in_scope(principal, changes["municipality"]):
        raise Forbidden(f"The key may not move newcomers to {changes['municipality']}")
    merged = {column: getattr(row, column) for column in _CHECKED} | changes
    _check(session, merged, held_programmes=row.programmes)
    if "programmes" in changes:
        check_own_programmes(session, row.id, changes["programmes"])
    if apply_changes(row, changes):
        session.flush()
        audit.record(session, principal, "update", RESOURCE, row.id)
    return row


def delete_newcomer(
    session: Session, principal: Principal, newcomer_id: int, if_match: str | None
) -> None:
    """Erase a newcomer for good, with their matches and unmatched-run entries (GDPR)."""
    lock_household_of(session, newcomer_id)  # before the newcomer: the lock order of erasures
    row = repository.get_scoped(session, principal, newcomer_id, for_update=True)
    check_if_match(if_match, row.version)
    erase_traces(session, [newcomer_id])  # what their Idempotency-Keys kept of the request
    before_erasure(session, [newcomer_id])  # the household stays with the others
    repository.delete(session, row)
    audit.record(session, principal, "delete", RESOURCE, newcomer_id)


def _check(
    session: Session,
    values: dict[str, Any],
    *,
    held_programmes: Sequence[str],
    programmes: Mapping[str, Programme] | None = None,
) -> None:
    """Rules across fields and against stored programmes (422 naming the field)."""
    if (values["lat"] is None) != (values["lon"] is None):
        raise ValidationFailed("lat", "lat and lon are given together or not at all")
    programmes = check_codes(
        session, values["programmes"], already=held_programmes, known=programmes
    )
    check_ages(programmes, values["programmes"], values["birth_date"])
