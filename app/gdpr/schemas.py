"""The GDPR export document."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class AuditEntry(BaseModel):
    """When and what was done to the person's record (never who did it)."""

    at: datetime
    action: str
    resource: str
    record_id: str


class NewcomerExport(BaseModel):
    """Everything stored about a newcomer (GDPR art. 15 access)."""

    exported_at: datetime
    newcomer: dict[str, Any] = Field(description="Every stored field of the newcomer's record")
    matches: list[dict[str, Any]] = Field(description="Every match, every stored field")
    check_ins: list[dict[str, Any]] = Field(
        default_factory=list, description="Every follow-up check-in on the matches, with notes"
    )
    unmatched: list[dict[str, Any]] = Field(
        description="Every run's record of a request left unmatched, with the reason"
    )
    groups: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Every run's placement in a trainer's group: id, run_id, programme, "
        "mentor_id (the trainer) and members (the group's size; the other participants are "
        "not named)",
    )
    audit: list[AuditEntry] = Field(description="What was done to the records, and when")
    notifications: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Every notification about the newcomer's matches (a delivered one keeps no "
        "payload), every stored field but what is about others: the recipient's address, the "
        "delivery error, and the payload's volunteer name and coordinator address",
    )
    household: dict[str, Any] | None = Field(
        default=None,
        description="The household the newcomer is in: its id, their position (0: the contact "
        "person) and the number of members; null when in none",
    )
