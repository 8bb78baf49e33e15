"""Helpers for tests that queue match runs through the API (no worker thread in the test app)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.jobs.worker import Worker


def work_off(app: FastAPI, **options: Any) -> list[int]:
    """Execute the queued runs now, as a worker would; their ids."""
    return Worker(app.state.engine, **options).drain()


def run_through_api(
    client: TestClient, headers: dict[str, str], *, dry_run: bool = False
) -> dict[str, Any]:
    """POST a run (202, queued), let a worker execute it, and GET it; the run's body."""
    queued = client.post("/api/v1/match-runs", headers=headers, json={"dry_run": dry_run})
    assert queued.status_code == 202, queued.text
    assert queued.json()["status"] == "queued"
    app: FastAPI = client.app  # type: ignore[assignment]
    work_off(app)
    answer = client.get(queued.headers["Location"], headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body
