"""Suggestion answers: per request, ranked candidates or the rule that left none."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ScoreComponents(BaseModel):
    """The score components of a pair, each in [0, 1] (shared/design/MATCHING.md)."""

    language: float
    distance: float
    interests: float
    age: float


class CandidateRead(BaseModel):
    """A mentor who qualifies now. Only what a coordinator needs to choose and to call the
    association: no names or contact details (data minimisation)."""

    mentor_id: int
    association_id: int
    municipality: str
    score: float = Field(description="Weighted sum of the components, in [0, 1]")
    distance_km: float
    components: ScoreComponents


class RequestSuggestions(BaseModel):
    """One open request (a programme) of the newcomer."""

    programme: str
    candidates: list[CandidateRead] = Field(description="Best first; empty when none qualify")
    reason: str | None = Field(
        description="When none qualify: the rule after which no mentor was left"
    )
    passed: dict[str, int] = Field(description="Mentors left after each rule, in rule order")


class SuggestionsRead(BaseModel):
    """``GET /newcomers/{id}/suggestions``."""

    newcomer_id: int
    items: list[RequestSuggestions] = Field(
        description="One block per open request (or the one asked for with ?programme=)"
    )
