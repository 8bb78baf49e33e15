"""Proposals to decide: the explanation in words, accept, reject with a reason, a lost race
said in words with the proposal as it is now, scope as 404."""

from __future__ import annotations

import re

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Match, Newcomer
from tests.app.desk import Desk, field_error, make_proposal


def _status(db: Session, match_id: int) -> str:
    row = db.get(Match, match_id, populate_existing=True)
    assert row is not None
    status = row.status
    db.rollback()
    return status


def _version_of(page: httpx.Response, match_id: int) -> str:
    found = re.search(
        rf'action="/proposals/{match_id}/accept".*?name="version" value="(\d+)"', page.text, re.S
    )
    assert found is not None
    return found.group(1)


def _listed(db: Session) -> list[str]:
    """The newcomers audited as listed, by record id."""
    listed = db.scalars(
        select(AuditEvent.record_id).where(
            AuditEvent.action == "list", AuditEvent.resource == "newcomer"
        )
    ).all()
    db.rollback()
    return list(listed)


def test_a_proposal_shows_both_people_and_the_explanation_in_words(
    client: TestClient, desk: Desk, db: Session
) -> None:
    make_proposal(db)
    desk.coordinator("101")
    before = _listed(db)
    page = client.get("/proposals")
    assert page.status_code == 200
    assert "Hiba" in page.text
    assert "Karen, Røde Kors Testby" in page.text
    assert "taler arabisk, førstesproget · 7 km · deler football, cooking · 12 år imellem" in (
        page.text
    )
    # The page only reads: the newcomer's listing is audited in a writer's transaction apart.
    assert _listed(db) == [*before, str(db.scalar(select(Newcomer.id)))]
    db.rollback()


def test_accepting_a_proposal(client: TestClient, desk: Desk, db: Session) -> None:
    match_id = make_proposal(db)
    token = desk.coordinator("101")
    version = _version_of(client.get("/proposals"), match_id)
    done = client.post(
        f"/proposals/{match_id}/accept",
        data={"csrf_token": token, "version": version},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _status(db, match_id) == "accepted"
    assert "Forslaget er accepteret." in client.get(done.headers["location"]).text


def test_a_stale_decision_is_refused_in_words(client: TestClient, desk: Desk, db: Session) -> None:
    match_id = make_proposal(db)
    token = desk.coordinator("101")
    version = _version_of(client.get("/proposals"), match_id)
    first = client.post(
        f"/proposals/{match_id}/reject",
        data={"csrf_token": token, "version": version, "reason": "Bor for langt væk"},
    )
    assert first.status_code == 200  # redirected to the list
    second = client.post(
        f"/proposals/{match_id}/accept", data={"csrf_token": token, "version": version}
    )
    assert second.status_code == 409
    assert "En anden har besluttet eller ændret forslaget" in second.text
    assert "Afvist (Bor for langt væk)" in second.text  # the proposal as it is now
    unversioned = client.post(f"/proposals/{match_id}/accept", data={"csrf_token": token})
    assert unversioned.status_code == 409
    assert "Det er allerede besluttet." in unversioned.text
    assert _status(db, match_id) == "rejected"


def test_rejecting_needs_a_reason_and_writes_nothing_without(
    client: TestClient, desk: Desk, db: Session
) -> None:
    match_id = make_proposal(db)
    token = desk.coordinator("101")
    form = client.get(f"/proposals/{match_id}/reject")
    assert form.status_code == 200
    empty = client.post(f"/proposals/{match_id}/reject", data={"csrf_token": token, "reason": ""})
    assert empty.status_code == 400
    assert field_error(empty, "reason") == "Skriv, hvorfor forslaget afvises."
    assert _status(db, match_id) == "proposed"
    refused = client.post(f"/proposals/{match_id}/reject", data={"reason": "x"})
    assert refused.status_code == 403
    done = client.post(
        f"/proposals/{match_id}/reject",
        data={"csrf_token": token, "reason": "Passer ikke sammen"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert _status(db, match_id) == "rejected"


def test_a_proposal_outside_the_scope_is_the_404_page(
    client: TestClient, desk: Desk, db: Session
) -> None:
    match_id = make_proposal(db, municipality="147")
    token = desk.coordinator("101")
    assert "Hiba" not in client.get("/proposals").text
    assert client.get(f"/proposals/{match_id}/reject").status_code == 404
    accept = client.post(f"/proposals/{match_id}/accept", data={"csrf_token": token})
    assert accept.status_code == 404
    assert _status(db, match_id) == "proposed"
