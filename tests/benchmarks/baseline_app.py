"""The plain baseline for bench_api.py: one FastAPI + SQLAlchemy endpoint over ``matches``.

What a minimal service would do for ``GET /matches?limit=50``: no keys, scopes, audit,
middleware or metrics; a pooled session per request, the first page by id, the same fields as
Makker's ``MatchRead``, serialised by pydantic. ``MAKKER_DATABASE_URL`` names the database.

    MAKKER_DATABASE_URL=postgresql+psycopg://... .venv/bin/uvicorn tests.benchmarks.baseline_app:app
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session, sessionmaker

from app.models import Match

engine = create_engine(os.environ["MAKKER_DATABASE_URL"], pool_size=40, max_overflow=0)
factory = sessionmaker(engine)
app = FastAPI()


class MatchOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    newcomer_id: int
    mentor_id: int
    programme: str
    status: str
    score: float | None
    components: dict[str, Any] | None
    distance_km: float | None
    source: str
    run_id: int | None
    reason: str | None
    created_at: datetime
    decided_at: datetime | None
    ended_at: datetime | None


class MatchPage(BaseModel):
    items: list[MatchOut]
    next_cursor: str | None


def session() -> Iterator[Session]:
    with factory() as s:
        yield s


@app.get("/matches")
def matches(
    s: Annotated[Session, Depends(session)], limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> MatchPage:
    rows = s.scalars(select(Match).order_by(Match.id).limit(limit + 1)).all()
    more = len(rows) > limit
    return MatchPage(
        items=[MatchOut.model_validate(r) for r in rows[:limit]],
        next_cursor=str(rows[limit - 1].id) if more else None,
    )
