"""Keys and rate limits: the last active admin key cannot be revoked (409, also when two
revocations race), and failed authentications are limited per client address (429 with
Retry-After) while a valid key is never slowed."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.main import create_app
from app.models import ApiKey, AuditEvent
from tests.app.conftest import Keys

URL = "/api/v1/api-keys"


def _live_admins(db: Session) -> int:
    count = db.scalar(
        select(func.count())
        .select_from(ApiKey)
        .where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None))
    )
    db.rollback()
    return int(count or 0)


def _key_id(db: Session, headers: dict[str, str]) -> int:
    prefix = headers["Authorization"].split("_")[1]
    key_id = db.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix))
    db.rollback()
    assert key_id is not None
    return key_id


def test_revoking_the_last_active_admin_key_is_a_409(
    client: TestClient, keys: Keys, db: Session
) -> None:
    first, second = keys.admin(), keys.admin()
    coordinator = keys.coordinator("101")
    assert client.delete(f"{URL}/{_key_id(db, coordinator)}", headers=first).status_code == 204
    assert client.delete(f"{URL}/{_key_id(db, second)}", headers=first).status_code == 204
    response = client.delete(f"{URL}/{_key_id(db, first)}", headers=first)
    assert response.status_code == 409, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "last active admin key" in response.json()["detail"]
    assert _live_admins(db) == 1
    assert client.get(URL, headers=first).status_code == 200
    revocations = db.scalars(select(AuditEvent).where(AuditEvent.action == "revoke")).all()
    db.rollback()
    assert len(revocations) == 2  # the refused one wrote nothing


def test_a_revoked_admin_key_does_not_count_as_the_other_admin(
    client: TestClient, keys: Keys, db: Session
) -> None:
    first, second = keys.admin(), keys.admin()
    db.execute(update(ApiKey).where(ApiKey.id == _key_id(db, second)).values(revoked_at=func.now()))
    db.commit()
    assert client.delete(f"{URL}/{_key_id(db, first)}", headers=first).status_code == 409
    # Revoking an already revoked admin key stays harmless.
    assert client.delete(f"{URL}/{_key_id(db, second)}", headers=first).status_code == 204


def _revoke_at_once(base: str, headers: dict[str, str], key_ids: list[int]) -> list[int]:
    """DELETE every key at the same moment (a thread and a connection each); the codes."""
    barrier = threading.Barrier(len(key_ids))
    codes: list[int] = []
    lock = threading.Lock()

    def revoke(key_id: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as http:
            barrier.wait()
            code = http.delete(f"{URL}/{key_id}").status_code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=revoke, args=(key_id,)) for key_id in key_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def test_two_concurrent_revocations_of_the_last_two_admin_keys_never_both_succeed(
    server: str,
    keys: Keys,
    db: Session,
) -> None:
    for attempt in range(5):
        first, second = keys.admin(), keys.admin()
        codes = _revoke_at_once(server, first, [_key_id(db, first), _key_id(db, second)])
        # The one that loses the race is refused (409), or finds its own key revoked (401).
        assert codes.count(204) == 1, (attempt, codes)
        assert set(codes) - {204} <= {401, 409}, (attempt, codes)
        assert _live_admins(db) == 1, attempt
        # Start the next attempt from no live admin key at all.
        db.execute(update(ApiKey).values(revoked_at=func.now()))
        db.commit()


@pytest.fixture
def limited_app(database_url: str) -> Iterator[FastAPI]:
    """An app on the test database whose failed-authentication limit is 3 a minute."""
    application = create_app(
        Settings(
            database_url=database_url,
            log_level="WARNING",
            auth_failure_limit="3/minute",
            embedded_worker=False,
        )
    )
    yield application
    application.state.engine.dispose()


def _client(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, raise_server_exceptions=False, client=(address, 50000))


def test_failed_authentications_are_limited_per_address_with_retry_after(
    limited_app: FastAPI, keys: Keys
) -> None:
    valid = keys.admin()
    wrong = {"Authorization": "Bearer mk_000000000000_" + "A" * 43}
    with _client(limited_app, "192.0.2.1") as attacker, _client(limited_app, "192.0.2.2") as other:
        codes = [attacker.get("/api/v1/programmes", headers=wrong).status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        refused = attacker.get("/api/v1/programmes", headers={"Authorization": "Basic eDp5"})
        assert refused.status_code == 429
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(refused.headers["retry-after"]) <= 60
        # Another address has its own count.
        assert other.get("/api/v1/programmes", headers=wrong).status_code == 401
        # A valid key is never slowed, not even from the limited address.
        for _ in range(10):
            assert attacker.get("/api/v1/programmes", headers=valid).status_code == 200
        assert attacker.get("/api/v1/programmes", headers=wrong).status_code == 429


def test_valid_keys_do_not_use_up_the_failure_allowance(limited_app: FastAPI, keys: Keys) -> None:
    valid = keys.admin()
    wrong = {"Authorization": "Bearer not-a-key"}
    with _client(limited_app, "192.0.2.3") as client:
        for _ in range(20):
            assert client.get("/api/v1/programmes", headers=valid).status_code == 200
        codes = [client.get("/api/v1/programmes", headers=wrong).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]


def test_the_limit_is_configured_in_the_limits_notation() -> None:
    assert Settings(auth_failure_limit="5 per second").auth_failure_limit == "5 per second"
    with pytest.raises(ValueError, match="auth_failure_limit"):
        Settings(auth_failure_limit="often")
