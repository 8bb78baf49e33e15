"""API keys, roles and scopes.

A key looks like ``mk_<prefix>_<secret>``. The prefix finds the row; only a SHA-256 of the
secret is stored (the secret is 256 random bits, so a slow hash adds nothing) and it is
compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from app.db import SessionDep
from app.errors import Forbidden, TooManyRequests, Unauthorized
from app.models import ApiKey
from app.principal import ROLES as ROLES
from app.principal import SYSTEM as SYSTEM
from app.principal import Principal as Principal
from app.principal import Role as Role
from app.query_params import refuse_unknown_query
from app.ratelimit import FailureLimiter

#: The ``Authorization: Bearer`` credentials of a request (None without them).
bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer mk_...`")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_key_material() -> tuple[str, str, str]:
    """A fresh ``(key, prefix, secret_hash)``; only the last two are stored."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"mk_{prefix}_{secret}", prefix, _hash(secret)


def issue_key(
    session: Session,
    *,
    name: str,
    role: Role,
    association_id: int | None = None,
    municipalities: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key and return it with its plaintext (shown once, never stored)."""
    key, prefix, secret_hash = new_key_material()
    row = ApiKey(
        name=name,
        role=role,
        association_id=association_id,
        municipalities=sorted(set(municipalities or [])),
        prefix=prefix,
        secret_hash=secret_hash,
    )
    session.add(row)
    session.flush()
    return row, key


_KEYS: Table = ApiKey.__table__  # type: ignore[assignment]
#: The key lookup of every request: only the columns needed, not an ORM object, in a Core
#: statement built once (no statement to build, and its cache key is computed once).
_BY_PREFIX = select(
    _KEYS.c.id,
    _KEYS.c.role,
    _KEYS.c.association_id,
    _KEYS.c.municipalities,
    _KEYS.c.secret_hash,
    _KEYS.c.revoked_at,
).where(_KEYS.c.prefix == bindparam("prefix"))


def authenticate(session: Session, key: str) -> Principal | None:
    """The principal of a presented key, or None when it is unknown, malformed or revoked."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "mk":
        return None
    row = session.execute(_BY_PREFIX, {"prefix": parts[1]}).one_or_none()
    # Hash even when no row matched, so timing does not tell whether a prefix exists.
    presented = _hash(parts[2])
    stored = row.secret_hash if row is not None else _hash("")
    if not hmac.compare_digest(presented, stored) or row is None or row.revoked_at is not None:
        return None
    role: Role = row.role
    return Principal(
        key_id=row.id,
        role=role,
        association_id=row.association_id,
        municipalities=tuple(row.municipalities or ()),
    )


class RoleRule:
    """A route dependency admitting only the given roles; every API route declares one."""

    def __init__(self, *roles: Role) -> None:
        self.roles = frozenset(roles)

    def __call__(
        self,
        request: Request,
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    ) -> Principal:
        principal = self.admit(request, session, credentials)
        # Every API route has a role rule, so this is where unknown query parameters are
        # refused: after the key (a 401 first), before the route runs.
        refuse_unknown_query(request)
        return principal

    def admit(
        self, request: Request, session: Session, credentials: HTTPAuthorizationCredentials | None
    ) -> Principal:
        """The caller (also on ``request.state``): 401 or 429 without a valid key, 403 when
        its role is not one of the rule's."""
        principal = None
        if credentials is not None and credentials.scheme.lower() == "bearer":
            principal = authenticate(session, credentials.credentials)
        if principal is None:
            raise _refusal(request)
        request.state.principal = principal
        if principal.role not in self.roles:
            raise Forbidden(f"The role {principal.role!r} may not do this")
        return principal


def _refusal(request: Request) -> Unauthorized | TooManyRequests:
    """401 for a request without a valid key; 429 once its address has failed too often.

    Only a presented ``Authorization`` header that fails counts (a request without one is
    not an attempt); a valid key is checked first and never counted or refused here.
    """
    challenge = {"WWW-Authenticate": 'Bearer realm="makker"'}
    if "authorization" not in request.headers:
        return Unauthorized("An API key is required", headers=challenge)
    limiter: FailureLimiter = request.app.state.auth_failures
    address = request.client.host if request.client else "unknown"
    wait = limiter.fail(address)
    if wait is not None:
        return TooManyRequests(
            "Too many failed authentications from this address", headers={"Retry-After": str(wait)}
        )
    return Unauthorized("The API key is not valid", headers=challenge)


def allow(*roles: Role) -> RoleRule:
    """The role rule for a route: ``principal: Annotated[Principal, Depends(allow(...))]``."""
    return RoleRule(*roles)


AdminOnly = Annotated[Principal, Depends(allow("admin"))]
AnyRole = Annotated[Principal, Depends(allow(*ROLES))]
Staff = Annotated[Principal, Depends(allow("admin", "coordinator"))]
