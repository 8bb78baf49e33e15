"""``Idempotency-Key`` on creates, by reference: the key is stored, in the create's
transaction, with the resource name and id of the record it made; a retry with the same key
and body is answered by rendering that record as it is now (its current body and ETag).

- The same key with another body or path: 422 naming ``Idempotency-Key``.
- The record is gone (erased, purged) or no longer in the caller's scope: 410, nothing made.
- Past ``MAKKER_IDEMPOTENCY_TTL_HOURS`` the key is new again; ``makker purge`` deletes such
  keys (no create sweeps them).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import Depends, Header, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import SessionDep, utcnow
from app.errors import Conflict, Gone, NotFound, ValidationFailed
from app.etag import etag_of
from app.models import IdempotencyRecord

REPLAYED = "Idempotent-Replayed"


@dataclass(frozen=True, slots=True)
class Created:
    """A create's answer: the record as the API shows it, where it lives, its version, and
    the status it is answered with (first time and replays alike)."""

    body: BaseModel
    location: str
    version: int | None = None
    status: int = 201

    def headers(self) -> dict[str, str]:
        """``Location``, and ``ETag`` for versioned records."""
        headers = {"Location": self.location}
        if self.version is not None:
            headers["ETag"] = etag_of(self.version)
        return headers


#: Renders the record a key created, as it is now, from its stored id (NotFound when gone).
Render = Callable[[str], Created]


class Idempotency:
    """Per-request handle: :meth:`replay` before creating, :meth:`created` after."""

    def __init__(self, request: Request, session: SessionDep, key: str | None, body: bytes) -> None:
        self.request = request
        self.session = session
        self.key = key
        self.body_hash = hashlib.sha256(body).hexdigest()

    def _owner(self) -> int:
        principal = getattr(self.request.state, "principal", None)
        key_id = getattr(principal, "key_id", None)
        return key_id if key_id is not None else 0

    def _expiry(self) -> datetime:
        return utcnow() - timedelta(hours=self.request.app.state.settings.idempotency_ttl_hours)

    def replay(self, render: Render) -> JSONResponse | None:
        """The answer to a retry of this key, or None when the key is new (or absent)."""
        if self.key is None:
            return None
        stored = self.session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == self._owner(), IdempotencyRecord.key == self.key
            )
        )
        if stored is None:
            return None
        if stored.created_at < self._expiry():
            # Expired (and not yet purged): the key is new again.
            self.session.delete(stored)
            self.session.flush()
            return None
        if stored.path != self.request.url.path or stored.request_hash not in (
            self.body_hash,
            None,
        ):
            raise ValidationFailed(
                "Idempotency-Key", "this key was already used for a different request"
            )
        gone = Gone("The record created under this Idempotency-Key no longer exists")
        if stored.request_hash is None:  # its record was erased
            raise gone
        try:
            answer = render(stored.record_id)
        except NotFound as exc:
            raise gone from exc
        headers = {**answer.headers(), REPLAYED: "true"}
        return JSONResponse(
            answer.body.model_dump(mode="json"), status_code=answer.status, headers=headers
        )

    def created(
        self, response: Response, answer: Created, *, resource: str, record_id: object
    ) -> BaseModel:
        """Finish a create: its headers, and the key stored with a reference to the record."""
        response.headers.update(answer.headers())
        self.save(resource, record_id)
        return answer.body

    def save(self, resource: str, record_id: object) -> None:
        """Store the key with a reference to the record it created (in the request's
        transaction); a concurrent request holding the same key makes this a 409."""
        if self.key is None:
            return
        self.session.add(
            IdempotencyRecord(
                api_key_id=self._owner(),
                key=self.key,
                method=self.request.method,
                path=self.request.url.path,
                request_hash=self.body_hash,
                resource=resource,
                record_id=str(record_id),
            )
        )
        try:
            self.session.flush()
        except IntegrityError as exc:
            raise Conflict("A request with this Idempotency-Key is already in progress") from exc


async def get_idempotency(
    request: Request,
    session: SessionDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> Idempotency:
    """The route dependency."""
    body = await request.body()
    return Idempotency(request, session, idempotency_key, body)


IdempotencyDep = Annotated[Idempotency, Depends(get_idempotency)]
