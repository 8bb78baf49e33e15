"""The ORM, one module per table. Importing this package registers every table."""

from app.models.account import Account, AccountSession, AccountToken
from app.models.api_key import ApiKey
from app.models.association import Association
from app.models.audit_event import AuditEvent
from app.models.idempotency_record import IdempotencyRecord
from app.models.match import Match
from app.models.match_run import MatchRun, RunUnmatched
from app.models.mentor import Mentor
from app.models.newcomer import Newcomer
from app.models.programme import Programme

__all__ = [
    "Account",
    "AccountSession",
    "AccountToken",
    "ApiKey",
    "Association",
    "AuditEvent",
    "IdempotencyRecord",
    "Match",
    "MatchRun",
    "Mentor",
    "Newcomer",
    "Programme",
    "RunUnmatched",
]
