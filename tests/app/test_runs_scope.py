"""A run's unmatched requests are scoped on where the newcomer lives now."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.app.conftest import Keys
from tests.app.factories import make_newcomer
from tests.app.runs import run_through_api


def test_a_newcomer_who_moved_leaves_the_old_municipalitys_run_details(
    db: Session, client: TestClient, keys: Keys
) -> None:
    newcomer = make_newcomer(db, municipality="101")  # no mentors at all: unmatched
    admin = keys.admin()
    run = run_through_api(client, admin)
    copenhagen = keys.coordinator("101")
    detail = client.get(f"/api/v1/match-runs/{run['id']}", headers=copenhagen).json()
    assert [u["newcomer_id"] for u in detail["unmatched"]] == [newcomer.id]

    moved = client.patch(
        f"/api/v1/newcomers/{newcomer.id}", json={"municipality": "147"}, headers=admin
    )
    assert moved.status_code == 200
    detail = client.get(f"/api/v1/match-runs/{run['id']}", headers=copenhagen).json()
    assert detail["unmatched"] == []
    frederiksberg = keys.coordinator("147")
    detail = client.get(f"/api/v1/match-runs/{run['id']}", headers=frederiksberg).json()
    assert [u["newcomer_id"] for u in detail["unmatched"]] == [newcomer.id]


def test_a_coordinator_may_start_dry_runs_only(db: Session, client: TestClient, keys: Keys) -> None:
    make_newcomer(db, municipality="147")
    copenhagen = keys.coordinator("101")
    refused = client.post("/api/v1/match-runs", headers=copenhagen, json={"dry_run": False})
    assert refused.status_code == 403
    assert client.get("/api/v1/match-runs", headers=keys.admin()).json()["items"] == []
    dry = client.post("/api/v1/match-runs", headers=copenhagen, json={"dry_run": True})
    assert dry.status_code == 202
    assert dry.json()["dry_run"] is True
