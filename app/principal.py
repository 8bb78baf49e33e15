"""Who acts: a :class:`Principal` (an API key's, a desk account's, or the system's).

Apart from :mod:`app.auth` (which finds the principal of a request) so that the jobs, the
audit log and the bulk writes name one without importing the web framework.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["admin", "coordinator", "association"]
ROLES: tuple[Role, ...] = ("admin", "coordinator", "association")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's (or the desk account's) id, role and scope."""

    key_id: int | None
    role: Role
    association_id: int | None = None
    municipalities: tuple[str, ...] = ()
    #: A person signed in to the desk (:mod:`app.accounts`) rather than an API key.
    account_id: int | None = None
    #: Who acts without a key or an account (``"volunteer"``: the public sign-up page).
    label: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def actor(self) -> str:
        """How the audit log names the caller (no personal data)."""
        if self.account_id is not None:
            return f"account:{self.account_id}"
        if self.label is not None:
            return self.label
        return f"key:{self.key_id}" if self.key_id is not None else "system"


#: The nightly job and the CLI act as this principal.
SYSTEM = Principal(key_id=None, role="admin")
