"""The desk's accounts: invitations and resets by one-time link, signing in and out, the rate
limit on failures, session expiry, CSRF, cookies and security headers, the language switch."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.accounts import service
from app.accounts.schemas import AccountCreate
from app.auth import SYSTEM
from app.db import make_engine, utcnow
from app.errors import Conflict, ValidationFailed
from app.models import AccountSession, AccountToken, AuditEvent
from tests.app.desk import PASSWORD, Desk, field_error, token_of
from tests.app.factories import make_association


def _invite(app: FastAPI, **fields: object) -> str:
    data = AccountCreate.model_validate(
        {"email": "new.person@example.com", "role": "coordinator", "municipalities": ["101"]}
        | fields
    )
    with app.state.sessionmaker.begin() as session:
        _account, link = service.invite(session, SYSTEM, data, app.state.settings)
    return link.removeprefix(app.state.settings.public_url)


def test_an_invitation_link_sets_the_password_once_and_signs_in(
    app: FastAPI, client: TestClient, desk: Desk
) -> None:
    path = _invite(app)
    page = client.get(path)
    assert page.status_code == 200
    token = token_of(page)
    mismatch = client.post(
        path, data={"csrf_token": token, "password": PASSWORD, "password_again": "other words"}
    )
    assert mismatch.status_code == 400
    assert field_error(mismatch, "password_again") == "De to adgangskoder er ikke ens."
    short = client.post(
        path, data={"csrf_token": token, "password": "kort", "password_again": "kort"}
    )
    assert field_error(short, "password") == "Vælg en adgangskode på mindst 10 tegn."

    accepted = client.post(
        path,
        data={"csrf_token": token, "password": PASSWORD, "password_again": PASSWORD},
        follow_redirects=False,
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == "/newcomers"
    assert client.get("/newcomers").status_code == 200

    client.cookies.clear()
    again = client.get(path)
    assert again.status_code == 404
    assert "Linket virker ikke" in again.text
    assert desk.sign_in("NEW.person@example.com").status_code == 303  # the address, any case


def test_an_expired_or_unknown_link_does_not_work(
    app: FastAPI, client: TestClient, db: Session
) -> None:
    path = _invite(app)
    db.execute(update(AccountToken).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    assert client.get(path).status_code == 404
    assert client.get("/invitation/" + "x" * 43).status_code == 404
    assert client.get("/invitation/short").status_code == 404


def test_invitations_take_a_key_scope_and_one_address_once(app: FastAPI, db: Session) -> None:
    with pytest.raises(ValidationFailed, match="municipalities"):
        _invite(app, municipalities=[])
    with pytest.raises(ValidationFailed, match="association_id"):
        _invite(app, role="association", municipalities=[], association_id=999)
    association = make_association(db)
    _invite(app, role="association", municipalities=[], association_id=association.id)
    with pytest.raises(Conflict):
        _invite(app, email="New.Person@example.com")


def test_a_reset_link_replaces_the_password_and_ends_other_sessions(
    app: FastAPI, client: TestClient, desk: Desk, db: Session
) -> None:
    account = desk.account()
    assert desk.sign_in(account.email).status_code == 303
    with app.state.sessionmaker.begin() as session:
        first = service.reset_link(session, SYSTEM, account.email, app.state.settings)
        link = service.reset_link(session, SYSTEM, account.email, app.state.settings)
    base = app.state.settings.public_url
    assert client.get(first.removeprefix(base)).status_code == 404  # only the newest works
    path = link.removeprefix(base)
    new_password = "a brand new passphrase"
    token = token_of(client.get(path))
    done = client.post(
        path,
        data={"csrf_token": token, "password": new_password, "password_again": new_password},
        follow_redirects=False,
    )
    assert done.status_code == 303
    sessions = db.scalars(select(AccountSession).where(AccountSession.account_id == account.id))
    assert len(sessions.all()) == 1  # the one the link started; the earlier one ended
    db.rollback()
    client.cookies.clear()
    assert desk.sign_in(account.email).status_code == 400
    assert desk.sign_in(account.email, new_password).status_code == 303


def test_a_wrong_password_does_not_sign_in(client: TestClient, desk: Desk) -> None:
    account = desk.account()
    failed = desk.sign_in(account.email, "not the password")
    assert failed.status_code == 400
    assert "makker_session" not in failed.headers.get("set-cookie", "")
    assert field_error(failed, "email") == "E-mailadressen eller adgangskoden er forkert."
    assert 'href="#email"' in failed.text  # the error summary links to the field
    assert f'value="{account.email}"' in failed.text  # what was typed is kept
    assert desk.sign_in("nobody@example.com").status_code == 400
    invited = desk.account(password=None)
    assert desk.sign_in(invited.email, "").status_code == 400
    assert client.get("/newcomers", follow_redirects=False).headers["location"] == "/signin"


def test_failed_sign_ins_are_rate_limited_per_account(desk: Desk) -> None:
    account = desk.account()
    for _ in range(5):
        assert desk.sign_in(account.email, "wrong password").status_code == 400
    limited = desk.sign_in(account.email)  # even the right password waits now
    assert limited.status_code == 429
    assert "For mange forkerte forsøg" in limited.text
    other = desk.account()
    assert desk.sign_in(other.email).status_code == 303


def test_failed_sign_ins_are_rate_limited_per_address(desk: Desk) -> None:
    for i in range(20):
        desk.sign_in(f"guess{i}@example.com", "wrong password")
    account = desk.account()
    assert desk.sign_in(account.email).status_code == 429


def test_the_sign_in_form_refuses_a_post_without_its_csrf_token(
    client: TestClient, desk: Desk
) -> None:
    account = desk.account()
    client.get("/signin")
    refused = client.post("/signin", data={"email": account.email, "password": PASSWORD})
    assert refused.status_code == 403
    forged = client.post(
        "/signin", data={"csrf_token": "forged", "email": account.email, "password": PASSWORD}
    )
    assert forged.status_code == 403
    client.cookies.clear()  # no pre-session cookie at all
    bare = client.post("/signin", data={"csrf_token": "x", "email": account.email})
    assert bare.status_code == 403


def test_signed_in_forms_need_the_session_token(client: TestClient, desk: Desk) -> None:
    desk.coordinator("101")
    refused = client.post("/signout", data={"csrf_token": "another"})
    assert refused.status_code == 403
    assert client.get("/newcomers").status_code == 200  # still signed in


def test_a_session_expires_after_inactivity(client: TestClient, desk: Desk, db: Session) -> None:
    desk.coordinator("101")
    db.execute(update(AccountSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    db.commit()
    gone = client.get("/newcomers", follow_redirects=False)
    assert gone.status_code == 303
    assert gone.headers["location"] == "/signin?expired=1"
    assert db.scalar(select(func.count()).select_from(AccountSession)) == 0  # removed
    db.rollback()
    assert "ikke har brugt Makker" in client.get("/signin?expired=1").text


def test_a_session_ends_after_its_maximum_age(client: TestClient, desk: Desk, db: Session) -> None:
    desk.coordinator("101")
    db.execute(update(AccountSession).values(created_at=utcnow() - timedelta(hours=13)))
    db.commit()
    assert client.get("/newcomers", follow_redirects=False).status_code == 303


def _signed_in_association(desk: Desk, db: Session) -> int:
    association = make_association(db)
    account = desk.account("association", association_id=association.id)
    assert desk.sign_in(account.email).status_code == 303
    return association.id


def test_a_page_that_only_reads_notes_the_sessions_activity(
    client: TestClient, desk: Desk, db: Session
) -> None:
    """A page that writes nothing has a reader's session; the activity is still noted (in a
    short writer's transaction of its own), so the session lives on."""
    _signed_in_association(desk, db)
    earlier = utcnow() - timedelta(minutes=20)
    db.execute(update(AccountSession).values(last_seen_at=earlier))
    db.commit()
    assert client.get("/mentors").status_code == 200
    seen = db.scalar(select(AccountSession.last_seen_at))
    db.rollback()
    assert seen is not None and seen > earlier + timedelta(minutes=19)


def test_a_page_that_only_reads_does_not_wait_for_a_writer(
    database_url: str, client: TestClient, desk: Desk, db: Session
) -> None:
    """While a run's write holds SQLite's one write lock, the pages that only read answer
    at once (their sessions take no write lock)."""
    association_id = _signed_in_association(desk, db)
    writer = make_engine(database_url)
    with writer.connect() as connection:
        connection.execute(
            text("UPDATE associations SET name = 'held' WHERE id = :id"), {"id": association_id}
        )
        for path in ("/association", "/mentors", "/mentors/new"):
            page = client.get(path)
            assert page.status_code == 200, (path, page.text)
        connection.rollback()
    writer.dispose()


def test_sign_in_and_out_are_audited_without_personal_data(
    client: TestClient, desk: Desk, db: Session
) -> None:
    account = desk.account()
    assert desk.sign_in(account.email).status_code == 303
    token = token_of(client.get("/newcomers"))
    out = client.post("/signout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/newcomers", follow_redirects=False).status_code == 303
    events = db.scalars(select(AuditEvent).where(AuditEvent.resource == "account")).all()
    assert [(e.action, e.actor, e.record_id) for e in events if e.action != "set_password"] == [
        ("sign_in", f"account:{account.id}", str(account.id)),
        ("sign_out", f"account:{account.id}", str(account.id)),
    ]
    assert db.scalar(select(AccountSession.id)) is None
    db.rollback()


def test_each_role_lands_on_its_page(client: TestClient, desk: Desk, db: Session) -> None:
    admin = desk.account("admin")
    assert desk.sign_in(admin.email).headers["location"] == "/admin"
    page = client.get("/admin")
    assert page.status_code == 200
    assert admin.email in page.text
    client.cookies.clear()
    association = make_association(db, name="Testforeningen")
    member = desk.account("association", association_id=association.id)
    assert desk.sign_in(member.email).headers["location"] == "/association"
    assert "Testforeningen" in client.get("/association").text
    assert client.get("/newcomers").status_code == 403  # not an association's page
    assert client.get("/admin").status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/association"


def test_cookies_are_http_only_lax_and_secure_on_https(app: FastAPI, desk: Desk) -> None:
    account = desk.account()
    with TestClient(app, base_url="https://testserver") as secure:
        desk.client = secure
        signed = desk.sign_in(account.email)
    cookie = signed.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" in cookie


def test_every_page_carries_the_security_headers(client: TestClient) -> None:
    for path in ("/signin", "/newcomers/1", "/api/v1/programmes"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


def test_the_language_switch_turns_the_pages_english(client: TestClient) -> None:
    page = client.get("/signin")
    assert '<html lang="da">' in page.text
    assert "Log ind" in page.text
    switched = client.post(
        "/language",
        data={"csrf_token": token_of(page), "lang": "en", "next": "/signin"},
        follow_redirects=False,
    )
    assert switched.status_code == 303
    assert switched.headers["location"] == "/signin"
    english = client.get("/signin")
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text
    elsewhere = client.post(
        "/language",
        data={"csrf_token": token_of(english), "lang": "da", "next": "//evil.example"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/"


def test_the_desk_changes_nothing_for_the_api(client: TestClient) -> None:
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert "/signin" not in client.get("/openapi.json").text
