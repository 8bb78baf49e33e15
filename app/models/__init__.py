"""The ORM, one module per table. Importing this package registers every table."""

from app.database import Base
from app.models.account import Account, AccountSession, AccountToken
from app.models.api_key import ApiKey
from app.models.association import Association
from app.models.audit_event import AuditEvent
from app.models.check_in import CheckIn, CheckInStatus
from app.models.household import Household, HouseholdMember
from app.models.idempotency_record import IdempotencyRecord
from app.models.match import LIVE_STATUSES, Match, MatchSource, MatchStatus
from app.models.match_run import MatchRun, RunGroupMember, RunUnmatched
from app.models.mentor import Mentor
from app.models.newcomer import Newcomer
from app.models.notification import Notification
from app.models.programme import Programme
from app.models.spreadsheet_import import SpreadsheetImport
from app.models.table_version import TableVersion

__all__ = [
    "LIVE_STATUSES",
    "Account",
    "AccountSession",
    "AccountToken",
    "ApiKey",
    "Association",
    "AuditEvent",
    "CheckIn",
    "CheckInStatus",
    "Household",
    "HouseholdMember",
    "IdempotencyRecord",
    "Match",
    "MatchRun",
    "MatchSource",
    "MatchStatus",
    "Mentor",
    "Newcomer",
    "Notification",
    "Programme",
    "RunGroupMember",
    "RunUnmatched",
    "SpreadsheetImport",
    "TableVersion",
]


def _never_reuse_ids() -> None:
    """Ids are never given twice: an erased person's id must not pass to the next person
    (whose export would then list the erased one's audit trail), nor a match's or a key's.
    SQLite reuses the highest freed rowid unless the table is ``AUTOINCREMENT``; PostgreSQL's
    sequences never go back. Every table with an integer id gets it, present and future."""
    for table in Base.metadata.tables.values():
        if [column.name for column in table.primary_key.columns] == ["id"]:
            table.dialect_kwargs["sqlite_autoincrement"] = True


_never_reuse_ids()
