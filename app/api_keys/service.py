"""API key use cases, for the API and for ``makker create-key``."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from app import audit
from app.api_keys import repository
from app.api_keys.schemas import ApiKeyCreate
from app.associations.repository import exists_by_id
from app.auth import SYSTEM, Principal, issue_key
from app.db import make_engine, make_sessionmaker, utcnow
from app.errors import Conflict, ValidationFailed
from app.models import ApiKey
from app.pagination import PageParams

RESOURCE = "api_key"


def list_keys(
    session: Session, params: PageParams, revoked: bool | None
) -> tuple[Sequence[ApiKey], str | None]:
    """A page of keys (metadata only)."""
    return repository.list_page(session, params, revoked=revoked)


def get_key(session: Session, key_id: int) -> ApiKey:
    """One key's metadata."""
    return repository.get(session, key_id)


def create_key(session: Session, principal: Principal, data: ApiKeyCreate) -> tuple[ApiKey, str]:
    """Issue a key; returns the row and the key (shown once, stored only as a hash)."""
    municipalities = data.municipalities or []
    check_role_scope(session, data.role, data.association_id, municipalities)
    row, key = issue_key(
        session,
        name=data.name,
        role=data.role,
        association_id=data.association_id,
        municipalities=municipalities,
    )
    audit.record(session, principal, "create", RESOURCE, row.id)
    return row, key


def check_role_scope(
    session: Session,
    role: str,
    association_id: int | None,
    municipalities: Sequence[str],
    *,
    holder: str = "key",
) -> None:
    """The one rule for a role's scope, for keys and desk accounts alike (422 naming the field):
    an association's names an existing association, a coordinator's its municipalities, and
    no role carries the other's scope."""
    if role == "association":
        if association_id is None:
            raise ValidationFailed(
                "association_id", f"an association {holder} names its association"
            )
        if not exists_by_id(session, association_id):
            raise ValidationFailed("association_id", f"no association {association_id}")
    elif association_id is not None:
        raise ValidationFailed("association_id", f"a {role} {holder} has no association")
    if role == "coordinator" and not municipalities:
        raise ValidationFailed("municipalities", f"a coordinator {holder} names its municipalities")
    if role != "coordinator" and municipalities:
        raise ValidationFailed("municipalities", f"a {role} {holder} has no municipalities")


def revoke_key(session: Session, principal: Principal, key_id: int) -> None:
    """Revoke a key at once (idempotent): it answers 401 from now on.

    The last unrevoked admin key is refused (409): without it nobody could manage keys.
    """
    if repository.get(session, key_id).role == "admin":
        live = repository.lock_live_admins(session)
        if live == [key_id]:
            raise Conflict(
                "This is the last active admin key; create another admin key before revoking it"
            )
    row = repository.get(session, key_id, for_update=True)
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit.record(session, principal, "revoke", RESOURCE, row.id)


def create_key_from_cli(
    database_url: str,
    *,
    role: str,
    name: str,
    association_id: int | None = None,
    municipalities: list[str] | None = None,
) -> str:
    """Issue a key in its own transaction (``makker create-key``); returns the key.

    Raises ``ValueError`` (pydantic's, for a malformed field) or an ``AppError`` subclass.
    """
    data = ApiKeyCreate.model_validate(
        {
            "name": name,
            "role": role,
            "association_id": association_id,
            "municipalities": municipalities or None,
        }
    )
    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            _row, key = create_key(session, SYSTEM, data)
    finally:
        engine.dispose()
    return key
