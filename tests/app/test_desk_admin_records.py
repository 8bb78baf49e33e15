"""The admin's records pages: associations, programmes, API keys, disabling an account — on
the API's services: errors beside the field and nothing written, refusals in words, CSRF,
and admins only."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import (
    Account,
    AccountSession,
    ApiKey,
    Association,
    AuditEvent,
    Match,
    Programme,
)
from tests.app.conftest import Keys
from tests.app.desk import Desk, field_error, token_of
from tests.app.factories import make_association, make_mentor, make_newcomer


def _admin(desk: Desk) -> str:
    admin = desk.account("admin")
    assert desk.sign_in(admin.email).status_code == 303
    return token_of(desk.client.get("/admin"))


def _count(db: Session, model: Any) -> int:
    count = db.scalar(select(func.count()).select_from(model)) or 0
    db.rollback()
    return count


def test_the_records_pages_are_for_admins_only(client: TestClient, desk: Desk, db: Session) -> None:
    association = make_association(db)
    account = desk.account("association", association_id=association.id)
    assert desk.sign_in(account.email).status_code == 303
    token = token_of(client.get("/mentors"))
    for path in ("/admin/associations", "/admin/programmes", "/admin/keys", "/admin/keys/new"):
        assert client.get(path).status_code == 403
    before = _count(db, Association)
    posted = client.post(
        "/admin/associations/new", data={"csrf_token": token, "name": "X", "kind": "other"}
    )
    assert posted.status_code == 403
    assert _count(db, Association) == before


def test_an_admin_registers_edits_and_deletes_an_association(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = _admin(desk)
    assert client.get("/admin/associations/new").status_code == 200
    made = client.post(
        "/admin/associations/new",
        data={
            "csrf_token": token,
            "name": "Dansk Flygtningehjælp Testby",
            "kind": "refugee_council",
            "municipalities": ["101"],
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    row = db.scalar(select(Association).where(Association.name.startswith("Dansk")))
    assert row is not None
    association_id, version = row.id, row.version
    assert row.municipalities == ["101"]
    db.rollback()
    assert "Dansk Flygtningehjælp Testby" in client.get("/admin/associations").text
    edit = client.get(f"/admin/associations/{association_id}/edit")
    assert 'value="Dansk Flygtningehjælp Testby"' in edit.text
    saved = client.post(
        f"/admin/associations/{association_id}/edit",
        data={
            "csrf_token": token,
            "name": "DFH Testby",
            "kind": "refugee_council",
            "version": str(version),
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303
    stale = client.post(
        f"/admin/associations/{association_id}/edit",
        data={"csrf_token": token, "name": "Old", "kind": "other", "version": str(version)},
    )
    assert stale.status_code == 409
    assert 'value="DFH Testby"' in stale.text  # the form shows it as it is now
    confirm = client.get(f"/admin/associations/{association_id}/delete")
    assert confirm.status_code == 200 and "DFH Testby" in confirm.text
    deleted = client.post(
        f"/admin/associations/{association_id}/delete",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    assert db.get(Association, association_id) is None
    assert client.get(f"/admin/associations/{association_id}/edit").status_code == 404
    db.rollback()


def test_an_association_with_mentors_is_not_deleted_and_the_page_says_why(
    client: TestClient, desk: Desk, db: Session
) -> None:
    association = make_association(db)
    make_mentor(db, association)
    token = _admin(desk)
    refused = client.post(
        f"/admin/associations/{association.id}/delete", data={"csrf_token": token}
    )
    assert refused.status_code == 409
    assert "har stadig mentorer" in refused.text
    assert _count(db, Association) == 1


def test_association_errors_are_beside_the_field_and_nothing_is_written(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = _admin(desk)
    before = _count(db, Association)
    page = client.post(
        "/admin/associations/new",
        data={"csrf_token": token, "name": "", "kind": "circus", "contact_email": "nope"},
    )
    assert page.status_code == 400
    assert field_error(page, "name") == "Udfyld feltet."
    assert field_error(page, "kind") is not None
    assert field_error(page, "contact_email") is not None
    assert _count(db, Association) == before
    forged = client.post(
        "/admin/associations/new", data={"csrf_token": "forged", "name": "X", "kind": "other"}
    )
    assert forged.status_code == 403
    assert _count(db, Association) == before


def test_an_admin_adds_and_edits_a_programme_with_age_rules(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = _admin(desk)
    form = {
        "csrf_token": token,
        "code": "youth_net",
        "name": "Ungenetværk",
        "min_age": "15",
        "max_age": "25",
        "active": "yes",
    }
    bad = client.post("/admin/programmes/new", data={**form, "min_age": "30"})
    assert bad.status_code == 400
    assert field_error(bad, "min_age") is not None
    assert db.get(Programme, "youth_net") is None
    db.rollback()
    made = client.post("/admin/programmes/new", data=form, follow_redirects=False)
    assert made.status_code == 303
    listing = client.get("/admin/programmes")
    assert "Ungenetværk" in listing.text and "15" in listing.text
    taken = client.post("/admin/programmes/new", data=form)
    assert taken.status_code == 400 and field_error(taken, "code") is not None
    row = db.get(Programme, "youth_net")
    assert row is not None
    version = row.version
    db.rollback()
    saved = client.post(
        "/admin/programmes/youth_net/edit",
        data={**form, "max_age": "", "version": str(version)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    row = db.get(Programme, "youth_net")
    assert row is not None and (row.min_age, row.max_age) == (15, None)
    db.rollback()
    assert client.get("/admin/programmes/nothing_here/edit").status_code == 404


def test_a_group_max_below_an_accepted_group_is_refused_beside_the_field(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = _admin(desk)
    form = {
        "csrf_token": token,
        "code": "food_club",
        "name": "Madklub",
        "unit": "group",
        "group_min": "2",
        "group_max": "8",
        "active": "yes",
    }
    made = client.post("/admin/programmes/new", data=form, follow_redirects=False)
    assert made.status_code == 303, made.text
    trainer = make_mentor(db, make_association(db), programmes=["food_club"])
    for _ in range(3):
        newcomer = make_newcomer(db, programmes=["food_club"])
        db.add(
            Match(
                newcomer_id=newcomer.id,
                mentor_id=trainer.id,
                programme="food_club",
                status="accepted",
                source="manual",
            )
        )
    db.commit()
    row = db.get(Programme, "food_club")
    assert row is not None
    version = row.version
    db.rollback()
    refused = client.post(
        "/admin/programmes/food_club/edit",
        data={**form, "group_max": "2", "version": str(version)},
    )
    assert refused.status_code == 409
    assert field_error(refused, "group_max") is not None
    row = db.get(Programme, "food_club")
    assert row is not None and row.group_max == 8


def test_an_admin_creates_a_key_sees_it_once_and_revokes_it(
    client: TestClient, desk: Desk, db: Session, keys: Keys
) -> None:
    association_id = make_association(db).id
    db.rollback()
    token = _admin(desk)
    missing = client.post(
        "/admin/keys/new", data={"csrf_token": token, "name": "System", "role": "association"}
    )
    assert missing.status_code == 400
    assert field_error(missing, "association_id") == "Vælg foreningen."
    assert _count(db, ApiKey) == 0
    made = client.post(
        "/admin/keys/new",
        data={
            "csrf_token": token,
            "name": "Foreningens system",
            "role": "association",
            "association_id": str(association_id),
        },
    )
    assert made.status_code == 200
    found = re.search(r'<code class="desk-link" id="key">(mk_[^<]+)</code>', made.text)
    assert found is not None
    key = found.group(1)
    assert (
        client.get("/api/v1/associations", headers={"Authorization": f"Bearer {key}"}).status_code
        == 200
    )
    listing = client.get("/admin/keys")
    assert "Foreningens system" in listing.text and key not in listing.text
    row = db.scalar(select(ApiKey).where(ApiKey.name == "Foreningens system"))
    assert row is not None
    key_id = row.id
    db.rollback()
    revoked = client.post(
        f"/admin/keys/{key_id}/revoke", data={"csrf_token": token}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert (
        client.get("/api/v1/associations", headers={"Authorization": f"Bearer {key}"}).status_code
        == 401
    )


def test_the_last_admin_key_is_not_revoked_and_the_page_says_why(
    client: TestClient, desk: Desk, db: Session, keys: Keys
) -> None:
    keys.admin()
    token = _admin(desk)
    row = db.scalar(select(ApiKey).where(ApiKey.role == "admin"))
    assert row is not None
    key_id = row.id
    db.rollback()
    refused = client.post(f"/admin/keys/{key_id}/revoke", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "sidste aktive administratornøgle" in refused.text
    assert db.scalar(select(ApiKey.revoked_at).where(ApiKey.id == key_id)) is None
    db.rollback()


def test_disabling_an_account_ends_its_sessions_and_is_audited(
    client: TestClient, desk: Desk, db: Session
) -> None:
    other = desk.account("coordinator")
    with desk.app.state.sessionmaker.begin() as session:
        session.add(AccountSession(account_id=other.id, token_hash="x" * 64, csrf_token="y" * 43))
    token = _admin(desk)
    done = client.post(
        f"/admin/accounts/{other.id}/disable", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.headers["location"] == "/admin?done=disabled"
    account = db.get(Account, other.id)
    assert account is not None and account.disabled_at is not None
    assert _count(db, AccountSession) == 1  # only the admin's own session is left
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "disable"))
    assert event is not None and event.record_id == str(other.id)
    db.rollback()
    client.cookies.clear()
    assert desk.sign_in(other.email).status_code != 303
    assert client.get("/admin").status_code in (303, 200)


def test_an_admin_cannot_disable_their_own_account(
    client: TestClient, desk: Desk, db: Session
) -> None:
    admin = desk.account("admin")
    assert desk.sign_in(admin.email).status_code == 303
    token = token_of(client.get("/admin"))
    done = client.post(
        f"/admin/accounts/{admin.id}/disable", data={"csrf_token": token}, follow_redirects=False
    )
    assert done.headers["location"] == "/admin?done=own"
    assert db.scalar(select(Account.disabled_at).where(Account.id == admin.id)) is None
    db.rollback()
