"""An ``Idempotency-Key`` and the record its create made: a reference, never a copy.

A retry is answered by rendering the referenced record as it is now (so a correction made
since is shown, never undone by a replay); when the record is gone (erased, purged), the
retry is a 410 and creates nothing. Only the request's hash is kept, and erasure clears it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, utcnow


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("api_key_id", "key", name="uq_idempotency_key"),
        # Erasure finds the keys of a person's records through this index, never by a scan.
        Index("ix_idempotency_records_resource_record", "resource", "record_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    api_key_id: Mapped[int]
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    #: SHA-256 of the request body; None once the record it created has been erased.
    request_hash: Mapped[str | None] = mapped_column(String(64))
    #: The created record: its audit resource name (``newcomer``, ``match`` ...) and id.
    resource: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
