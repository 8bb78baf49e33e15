"""``Idempotency-Key`` on creates: the first answer is stored in the same transaction as the
record it created, and replayed for a retry with the same key and body."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.db import SessionDep, utcnow
from app.errors import Conflict, ValidationFailed
from app.models import IdempotencyRecord


class Idempotency:
    """Per-request handle: :meth:`replay` before creating, :meth:`save` after."""

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
        hours = self.request.app.state.settings.idempotency_ttl_hours
        return utcnow() - timedelta(hours=hours)

    def replay(self) -> JSONResponse | None:
        """The stored answer for this key, or None when the key is new (or absent)."""
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
            # Expired: the key is new again (the old answer goes, with any personal data in it).
            self.session.delete(stored)
            self.session.flush()
            return None
        if stored.request_hash != self.body_hash or stored.path != self.request.url.path:
            raise ValidationFailed(
                "Idempotency-Key", "this key was already used for a different request"
            )
        headers = {**stored.headers, "Idempotent-Replayed": "true"}
        return JSONResponse(stored.response_body, status_code=stored.status_code, headers=headers)

    def save(self, status_code: int, body: Any, headers: dict[str, str] | None = None) -> None:
        """Remember the answer (in the request's transaction)."""
        if self.key is None:
            return
        # Answers hold personal data: none outlives its time to live, replayed or not.
        self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < self._expiry())
        )
        self.session.add(
            IdempotencyRecord(
                api_key_id=self._owner(),
                key=self.key,
                method=self.request.method,
                path=self.request.url.path,
                request_hash=self.body_hash,
                status_code=status_code,
                response_body=jsonable_encoder(body),
                headers=headers or {},
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
