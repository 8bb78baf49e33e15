"""A token per table that the database itself changes whenever the table changes.

Caches kept across requests (the suggestions' index of mentors) compare the token read in
their own transaction with the one they were built under. Triggers (migration ``5c1f0e7d2a94``)
set a new random token on every insert, update and delete of the table, and on PostgreSQL on
``TRUNCATE`` too, whoever writes: the ORM, a bulk statement, ``COPY`` or an operator's SQL.
The new token commits with the change, so a transaction sees the token of the rows it sees.
On PostgreSQL the trigger runs before each statement, so a writer takes the token's row lock
before any row lock of the table, and two writers cannot deadlock over it. A migration that
recreates a watched table on SQLite (``batch_alter_table`` with ``recreate``) drops its
triggers and must create them again, as that migration does.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base


class TableVersion(Base):
    __tablename__ = "table_versions"

    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    token: Mapped[int] = mapped_column(BigInteger)
