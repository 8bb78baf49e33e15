"""``makker rematch``: the nightly job for cron or a Kubernetes CronJob.

A progress line per phase goes to standard error, the run's stats as one JSON line to standard
output. Exit status: 0 on success, 1 when the run failed, 3 when another run is in progress.
"""

from __future__ import annotations

import json
import sys

from app.db import make_engine
from app.jobs.rematch import RunFailed, RunInProgress, rematch

EXIT_FAILED = 1
EXIT_BUSY = 3
PAUSE_PHASES = ("solve", "write")


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _pause_at(phase: str | None) -> object:
    """A checkpoint that stops at ``phase`` until a line (or EOF) arrives on standard input.

    A hidden test hook: the crash-safety tests kill the process while it waits there.
    """

    def checkpoint(current: str) -> None:
        if current == phase:
            _say(f"paused at {current}")
            sys.stdin.readline()

    return checkpoint


def run_rematch_command(database_url: str, *, dry_run: bool, pause_at: str | None) -> int:
    """Run one rematch against ``database_url``; the process exit status."""
    if pause_at is not None and pause_at not in PAUSE_PHASES:
        _say(f"error: --pause-at must be one of {', '.join(PAUSE_PHASES)}")
        return 2
    engine = make_engine(database_url)
    try:
        result = rematch(
            engine,
            dry_run=dry_run,
            progress=_say,
            checkpoint=_pause_at(pause_at),  # type: ignore[arg-type]
        )
    except RunInProgress as exc:
        _say(f"error: {exc}")
        return EXIT_BUSY
    except RunFailed as exc:
        _say(f"error: {exc} (run {exc.run_id})")
        return EXIT_FAILED
    finally:
        engine.dispose()
    _say(f"done: run {result.run_id} in {result.stats['seconds']:.1f} s")
    print(json.dumps({"run_id": result.run_id, "dry_run": dry_run, **result.stats}))
    return 0
