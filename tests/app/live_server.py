"""A real uvicorn server on the test database, and concurrent HTTP against it (for races).

``tests/app/conftest.py`` makes ``server`` a fixture of every app test; each module that uses
it gets its own server process.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]

#: One concurrent call: it gets its own client (connection) and returns the status code.
Call = Callable[[httpx.Client], int]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def running_server(
    database_url: str,
    env: Mapping[str, str] | None = None,
    *,
    unset: Sequence[str] = (),
    pids: list[int] | None = None,
    args: Sequence[str] = (),
) -> Iterator[str]:
    """``makker serve [args]`` on ``database_url`` in its own process, with ``env`` set and
    the variables in ``unset`` removed; its base URL once ``/healthz`` answers (its process id
    appended to ``pids``, when given). Stopped on exit."""
    port = _free_port()
    environment = {
        **os.environ,
        "MAKKER_DATABASE_URL": database_url,
        "MAKKER_LOG_LEVEL": "WARNING",
        # The notification tests deliver the outbox themselves.
        "MAKKER_EMBEDDED_SENDER": "false",
        **(env or {}),
    }
    for name in unset:
        environment.pop(name, None)
    command = [sys.executable, "-c", "from app.cli import main; main()", "serve", "--port"]
    process = subprocess.Popen(
        [*command, str(port), *args],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    if pids is not None:
        pids.append(process.pid)
    try:
        deadline = time.monotonic() + 120  # a busy machine starts the process slowly
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=5).status_code == 200:
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


@pytest.fixture(scope="module")
def server(database_url: str) -> Iterator[str]:
    """A uvicorn server on 127.0.0.1 serving the test database, in its own process.

    Without the embedded run worker: it lives for the whole module, and its worker would
    execute the runs that later tests queue (one of them counts the runs in flight).
    """
    with running_server(database_url, {"MAKKER_EMBEDDED_WORKER": "false"}) as base:
        yield base


def concurrently(server: str, headers: dict[str, str], calls: Sequence[Call]) -> list[int]:
    """Run every call at once (one thread and connection each, released by one barrier);
    the status codes in the order of ``calls``."""
    barrier = threading.Barrier(len(calls))
    codes: list[int] = [0] * len(calls)

    def run(i: int) -> None:
        with httpx.Client(base_url=server, headers=headers, timeout=60) as client:
            client.get("/healthz")  # connect before the barrier
            barrier.wait()
            codes[i] = calls[i](client)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes
