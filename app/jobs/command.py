"""``makker rematch`` (the nightly job) and ``makker worker`` (the run queue's worker).

``rematch``: a progress line per phase goes to standard error, the run's stats as one JSON line
to standard output. Exit status: 0 on success, 1 when the run failed, 3 when another writing
run is in progress (a dry run never is: dry runs take no lock).

``worker``: executes queued runs (``POST /api/v1/match-runs``) until SIGTERM or SIGINT (after
the run in progress), or, with ``--once``, until the queue is empty. A progress line per phase
goes to standard error.
"""

from __future__ import annotations

import gc
import json
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from app.database import make_engine
from app.jobs.rematch import RunFailed, RunInProgress, rematch
from app.jobs.worker import Worker

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


def _keep_dry_runs() -> int:
    from app.config import get_settings

    return get_settings().dry_run_details_kept


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused, as ``makker solve`` pauses it.

    A run holds a few million objects (rows, the problem's records, the engine's results);
    the collector would walk them again and again while they are made, a third of the read's
    and a tenth of the solve's CPU, and a run makes few garbage cycles. The process is this
    one run, so pausing it here touches nothing else (the worker and the API leave it on).
    """
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def run_rematch_command(database_url: str, *, dry_run: bool, pause_at: str | None) -> int:
    """Run one rematch against ``database_url``; the process exit status."""
    if pause_at is not None and pause_at not in PAUSE_PHASES:
        _say(f"error: --pause-at must be one of {', '.join(PAUSE_PHASES)}")
        return 2
    engine = make_engine(database_url)
    try:
        with _collector_paused():
            result = rematch(
                engine,
                dry_run=dry_run,
                progress=_say,
                checkpoint=_pause_at(pause_at),  # type: ignore[arg-type]
                keep_dry_runs=_keep_dry_runs(),
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


def run_worker_command(
    database_url: str, *, once: bool, poll_seconds: float, pause_at: str | None
) -> int:
    """Work the run queue of ``database_url``; the process exit status."""
    if pause_at is not None and pause_at not in PAUSE_PHASES:
        _say(f"error: --pause-at must be one of {', '.join(PAUSE_PHASES)}")
        return 2
    engine = make_engine(database_url)
    worker = Worker(
        engine,
        keep_dry_runs=_keep_dry_runs(),
        poll_seconds=poll_seconds,
        progress=_say,
        checkpoint=_pause_at(pause_at),  # type: ignore[arg-type]
    )

    def stop(_signum: int, _frame: FrameType | None) -> None:
        _say("stopping after the run in progress")
        worker.stop()

    try:
        if once:
            done = worker.drain()
            _say(f"done: {len(done)} runs")
            return 0
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        _say("worker: waiting for queued runs")
        worker.serve()
        return 0
    finally:
        engine.dispose()
