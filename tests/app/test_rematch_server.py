"""Runs through a real ``makker serve`` process: its embedded worker executes them, and ten
concurrent requests of one key never have two runs in flight (202 or 409, never a 500)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.app.conftest import Keys
from tests.app.live_server import running_server
from tests.app.test_rematch import seed

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def server(database_url: str) -> Iterator[str]:
    """``makker serve`` (embedded worker on, the default) on the test database."""
    with running_server(
        database_url, {"MAKKER_WORKER_POLL_SECONDS": "0.5"}, unset=["MAKKER_EMBEDDED_WORKER"]
    ) as base:
        yield base


def post_all(server: str, headers: dict[str, str], count: int) -> list[httpx.Response]:
    """``count`` concurrent dry-run POSTs (one thread and connection each)."""
    barrier = threading.Barrier(count)
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def post() -> None:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
            barrier.wait()
            answer = client.post("/api/v1/match-runs", json={"dry_run": True})
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=post) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_one_run_per_key_under_concurrency_and_the_embedded_worker_runs_it(
    db: Session, server: str, keys: Keys
) -> None:
    seed(db)
    db.rollback()
    coordinator = keys.coordinator("101")
    answers = post_all(server, coordinator, 10)
    assert {a.status_code for a in answers} <= {202, 409}, [a.text for a in answers]
    queued = [a.json()["id"] for a in answers if a.status_code == 202]
    assert queued  # and the rest refused while one was in flight:

    deadline = time.monotonic() + 60
    done: list[dict[str, Any]] = []
    with httpx.Client(base_url=server, headers=coordinator, timeout=30) as client:
        while time.monotonic() < deadline:
            done = [client.get(f"/api/v1/match-runs/{i}").json() for i in sorted(queued)]
            if all(run["status"] in ("succeeded", "failed") for run in done):
                break
            time.sleep(0.1)
        assert [run["status"] for run in done] == ["succeeded"] * len(queued), done
        assert all(run["stats"]["matched"] == 4 for run in done)
        # The worker may have finished one before the next request came: never two at once.
        for earlier, later in itertools.pairwise(done):
            assert later["queued_at"] >= earlier["finished_at"]
        again = client.post("/api/v1/match-runs", json={"dry_run": True})
        assert again.status_code == 202  # the key's runs ended
