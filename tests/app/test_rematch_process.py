"""``makker rematch`` as a process: killed mid-run it changes nothing; two runs never overlap.

The hidden ``--pause-at PHASE`` option stops the command at a known moment ("solve": snapshot
read, no transaction open; "write": every write statement executed, commit not yet sent) and
waits for a line on standard input, so the test can SIGKILL it there or let it go on.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from app.models import Match, MatchRun, RunUnmatched
from tests.app.factories import make_mentor
from tests.app.test_rematch import seed

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-c", "from app.cli import main; main()", "rematch"]


def start(database_url: str, *args: str) -> subprocess.Popen[str]:
    """Start ``makker rematch`` on the test database."""
    return subprocess.Popen(
        [*COMMAND, *args],
        cwd=ROOT,
        env={**os.environ, "MAKKER_DATABASE_URL": database_url, "MAKKER_LOG_LEVEL": "WARNING"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_pause(process: subprocess.Popen[str], phase: str) -> list[str]:
    """Read the progress lines up to ``paused at PHASE``."""
    assert process.stderr is not None
    lines: list[str] = []
    while True:
        line = process.stderr.readline()
        if not line:
            raise AssertionError(f"the run ended before pausing: {lines}")
        lines.append(line.strip())
        if line.strip() == f"paused at {phase}":
            return lines


def run(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``makker rematch`` to the end."""
    return subprocess.run(
        [*COMMAND, *args],
        cwd=ROOT,
        env={**os.environ, "MAKKER_DATABASE_URL": database_url, "MAKKER_LOG_LEVEL": "WARNING"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def state(db: Session) -> dict[str, Any]:
    """Everything a run may write, as plain values."""
    result = {
        "matches": [
            (m.id, m.newcomer_id, m.mentor_id, m.programme, m.status, m.version, m.run_id)
            for m in db.scalars(select(Match).order_by(Match.id))
        ],
        "runs": [(r.id, r.status) for r in db.scalars(select(MatchRun).order_by(MatchRun.id))],
        "unmatched": len(db.scalars(select(RunUnmatched)).all()),
    }
    db.rollback()
    return result


@pytest.mark.parametrize("phase", ["solve", "write"])
def test_killed_run_changes_nothing_and_next_run_succeeds(
    db: Session, database_url: str, phase: str
) -> None:
    world = seed(db)
    assert run(database_url).returncode == 0
    # Make the next run write: reject one proposal, and a new mentor has places for the rest.
    proposal = db.scalars(select(Match).where(Match.status == "proposed")).first()
    assert proposal is not None
    proposal.status = "rejected"
    db.commit()
    make_mentor(db, world["association"], capacity=3)
    before = state(db)

    process = start(database_url, "--pause-at", phase)
    lines = wait_for_pause(process, phase)
    assert lines[0].startswith("read: ")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL

    assert state(db) == before
    after = run(database_url)
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout)["new"] >= 1  # the killed run had had something to write
    assert state(db)["runs"][-1][1] == "succeeded"


def test_two_concurrent_runs_one_runs_one_refuses(db: Session, database_url: str) -> None:
    seed(db)
    first = start(database_url, "--pause-at", "solve")
    wait_for_pause(first, "solve")

    second = run(database_url)
    assert second.returncode == 3
    assert "another run is in progress" in second.stderr
    assert second.stdout == ""

    out, err = first.communicate("\n", timeout=120)
    assert first.returncode == 0, err
    assert '"new": 4' in out
    assert len(state(db)["runs"]) == 1


def test_a_dry_run_in_progress_never_makes_the_nightly_job_exit_3(
    db: Session, database_url: str
) -> None:
    seed(db)
    dry = start(database_url, "--dry-run", "--pause-at", "solve")
    wait_for_pause(dry, "solve")

    nightly = run(database_url)
    assert nightly.returncode == 0, nightly.stderr
    assert json.loads(nightly.stdout)["new"] == 4

    out, err = dry.communicate("\n", timeout=120)
    assert dry.returncode == 0, err
    assert json.loads(out)["dry_run"] is True
    assert [status for _, status in state(db)["runs"]] == ["succeeded", "succeeded"]


WORKER = [sys.executable, "-c", "from app.cli import main; main()", "worker", "--once"]


def start_worker(database_url: str, *args: str) -> subprocess.Popen[str]:
    """Start ``makker worker --once`` on the test database."""
    return subprocess.Popen(
        [*WORKER, *args],
        cwd=ROOT,
        env={**os.environ, "MAKKER_DATABASE_URL": database_url, "MAKKER_LOG_LEVEL": "WARNING"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def queue_run(db: Session, *, dry_run: bool = False) -> int:
    """A run queued as the API queues it; its id."""
    run_id: int = db.execute(
        insert(MatchRun)
        .values(status="queued", dry_run=dry_run, started_at=None, stats={})
        .returning(MatchRun.id)
    ).scalar_one()
    db.commit()
    return run_id


def runs(db: Session) -> dict[int, tuple[str, str | None, str | None]]:
    """Each run's status, phase and error."""
    result = {r.id: (r.status, r.phase, r.error) for r in db.scalars(select(MatchRun))}
    db.rollback()
    return result


def test_a_killed_worker_changes_nothing_and_the_next_worker_fails_its_run(
    db: Session, database_url: str
) -> None:
    """SIGKILL with every write statement executed, the commit not sent."""
    world = seed(db)
    assert run(database_url).returncode == 0
    proposal = db.scalars(select(Match).where(Match.status == "proposed")).first()
    assert proposal is not None
    proposal.status = "rejected"  # the next run has something to write
    db.commit()
    make_mentor(db, world["association"], capacity=3)
    before = state(db)
    killed = queue_run(db)

    worker = start_worker(database_url, "--pause-at", "write")
    lines = wait_for_pause(worker, "write")
    assert lines[0].startswith(f"run {killed}: read: ")
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    assert worker.returncode == -signal.SIGKILL

    after_kill = state(db)
    assert after_kill["matches"] == before["matches"]
    assert after_kill["unmatched"] == before["unmatched"]
    assert runs(db)[killed][:2] == ("running", "write")  # until a worker finds it abandoned

    retry = queue_run(db, dry_run=True)  # a writing run waits until the killed one is failed
    next_worker = start_worker(database_url)
    _out, err = next_worker.communicate(timeout=120)
    assert next_worker.returncode == 0, err
    status, _, error = runs(db)[killed]
    assert status == "failed" and error is not None and "worker ended" in error
    assert runs(db)[retry][0] == "succeeded"
    assert state(db)["matches"] == before["matches"]
    stats = db.get(MatchRun, retry).stats  # type: ignore[union-attr]
    db.rollback()
    assert stats["new"] >= 1  # what the killed run had to write is still to be written
