"""Account use cases: invitations and password resets by one-time link, sign-in with a rate
limit on failures, and server-side sessions that expire after inactivity.

Every account acts as a :class:`~app.auth.Principal` with exactly an API key's role and scope,
so the services scope a person's reads and writes by the same rule as a key's. Tokens (links,
session cookies) are 256 random bits; only their SHA-256 is stored, like the API keys' secrets.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from sqlalchemy.orm import Session

from app import audit
from app.accounts import repository
from app.accounts.schemas import AccountCreate, normalise_email
from app.api_keys.service import check_role_scope
from app.auth import SYSTEM, Principal, Role
from app.config import Settings
from app.db import make_engine, make_sessionmaker, utcnow, writing
from app.errors import Conflict, Forbidden, NotFound
from app.models import Account, AccountSession, AccountToken

RESOURCE = "account"
INVITE, RESET = "invite", "reset"
_LINK_PATHS = {INVITE: "invitation", RESET: "reset"}

_hasher = PasswordHasher()
#: Verified against when no account has the address, so timing does not tell whether it has.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def hash_token(token: str) -> str:
    """The stored form of a link or session token."""
    return hashlib.sha256(token.encode()).hexdigest()


def principal_of(account: Account) -> Principal:
    """The principal a signed-in person acts as: the account's role and scope."""
    role: Role = account.role  # type: ignore[assignment]
    return Principal(
        key_id=None,
        role=role,
        association_id=account.association_id,
        municipalities=tuple(account.municipalities or ()),
        account_id=account.id,
    )


# -- invitations and resets ----------------------------------------------------------------


def invite(
    session: Session, principal: Principal, data: AccountCreate, settings: Settings
) -> tuple[Account, str]:
    """Create an account without a password and return it with its invitation link (admins)."""
    _require_admin(principal)
    check_role_scope(session, data.role, data.association_id, data.municipalities, holder="account")
    if repository.by_email(session, data.email) is not None:
        raise Conflict("An account with this e-mail address already exists")
    account = Account(
        email=data.email,
        role=data.role,
        association_id=data.association_id,
        municipalities=sorted(data.municipalities),
        language=data.language,
    )
    session.add(account)
    session.flush()
    link = _issue_link(session, account, INVITE, settings)
    audit.record(session, principal, "invite", RESOURCE, account.id)
    return account, link


def reset_link(session: Session, principal: Principal, email: str, settings: Settings) -> str:
    """A fresh password-reset link for the account of ``email`` (earlier ones stop working)."""
    try:
        normalised = normalise_email(email)
    except ValueError:
        normalised = email
    account = repository.by_email(session, normalised)
    if account is None:
        raise NotFound("No account has this e-mail address")
    return reset_link_for(session, principal, account.id, settings)


def reset_link_for(
    session: Session, principal: Principal, account_id: int, settings: Settings
) -> str:
    """A fresh password-reset link for an account (admins; earlier ones stop working)."""
    _require_admin(principal)
    account = repository.by_id(session, account_id)
    if account is None:
        raise NotFound(f"No account {account_id}")
    link = _issue_link(session, account, RESET, settings)
    audit.record(session, principal, "reset_link", RESOURCE, account.id)
    return link


def disable_account(session: Session, principal: Principal, account_id: int) -> Account:
    """Disable an account (admins; idempotent): it cannot sign in, and its sessions end now.
    An admin cannot disable their own account (409), so someone can always sign in."""
    _require_admin(principal)
    account = repository.by_id(session, account_id)
    if account is None:
        raise NotFound(f"No account {account_id}")
    if account.id == principal.account_id:
        raise Conflict("You cannot disable your own account")
    if account.disabled_at is None:
        account.disabled_at = utcnow()
        repository.end_sessions(session, account.id)
        session.flush()
        audit.record(session, principal, "disable", RESOURCE, account.id)
    return account


def set_language(session: Session, account: Account, language: str) -> bool:
    """The account's own language (``da`` or ``en``: its notifications are written in it);
    whether it changed (audited ``language``)."""
    if language not in ("da", "en"):
        raise ValueError("language must be da or en")
    if account.language == language:
        return False
    account.language = language
    session.flush()
    audit.record(session, principal_of(account), "language", RESOURCE, account.id)
    return True


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("Only an admin manages accounts")


def _issue_link(session: Session, account: Account, purpose: str, settings: Settings) -> str:
    now = utcnow()
    hours = settings.invitation_ttl_hours if purpose == INVITE else settings.reset_ttl_hours
    repository.retire_tokens(session, account.id, purpose, now)
    token = secrets.token_urlsafe(32)
    session.add(
        AccountToken(
            account_id=account.id,
            purpose=purpose,
            token_hash=hash_token(token),
            expires_at=now + timedelta(hours=hours),
        )
    )
    session.flush()
    return f"{settings.public_url.rstrip('/')}/{_LINK_PATHS[purpose]}/{token}"


def valid_link(
    session: Session, token: str, purpose: str, *, lock: bool = True
) -> AccountToken | None:
    """The unused, unexpired link of ``purpose`` (locked unless ``lock`` is false, as for
    showing its form in a reader's session); None otherwise."""
    row = repository.token_by_hash(session, hash_token(token), purpose, lock=lock)
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        return None
    return row


def redeem_link(session: Session, link: AccountToken, password: str) -> Account:
    """Set the password through a link (used once) and sign the account out everywhere."""
    account = repository.by_id(session, link.account_id)
    if account is None:  # the cascade removes links with their account; kept for mypy
        raise NotFound("No such account")
    link.used_at = utcnow()
    account.password_hash = _hasher.hash(password)
    repository.end_sessions(session, account.id)
    session.flush()
    audit.record(session, principal_of(account), "set_password", RESOURCE, account.id)
    return account


def set_password_from_demo(session: Session, account: Account, password: str) -> None:
    """Set a demo account's password directly (``makker demo-up`` only; people use links)."""
    account.password_hash = _hasher.hash(password)
    repository.end_sessions(session, account.id)
    session.flush()


# -- signing in ----------------------------------------------------------------------------


class SignInLimiter:
    """Failed sign-ins allowed per client address and per account, in a moving window.

    Kept in the process's memory (``limits``): one process serves the desk; several would each
    keep their own count (a shared storage such as Redis is one ``limits`` URI away).
    """

    def __init__(self, settings: Settings) -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._per_address = parse(settings.signin_limit_per_address)
        self._per_account = parse(settings.signin_limit_per_account)

    @staticmethod
    def _account_key(email: str) -> str:
        # The address itself is not kept, even in memory.
        return hash_token(email.strip().lower())

    def allowed(self, address: str, email: str) -> bool:
        """Whether another attempt may be checked now."""
        return self._limiter.test(self._per_address, "address", address) and self._limiter.test(
            self._per_account, "account", self._account_key(email)
        )

    def failed(self, address: str, email: str) -> None:
        """Count a failed attempt against both."""
        self._limiter.hit(self._per_address, "address", address)
        self._limiter.hit(self._per_account, "account", self._account_key(email))


def check_password(session: Session, email: str, password: str) -> Account | None:
    """The active account whose address and password these are, else None (same work either
    way). Rehashes a password stored with weaker parameters."""
    try:
        normalised = normalise_email(email)
    except ValueError:
        normalised = email.strip()
    account = repository.by_email(session, normalised)
    stored = account.password_hash if account is not None else None
    try:
        _hasher.verify(stored or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if account is None or stored is None or account.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(stored):
        account.password_hash = _hasher.hash(password)
    return account


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live desk session and the account it belongs to."""

    row: AccountSession
    account: Account

    @property
    def principal(self) -> Principal:
        return principal_of(self.account)


def start_session(
    session: Session, account: Account, settings: Settings
) -> tuple[AccountSession, str]:
    """A new session for ``account`` (audited; the account's expired ones are removed);
    returns the row and the cookie's token."""
    now = utcnow()
    repository.end_stale_sessions(
        session,
        account.id,
        idle_since=now - timedelta(minutes=settings.session_idle_minutes),
        created_before=now - timedelta(hours=settings.session_max_hours),
    )
    token = secrets.token_urlsafe(32)
    row = AccountSession(
        account_id=account.id, token_hash=hash_token(token), csrf_token=secrets.token_urlsafe(32)
    )
    session.add(row)
    session.flush()
    audit.record(session, principal_of(account), "sign_in", RESOURCE, account.id)
    return row, token


def resume_session(session: Session, token: str, settings: Settings) -> SignedIn | None:
    """The live session of a cookie, touched; an expired or orphaned one is deleted.

    Serving a page that only reads, ``session`` is a reader's: the touch and the deletion are
    then committed in a short writer's transaction of their own (:func:`app.db.writing`), so
    such a page takes no write lock for them; in a writer's session they join its transaction.
    """
    row = repository.session_by_hash(session, hash_token(token))
    if row is None:
        return None
    now = utcnow()
    account = repository.by_id(session, row.account_id)
    idle = now - row.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
    too_old = now - row.created_at > timedelta(hours=settings.session_max_hours)
    if account is None or account.disabled_at is not None or idle or too_old:
        with writing(session) as writer:
            repository.end_session(writer, row.id)
        return None
    if now - row.last_seen_at > timedelta(seconds=30):  # spare a write on every request
        with writing(session) as writer:
            repository.touch_session(writer, row.id, now)
    return SignedIn(row=row, account=account)


def end_session(session: Session, signed_in: SignedIn) -> None:
    """Sign out (audited)."""
    session.delete(signed_in.row)
    session.flush()
    audit.record(session, signed_in.principal, "sign_out", RESOURCE, signed_in.account.id)


def csrf_matches(expected: str, presented: str | None) -> bool:
    """Constant-time comparison of a form's CSRF token."""
    return presented is not None and hmac.compare_digest(expected.encode(), presented.encode())


# -- the command line ----------------------------------------------------------------------


def invite_from_cli(
    settings: Settings,
    *,
    email: str,
    role: str,
    association_id: int | None,
    municipalities: list[str],
) -> str:
    """``makker invite``: create the account in its own transaction; returns the link."""
    data = AccountCreate.model_validate(
        {
            "email": email,
            "role": role,
            "association_id": association_id,
            "municipalities": municipalities,
        }
    )
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            _account, link = invite(session, SYSTEM, data, settings)
    finally:
        engine.dispose()
    return link


def reset_link_from_cli(settings: Settings, *, email: str) -> str:
    """``makker reset-link``: a fresh reset link in its own transaction."""
    engine = make_engine(settings.database_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            return reset_link(session, SYSTEM, email, settings)
    finally:
        engine.dispose()


def list_accounts(session: Session, principal: Principal) -> Sequence[Account]:
    """Every account (admins only)."""
    _require_admin(principal)
    return repository.list_all(session)
