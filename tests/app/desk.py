"""Helpers for the desk's page tests: accounts, signing in, and the CSRF token of a page."""

from __future__ import annotations

import itertools
import re
from datetime import date

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.service import SignInLimiter, set_password_from_demo
from app.models import Account, Match, MatchSource, MatchStatus
from tests.app.factories import make_association, make_mentor, make_newcomer

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_numbers = itertools.count(1)


def token_of(page: httpx.Response) -> str:
    """The CSRF token a page's forms carry."""
    found = _TOKEN.search(page.text)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def field_error(page: httpx.Response, field: str) -> str | None:
    """The error message shown beside ``field``, or None."""
    found = re.search(
        rf'id="{re.escape(field)}-error"><span class="sr-only">[^<]*</span>([^<]+)</span>',
        page.text,
    )
    return found.group(1) if found else None


class Desk:
    """Accounts and a browser-like client signed in as one of them."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        app.state.signin_limiter = SignInLimiter(app.state.settings)  # a fresh count per test

    def account(
        self,
        role: str = "coordinator",
        *,
        email: str | None = None,
        municipalities: list[str] | None = None,
        association_id: int | None = None,
        password: str | None = PASSWORD,
    ) -> Account:
        """An account with a password (None: invited, not yet accepted)."""
        if municipalities is None and role == "coordinator":
            municipalities = ["101"]
        with self.app.state.sessionmaker.begin() as session:
            row = Account(
                email=email or f"person{next(_numbers)}@example.com",
                role=role,
                municipalities=municipalities or [],
                association_id=association_id,
            )
            session.add(row)
            session.flush()
            if password is not None:
                set_password_from_demo(session, row, password)
            session.expunge(row)
        return row

    def sign_in(self, email: str, password: str = PASSWORD) -> httpx.Response:
        """Post the sign-in form as a browser would (the form's token first)."""
        token = token_of(self.client.get("/signin"))
        return self.client.post(
            "/signin",
            data={"csrf_token": token, "email": email, "password": password},
            follow_redirects=False,
        )

    def coordinator(self, *municipalities: str) -> str:
        """Sign in as a new coordinator of ``municipalities``; the session's CSRF token."""
        account = self.account("coordinator", municipalities=list(municipalities or ("101",)))
        assert self.sign_in(account.email).status_code == 303
        return token_of(self.client.get("/newcomers"))


def make_proposal(db: Session, *, municipality: str = "101") -> int:
    """A run's proposal, Hiba (Copenhagen) with Karen of Røde Kors Testby; its id."""
    newcomer = make_newcomer(
        db,
        first_name="Hiba",
        municipality=municipality,
        birth_date=date(1995, 1, 1),
        languages=["ar", "en"],
        interests=["football", "cooking", "chess"],
    )
    mentor = make_mentor(
        db,
        make_association(db, name="Røde Kors Testby"),
        first_name="Karen",
        languages=["da", "ar"],
        interests=["cooking", "football"],
        birth_year=1983,
    )
    match = Match(
        newcomer_id=newcomer.id,
        mentor_id=mentor.id,
        programme="mentor",
        status=MatchStatus.PROPOSED,
        source=MatchSource.SOLVER,
        score=0.8,
        components={"language": 1.0, "distance": 0.7, "interests": 0.66, "age": 0.7},
        distance_km=7.4,
    )
    db.add(match)
    db.commit()
    return match.id
