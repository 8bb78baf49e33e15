"""Mentor use cases: owner from the key, domain checks, audit on every write."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from app import audit, clock
from app.accounts.service import hash_token
from app.associations.repository import exists_by_id, hold
from app.auth import Principal
from app.bulk import bulk_create
from app.config import Settings
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.etag import check_if_match
from app.gdpr.service import erase_traces
from app.mentors import repository
from app.mentors.schemas import MentorCreate, MentorUpdate
from app.models import Mentor, Programme
from app.notify import events
from app.pagination import PageParams
from app.programmes.service import check_codes
from app.resources import apply_changes

RESOURCE = "mentor"
#: The stored fields the cross-field rules read when a PATCH leaves them out.
_CHECKED = ("languages", "programmes", "lat", "lon")


def list_mentors(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    association_id: int | None,
    municipality: str | None,
    active: bool | None,
) -> tuple[Sequence[Mentor], str | None]:
    """A page of the mentors the caller may see."""
    return repository.list_scoped(
        session,
        principal,
        params,
        association_id=association_id,
        municipality=municipality,
        active=active,
    )


def get_mentor(session: Session, principal: Principal, mentor_id: int) -> Mentor:
    """One mentor in the caller's scope."""
    return repository.get_scoped(session, principal, mentor_id)


def prepare_mentor(
    session: Session,
    principal: Principal,
    data: MentorCreate,
    *,
    programmes: Mapping[str, Programme] | None = None,
    held: set[int] | None = None,
    owner: int | None = None,
) -> dict[str, Any]:
    """Every rule of a new mentor (the owner from the key, 422 naming the field); the row's
    values. ``programmes`` (all, by code), ``held`` (associations already held in this
    transaction) and ``owner`` (the association :func:`owner_of` chose for all of them, when
    the rows name none) spare queries when many are prepared at once."""
    values = data.model_dump()
    if owner is None or data.association_id is not None:
        owner = _owner(session, principal, data.association_id, required=True)
    values["association_id"] = owner
    if held is None or values["association_id"] not in held:
        _hold_owner(session, values["association_id"])
        if held is not None:
            held.add(values["association_id"])
    _check(session, values, held_programmes=(), programmes=programmes)
    return values


def create_mentor(session: Session, principal: Principal, data: MentorCreate) -> Mentor:
    """Register a mentor for the key's association (or, for an admin, the one named)."""
    row = Mentor(**prepare_mentor(session, principal, data))
    session.add(row)
    session.flush()
    audit.record(session, principal, "create", RESOURCE, row.id)
    return row


def create_mentors(
    session: Session, principal: Principal, rows: Sequence[dict[str, Any]]
) -> list[int]:
    """Insert mentors whose values :func:`prepare_mentor` made, in one multi-row statement,
    each audited ``create``; their ids, in order."""
    return bulk_create(session, principal, Mentor, RESOURCE, rows)


def sign_up(
    session: Session, association_id: int, data: MentorCreate, *, language: str, settings: Settings
) -> Mentor:
    """A volunteer registers themself with the association, consenting now: an inactive
    mentor (same rules as any mentor) until the association approves them, and a one-time
    link mailed to them (through the outbox, in this transaction) to confirm their address:
    the association sees the sign-up only once it is confirmed."""
    token = secrets.token_urlsafe(32)
    values = data.model_dump() | {
        "association_id": association_id,
        "active": False,
        "signup": True,
        "consent_at": clock.utcnow(),
        "signup_token_hash": hash_token(token),
    }
    _hold_owner(session, association_id)
    _check(session, values, held_programmes=())
    row = Mentor(**values)
    session.add(row)
    session.flush()
    audit.record(session, _volunteer(association_id), "signup", RESOURCE, row.id)
    link = f"{settings.public_url.rstrip('/')}/join/confirm/{token}"
    events.signup_confirmation(
        session, row, link=link, language=language, hours=settings.signup_confirm_ttl_hours
    )
    return row


def signup_to_confirm(
    session: Session, token: str, settings: Settings, *, lock: bool = False
) -> Mentor | None:
    """The unconfirmed sign-up a confirmation link names while it is valid; None otherwise."""
    row = repository.by_signup_token_hash(session, hash_token(token), lock=lock)
    expires = timedelta(hours=settings.signup_confirm_ttl_hours)
    if row is None or row.created_at + expires <= clock.utcnow():
        return None
    return row


def confirm_signup(session: Session, token: str, settings: Settings) -> Mentor:
    """The volunteer confirms their e-mail address by the link (used once): the sign-up now
    awaits the association's approval. 404 for a link used, expired or unknown."""
    row = signup_to_confirm(session, token, settings, lock=True)
    if row is None:
        raise NotFound("The confirmation link is used, expired or unknown")
    apply_changes(row, {"signup_confirmed_at": clock.utcnow(), "signup_token_hash": None})
    session.flush()
    audit.record(session, _volunteer(row.association_id), "confirm", RESOURCE, row.id)
    return row


def _volunteer(association_id: int) -> Principal:
    return Principal(
        key_id=None, role="association", association_id=association_id, label="volunteer"
    )


def pending_signups(
    session: Session, principal: Principal, params: PageParams
) -> tuple[Sequence[Mentor], str | None]:
    """A page of the caller's confirmed sign-ups awaiting approval."""
    return repository.pending_signups(session, principal, params)


def approve_signup(
    session: Session, principal: Principal, mentor_id: int, if_match: str | None
) -> Mentor:
    """The association approves a volunteer's sign-up: the mentor becomes active (409 when
    they are no sign-up awaiting approval, 412 when ``if_match`` is stale; an unconfirmed one
    is out of the association's sight: 404)."""
    row = repository.get_scoped(session, principal, mentor_id, for_update=True)
    check_if_match(if_match, row.version)
    if not row.signup or row.active or row.signup_approved_at is not None:
        raise Conflict(f"Mentor {mentor_id} is no sign-up awaiting approval")
    apply_changes(row, {"active": True, "signup_approved_at": clock.utcnow()})
    session.flush()
    audit.record(session, principal, "approve", RESOURCE, row.id)
    return row


def update_mentor(
    session: Session,
    principal: Principal,
    mentor_id: int,
    data: MentorUpdate,
    if_match: str | None,
) -> Mentor:
    """Change a mentor (412 when ``if_match`` is stale)."""
    row = repository.get_scoped(session, principal, mentor_id, for_update=True)
    check_if_match(if_match, row.version)
    changes = data.changes()
    if "association_id" in changes:
        changes["association_id"] = _owner(
            session, principal, changes["association_id"], required=False
        )
        _hold_owner(session, changes["association_id"])
    merged = {column: getattr(row, column) for column in _CHECKED} | changes
    _check(session, merged, held_programmes=row.programmes)
    if apply_changes(row, changes):
        session.flush()
        audit.record(session, principal, "update", RESOURCE, row.id)
    return row


def delete_mentor(
    session: Session, principal: Principal, mentor_id: int, if_match: str | None
) -> None:
    """Delete a mentor and, with it, the mentor's matches."""
    row = repository.get_scoped(session, principal, mentor_id, for_update=True)
    check_if_match(if_match, row.version)
    erase_traces(session, [], [mentor_id])  # what their Idempotency-Keys kept of the request
    session.delete(row)
    session.flush()
    audit.record(session, principal, "delete", RESOURCE, mentor_id)


def owner_of(session: Session, principal: Principal, requested: int | None) -> int:
    """The association new mentors belong to: the key's own (403 when ``requested`` names
    another), or for an admin the one ``requested`` names (422 on ``association_id`` when it
    names none or an unknown one)."""
    owner = _owner(session, principal, requested, required=True)
    assert owner is not None  # required: an admin's None is a 422
    return owner


def _owner(
    session: Session, principal: Principal, requested: int | None, *, required: bool
) -> int | None:
    """The owning association: the key's own, or for an admin the one in the body."""
    if not principal.is_admin:
        if requested is not None and requested != principal.association_id:
            raise Forbidden("association_id comes from the API key; it cannot name another one")
        return principal.association_id
    if requested is None:
        if required:
            raise ValidationFailed("association_id", "an admin must name the association")
        return None
    if not exists_by_id(session, requested):
        raise ValidationFailed("association_id", f"no association {requested}")
    return requested


def _hold_owner(session: Session, association_id: int | None) -> None:
    """Keep the owning association from being deleted before this commit; 409 when a
    concurrent request has deleted it already (its foreign key would fail)."""
    if association_id is not None and not hold(session, association_id):
        raise Conflict(f"Association {association_id} was deleted meanwhile")


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
    for i, code in enumerate(values["programmes"]):
        required = programmes[code].requires_language
        if required is not None and required not in values["languages"]:
            raise ValidationFailed(
                f"programmes.{i}", f"{code!r} needs a mentor who speaks {required!r}"
            )
