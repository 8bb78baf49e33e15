"""Association use cases. Only admins write; every write is audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.associations import repository
from app.associations.schemas import AssociationCreate, AssociationUpdate
from app.auth import Principal
from app.errors import Conflict, ValidationFailed
from app.etag import check_if_match
from app.models import Association
from app.pagination import PageParams
from app.resources import apply_changes

RESOURCE = "association"


def _check_webhook(row: Association) -> None:
    # A webhook's messages are signed: no URL without its secret.
    if row.webhook_url and not row.webhook_secret:
        raise ValidationFailed("webhook_secret", "required with a webhook_url")


def list_associations(
    session: Session, principal: Principal, params: PageParams
) -> tuple[Sequence[Association], str | None]:
    """A page of the associations the caller may see."""
    return repository.list_scoped(session, principal, params)


def get_association(session: Session, principal: Principal, association_id: int) -> Association:
    """One association in the caller's scope."""
    return repository.get_scoped(session, principal, association_id)


def by_signup_token(session: Session, token: str) -> Association:
    """The association a public sign-up link names (404 for any other token)."""
    return repository.by_signup_token(session, token)


def create_association(
    session: Session, principal: Principal, data: AssociationCreate
) -> Association:
    """Register an association."""
    row = Association(**data.model_dump())
    _check_webhook(row)
    session.add(row)
    session.flush()
    audit.record(session, principal, "create", RESOURCE, row.id)
    return row


def update_association(
    session: Session,
    principal: Principal,
    association_id: int,
    data: AssociationUpdate,
    if_match: str | None,
) -> Association:
    """Change an association (412 when ``if_match`` is stale)."""
    row = repository.get_scoped(session, principal, association_id, for_update=True)
    check_if_match(if_match, row.version)
    if apply_changes(row, data.changes()):
        _check_webhook(row)
        session.flush()
        audit.record(session, principal, "update", RESOURCE, row.id)
    return row


def delete_association(
    session: Session, principal: Principal, association_id: int, if_match: str | None
) -> None:
    """Delete an association without mentors; its API keys go with it."""
    row = repository.get_scoped(session, principal, association_id, for_update=True)
    check_if_match(if_match, row.version)
    if repository.has_mentors(session, row.id):
        raise Conflict("The association still has mentors; delete or move them first")
    session.delete(row)
    try:
        session.flush()
    except IntegrityError as exc:  # a mentor registered concurrently
        raise Conflict("The association still has mentors; delete or move them first") from exc
    audit.record(session, principal, "delete", RESOURCE, association_id)
