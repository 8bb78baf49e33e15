"""No overbooking: twenty concurrent accepts against a real uvicorn server, one place left."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Match
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    """A uvicorn server on 127.0.0.1 serving the test database, in its own process."""
    port = _free_port()
    env = {**os.environ, "MAKKER_DATABASE_URL": database_url, "MAKKER_LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("the test server did not start")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def accept_all(server: str, headers: dict[str, str], ids: list[int]) -> list[int]:
    """POST .../accept for every id at once (one thread and connection each); the codes."""
    barrier = threading.Barrier(len(ids))
    codes: list[int] = []
    lock = threading.Lock()

    def accept(match_id: int) -> None:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
            barrier.wait()
            code = client.post(f"/api/v1/matches/{match_id}/accept").status_code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=accept, args=(i,)) for i in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_twenty_concurrent_accepts_one_place_left(server: str, db: Session, keys: Keys) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=2)
    first = make_newcomer(db)
    db.add(
        Match(
            newcomer_id=first.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="accepted",
            source="manual",
        )
    )
    proposals = []
    for _ in range(20):
        newcomer = make_newcomer(db)
        proposal = Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="proposed",
            source="manual",
        )
        db.add(proposal)
        proposals.append(proposal)
    db.commit()
    headers = keys.admin()

    codes = accept_all(server, headers, [p.id for p in proposals])
    assert sorted(codes) == [200] + [409] * 19
    accepted = db.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.mentor_id == mentor.id, Match.status == "accepted")
    )
    db.rollback()
    assert accepted == 2


def test_concurrent_accepts_of_one_request_for_different_mentors(
    server: str, db: Session, keys: Keys
) -> None:
    association = make_association(db)
    newcomer = make_newcomer(db)
    proposals = []
    for _ in range(10):
        mentor = make_mentor(db, association, capacity=5)
        proposal = Match(
            newcomer_id=newcomer.id,
            mentor_id=mentor.id,
            programme="mentor",
            status="proposed",
            source="manual",
        )
        db.add(proposal)
        proposals.append(proposal)
    db.commit()

    codes = accept_all(server, keys.admin(), [p.id for p in proposals])
    assert sorted(codes) == [200] + [409] * 9
    accepted = db.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.newcomer_id == newcomer.id, Match.status == "accepted")
    )
    db.rollback()
    assert accepted == 1
