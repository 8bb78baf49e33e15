"""What an association or a coordinator can learn through ``/matches``, and the audit of it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import AuditEvent, Match
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer

URL = "/api/v1/matches"


def _match(db: Session, newcomer_id: int, mentor_id: int, status: str = "proposed") -> Match:
    row = Match(
        newcomer_id=newcomer_id,
        mentor_id=mentor_id,
        programme="mentor",
        status=status,
        source="solver",
    )
    db.add(row)
    db.commit()
    return row


def _newcomer_events(db: Session) -> list[tuple[str, str, str]]:
    with Session(db.get_bind()) as session:
        rows = session.execute(
            select(AuditEvent.actor, AuditEvent.action, AuditEvent.record_id)
            .where(AuditEvent.resource == "newcomer")
            .order_by(AuditEvent.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_associations_cannot_filter_by_newcomer(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association)
    newcomer = make_newcomer(db)
    _match(db, newcomer.id, mentor.id)
    headers = keys.association(association.id)
    refused = client.get(URL, headers=headers, params={"newcomer_id": newcomer.id})
    assert refused.status_code == 403
    assert "newcomer_id" in refused.json()["detail"]
    # Another id answers the same: the answer tells nothing about who is matched.
    other = client.get(URL, headers=headers, params={"newcomer_id": newcomer.id + 1})
    assert other.status_code == 403
    assert client.get(URL, headers=headers).status_code == 200
    assert client.get(URL, headers=keys.admin(), params={"newcomer_id": newcomer.id}).is_success


def test_association_reads_of_newcomers_are_audited_per_newcomer(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=3)
    first, second = make_newcomer(db), make_newcomer(db, programmes=["mentor", "lets_network"])
    _match(db, first.id, mentor.id)
    m2 = _match(db, second.id, mentor.id, status="rejected")
    headers = keys.association(association.id)

    assert len(client.get(URL, headers=headers).json()["items"]) == 2
    events = _newcomer_events(db)
    assert [(action, record) for _, action, record in events] == [
        ("list", str(first.id)),
        ("list", str(second.id)),
    ]
    assert client.get(f"{URL}/{m2.id}", headers=headers).status_code == 200
    assert _newcomer_events(db)[2][1:] == ("read", str(second.id))
    actors = {actor for actor, _, _ in _newcomer_events(db)}
    assert len(actors) == 1 and actors.pop().startswith("key:")  # the key, never a person
    # Staff see ids, not the newcomer's record, through matches: nothing to audit there.
    client.get(URL, headers=keys.admin())
    assert len(_newcomer_events(db)) == 3


def test_manual_proposal_errors_tell_missing_and_inactive_mentors_alike(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    inactive = make_mentor(db, association, active=False)
    newcomer = make_newcomer(db)
    headers = keys.coordinator("101")

    def refusal(mentor_id: int) -> dict[str, object]:
        body = {"newcomer_id": newcomer.id, "mentor_id": mentor_id, "programme": "mentor"}
        answer = client.post(URL, headers=headers, json=body)
        assert answer.status_code == 422
        text = answer.text.replace(str(mentor_id), "ID")
        return {"text": text, "field": answer.json()["errors"][0]["field"]}

    assert refusal(inactive.id) == refusal(inactive.id + 1000)
    assert refusal(inactive.id)["field"] == "mentor_id"


def test_manual_proposal_errors_tell_missing_and_out_of_scope_newcomers_alike(
    client: TestClient, keys: Keys, db: Session
) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association)
    aarhus = make_newcomer(db, municipality="751")
    headers = keys.coordinator("101")

    def refusal(newcomer_id: int, mentor_id: int) -> str:
        body = {"newcomer_id": newcomer_id, "mentor_id": mentor_id, "programme": "mentor"}
        answer = client.post(URL, headers=headers, json=body)
        assert answer.status_code == 422
        assert answer.json()["errors"][0]["field"] == "newcomer_id"
        return answer.text.replace(str(newcomer_id), "ID")

    # Whatever the mentor: the newcomer is checked first and nothing of the mentor is told.
    assert refusal(aarhus.id, mentor.id) == refusal(aarhus.id + 1000, mentor.id)
    assert refusal(aarhus.id, mentor.id) == refusal(aarhus.id, mentor.id + 1000)
