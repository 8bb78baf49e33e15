"""``makker send``: one pass over the outbox (for cron), then exit.

Writes today's digests and follow-up reminders, delivers every due notification, prints one
JSON line of counts to standard output. Exit status 0, also when some were retried or failed
(they are recorded).
"""

from __future__ import annotations

import json
import sys

from app.config import Settings
from app.db import make_engine
from app.notify.sender import Sender


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _pause_after(count: int | None) -> object:
    """A hidden test hook: after the ``count``-th delivery, before recording it, wait for a
    line on standard input (the crash tests kill the process there)."""
    if count is None:
        return None
    delivered = 0

    def pause(notification_id: int) -> None:
        nonlocal delivered
        delivered += 1
        if delivered == count:
            _say(f"paused after delivering {notification_id}")
            sys.stdin.readline()

    return pause


def run_send_command(settings: Settings, *, pause_after: int | None = None) -> int:
    """One pass of the sender; the process exit status."""
    engine = make_engine(settings.database_url)
    try:
        sender = Sender(engine, settings, after_delivery=_pause_after(pause_after))  # type: ignore[arg-type]
        result = sender.run_pass()
    finally:
        engine.dispose()
    counts = {
        "digests": result.digests,
        "reminders": result.reminders,
        "sent": len(result.sent),
        "retried": len(result.retried),
        "failed": len(result.failed),
    }
    print(json.dumps(counts))
    return 0
