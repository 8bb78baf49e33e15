"""The admin's pages: the accounts, an invitation made on the page, a reset link."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import Account
from tests.app.desk import PASSWORD, Desk, field_error, token_of
from tests.app.factories import make_association


def _admin(desk: Desk) -> str:
    admin = desk.account("admin")
    assert desk.sign_in(admin.email).status_code == 303
    return token_of(desk.client.get("/admin"))


def _accounts(db: Session) -> int:
    count = db.scalar(select(func.count()).select_from(Account)) or 0
    db.rollback()
    return count


def test_an_admin_invites_a_coordinator_and_the_link_works_once(
    app: FastAPI, client: TestClient, desk: Desk, db: Session
) -> None:
    token = _admin(desk)
    assert client.get("/admin/invite").status_code == 200
    made = client.post(
        "/admin/invite",
        data={
            "csrf_token": token,
            "email": "Anna@Kommune.example.com",
            "role": "coordinator",
            "municipalities": ["101", "147"],
        },
    )
    assert made.status_code == 200
    found = re.search(r'<code class="desk-link" id="link">([^<]+)</code>', made.text)
    assert found is not None
    path = found.group(1).removeprefix(app.state.settings.public_url)
    client.cookies.clear()
    link_page = client.get(path)
    assert link_page.status_code == 200
    accepted = client.post(
        path,
        data={"csrf_token": token_of(link_page), "password": PASSWORD, "password_again": PASSWORD},
        follow_redirects=False,
    )
    assert accepted.headers["location"] == "/newcomers"
    assert client.get(path).status_code == 404


def test_an_invitation_names_what_is_missing_and_writes_nothing(
    client: TestClient, desk: Desk, db: Session
) -> None:
    token = _admin(desk)
    before = _accounts(db)
    bad = client.post(
        "/admin/invite", data={"csrf_token": token, "email": "not an address", "role": "admin"}
    )
    assert bad.status_code == 400
    assert field_error(bad, "email") == "Skriv en gyldig e-mailadresse."
    assert 'value="not an address"' in bad.text
    no_scope = client.post(
        "/admin/invite",
        data={"csrf_token": token, "email": "c@example.com", "role": "coordinator"},
    )
    assert field_error(no_scope, "municipalities") == "Vælg koordinatorens kommuner."
    no_association = client.post(
        "/admin/invite",
        data={"csrf_token": token, "email": "a@example.com", "role": "association"},
    )
    assert field_error(no_association, "association_id") == "Vælg foreningen."
    assert _accounts(db) == before
    association = make_association(db)
    made = client.post(
        "/admin/invite",
        data={
            "csrf_token": token,
            "email": "a@example.com",
            "role": "association",
            "association_id": str(association.id),
        },
    )
    assert made.status_code == 200
    again = client.post(
        "/admin/invite",
        data={"csrf_token": token, "email": "A@example.com", "role": "admin"},
    )
    assert field_error(again, "email") == "Der findes allerede en bruger med denne e-mailadresse."


def test_an_admin_makes_a_reset_link(app: FastAPI, client: TestClient, desk: Desk) -> None:
    person = desk.account("coordinator")
    token = _admin(desk)
    listing = client.get("/admin")
    assert person.email in listing.text
    made = client.post(f"/admin/accounts/{person.id}/reset-link", data={"csrf_token": token})
    assert made.status_code == 200
    assert "/reset/" in made.text
    assert (
        client.post("/admin/accounts/999999/reset-link", data={"csrf_token": token}).status_code
        == 404
    )
    refused = client.post(f"/admin/accounts/{person.id}/reset-link", data={"csrf_token": "x"})
    assert refused.status_code == 403


def test_the_admin_pages_are_for_admins_only(client: TestClient, desk: Desk) -> None:
    token = desk.coordinator("101")
    assert client.get("/admin").status_code == 403
    assert client.get("/admin/invite").status_code == 403
    assert client.post("/admin/invite", data={"csrf_token": token}).status_code == 403
