"""Under load the API answers 200 or, when saturated, 503 with Retry-After: never a 500."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from app.concurrency import ConcurrencyLimit
from app.config import Settings
from app.main import create_app
from tests.app.conftest import Keys
from tests.app.factories import make_newcomer
from tests.app.live_server import running_server


@pytest.fixture
def small_pool_server(database_url: str) -> Iterator[str]:
    """``makker serve`` with a pool of two connections, in its own process."""
    pool = {"MAKKER_DB_POOL_SIZE": "2", "MAKKER_DB_POOL_TIMEOUT_SECONDS": "30"}
    with running_server(database_url, pool) as base:
        yield base


def test_many_more_clients_than_connections_all_get_answers(
    small_pool_server: str, db: Session, keys: Keys
) -> None:
    """Thirty-two clients at once on a pool of two: every list (with its audit rows) is 200.

    The turnstile admits two requests at a time, so none waits in the pool (whose queue lets
    newcomers overtake: under steady load a request could wait there past the timeout, the
    500s of issue 10); the others wait their turn in the event loop.
    """
    for _ in range(60):
        make_newcomer(db)
    headers = keys.admin()
    db.rollback()
    codes: Counter[int] = Counter()
    lock = threading.Lock()
    barrier = threading.Barrier(32)

    def client() -> None:
        with httpx.Client(base_url=small_pool_server, headers=headers, timeout=120) as http:
            barrier.wait()
            for _ in range(3):
                code = http.get("/api/v1/newcomers?limit=50").status_code
                with lock:
                    codes[code] += 1

    threads = [threading.Thread(target=client) for _ in range(32)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == {200: 96}


def test_a_pool_timeout_is_a_503_with_retry_after(database_url: str, db: Session) -> None:
    app = create_app(
        Settings(
            database_url=database_url,
            log_level="WARNING",
            db_pool_size=1,
            db_pool_timeout_seconds=0.2,
            embedded_worker=False,
        )
    )
    keys = Keys(app)
    headers = keys.admin()
    held = [app.state.engine.connect() for _ in range(1 + 5)]  # the pool and its overflow
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            response = client.get("/api/v1/programmes", headers=headers)
    finally:
        for connection in held:
            connection.close()
        app.state.engine.dispose()
    assert response.status_code == 503
    assert response.headers["retry-after"] == "1"
    assert response.headers["content-type"].startswith("application/problem+json")


def test_a_request_that_gets_no_turn_in_time_is_a_503() -> None:
    release = asyncio.Event()

    async def slow(scope: Scope, receive: Receive, send: Send) -> None:
        await release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"done"})

    async def scenario() -> tuple[int, int, str | None]:
        limited = ConcurrencyLimit(slow, limit=1, timeout_seconds=0.05)
        transport = httpx.ASGITransport(app=limited)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            first = asyncio.create_task(client.get("/api/v1/anything"))
            await asyncio.sleep(0.01)
            second = await client.get("/api/v1/anything")
            release.set()
            return (await first).status_code, second.status_code, second.headers.get("retry-after")

    assert asyncio.run(scenario()) == (200, 503, "1")
