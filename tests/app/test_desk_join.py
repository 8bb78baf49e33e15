"""The volunteers' public sign-up page: consent required, the API's rules, nothing written on
invalid input, the honeypot, the rate limit, an unguessable link; the volunteer confirms their
address by a mailed one-time link (delivered to a real SMTP server), and only then does the
association see the sign-up, in a list paged on its own, and approve it."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.models import AuditEvent, Mentor, Notification
from app.notify.sender import Sender
from app.web.join import SignUpLimiter
from tests.app.desk import Desk, field_error, token_of
from tests.app.factories import make_association, make_mentor
from tests.app.mailbox import Mailbox, mailbox_fixture  # noqa: F401


@pytest.fixture(autouse=True)
def _fresh_limit(client: TestClient) -> None:
    app: Any = client.app
    app.state.signup_limiter = SignUpLimiter(app.state.settings)  # a fresh count per test


def _form(token: str, **fields: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "csrf_token": token,
        "first_name": "Sofie",
        "last_name": "Frivillig",
        "email": "sofie@example.com",
        "birth_year": "1990",
        "gender": "female",
        "languages_0": "da",
        "languages_1": "ar",
        "municipality": "101",
        "programmes": ["mentor"],
        "interests": "cooking, chess",
        "consent": "yes",
        "website": "",
    }
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def _count(db: Session) -> int:
    count = db.scalar(select(func.count()).select_from(Mentor)) or 0
    db.rollback()
    return count


def test_a_volunteer_signs_up_as_an_inactive_mentor_with_their_consent(
    client: TestClient, db: Session, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    association = make_association(db)
    link = f"/join/{association.signup_token}"
    page = client.get(link)
    assert page.status_code == 200
    assert "samtykke" in page.text.lower()
    answer = client.post(link, data=_form(token_of(page)), follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{link}/thanks"
    assert "Tak" in client.get(answer.headers["location"]).text
    row = db.scalar(select(Mentor).where(Mentor.first_name == "Sofie"))
    assert row is not None
    assert (row.association_id, row.active, row.signup) == (association.id, False, True)
    assert row.consent_at is not None
    assert row.languages == ["da", "ar"]
    assert row.signup_confirmed_at is None and row.signup_token_hash is not None
    mail = db.scalar(select(Notification).where(Notification.mentor_id == row.id))
    assert mail is not None
    assert (mail.kind, mail.recipient, mail.language) == (
        "signup_confirmation",
        "sofie@example.com",
        "da",
    )
    assert row.signup_token_hash not in mail.payload["link"]  # the link's token, not its hash
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "signup"))
    assert event is not None and (event.actor, event.record_id) == ("volunteer", str(row.id))
    db.rollback()
    assert "Sofie" not in caplog.text and "sofie@example.com" not in caplog.text


def test_the_link_names_the_association_by_an_unguessable_token_not_its_id(
    client: TestClient, db: Session
) -> None:
    association = make_association(db)
    assert len(association.signup_token) >= 40
    assert client.get(f"/join/{association.id}").status_code == 404
    assert client.get("/join/" + "A" * 43).status_code == 404
    assert make_association(db).signup_token != association.signup_token


def test_consent_is_required_and_nothing_is_written_without_it(
    client: TestClient, db: Session
) -> None:
    link = f"/join/{make_association(db).signup_token}"
    token = token_of(client.get(link))
    before = _count(db)
    page = client.post(link, data=_form(token, consent=None))
    assert page.status_code == 400
    assert field_error(page, "consent") is not None
    assert 'href="#consent"' in page.text  # the error summary links to the box
    assert 'value="Sofie"' in page.text  # what was typed is kept
    assert _count(db) == before


def test_invalid_input_is_shown_beside_each_field_with_the_apis_rules_and_nothing_written(
    client: TestClient, db: Session
) -> None:
    link = f"/join/{make_association(db).signup_token}"
    token = token_of(client.get(link))
    before = _count(db)
    page = client.post(
        link,
        data=_form(token, last_name="", email="nope", birth_year="2999", programmes=None),
    )
    assert page.status_code == 400
    assert field_error(page, "last_name") == "Udfyld feltet."
    assert field_error(page, "email") is not None
    assert field_error(page, "birth_year") is not None
    assert field_error(page, "programmes") is not None
    assert _count(db) == before
    no_email = client.post(link, data=_form(token, email=""))
    assert no_email.status_code == 400
    assert field_error(no_email, "email") is not None
    assert _count(db) == before


def test_a_filled_honeypot_answers_like_success_and_writes_nothing(
    client: TestClient, db: Session
) -> None:
    link = f"/join/{make_association(db).signup_token}"
    token = token_of(client.get(link))
    before = _count(db)
    answer = client.post(
        link, data=_form(token, website="http://spam.example"), follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{link}/thanks"
    assert _count(db) == before


def test_sign_ups_are_limited_per_address(client: TestClient, db: Session) -> None:
    app: Any = client.app
    settings = app.state.settings.model_copy(update={"signup_limit_per_address": "2/hour"})
    app.state.signup_limiter = SignUpLimiter(settings)
    link = f"/join/{make_association(db).signup_token}"
    token = token_of(client.get(link))
    for _attempt in range(2):
        assert client.post(link, data=_form(token, consent=None)).status_code == 400
    before = _count(db)
    refused = client.post(link, data=_form(token))
    assert refused.status_code == 429
    assert "Vent" in refused.text
    assert _count(db) == before


def test_a_sign_up_without_the_pages_csrf_token_is_refused(client: TestClient, db: Session) -> None:
    link = f"/join/{make_association(db).signup_token}"
    client.get(link)
    before = _count(db)
    assert client.post(link, data=_form("forged")).status_code == 403
    assert _count(db) == before


def _confirm(client: TestClient, db: Session, first_name: str) -> None:
    """Confirm a volunteer's sign-up through the link in their (undelivered) e-mail."""
    with Session(db.get_bind()) as fresh:  # the test's own objects stay as they are
        link = fresh.scalar(
            select(Notification.payload["link"].as_string())
            .join(Mentor, Mentor.id == Notification.mentor_id)
            .where(Mentor.first_name == first_name)
        )
    assert link is not None
    path = link.removeprefix("http://127.0.0.1:8000")
    page = client.get(path)
    answer = client.post(path, data={"csrf_token": token_of(page)}, follow_redirects=False)
    assert answer.status_code == 303, answer.text


def test_the_association_sees_its_link_and_approves_a_confirmed_sign_up(
    client: TestClient, desk: Desk, db: Session
) -> None:
    association, other = make_association(db), make_association(db, name="Anden")
    link = f"/join/{association.signup_token}"
    client.post(link, data=_form(token_of(client.get(link))), follow_redirects=False)
    stranger_link = f"/join/{other.signup_token}"
    client.post(
        stranger_link,
        data=_form(token_of(client.get(stranger_link)), first_name="Fremmed"),
        follow_redirects=False,
    )
    _confirm(client, db, "Sofie")
    _confirm(client, db, "Fremmed")
    account = desk.account("association", association_id=association.id)
    assert desk.sign_in(account.email).status_code == 303
    home = client.get("/association")
    assert link in home.text
    assert other.signup_token not in home.text
    listing = client.get("/mentors")
    assert "Sofie" in listing.text and "Fremmed" not in listing.text
    row = db.scalar(select(Mentor).where(Mentor.first_name == "Sofie"))
    stranger = db.scalar(select(Mentor).where(Mentor.first_name == "Fremmed"))
    assert row is not None and stranger is not None
    ids, version = (row.id, stranger.id), str(row.version)
    db.rollback()
    token = token_of(listing)
    form = {"csrf_token": token, "version": version}
    assert client.post(f"/mentors/{ids[1]}/approve", data=form).status_code == 404
    assert client.post(f"/mentors/{ids[0]}/approve", data={"version": "1"}).status_code == 403
    approved = client.post(f"/mentors/{ids[0]}/approve", data=form, follow_redirects=False)
    assert approved.status_code == 303
    assert db.scalar(select(Mentor.active).where(Mentor.id == ids[0])) is True
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "approve"))
    assert event is not None and event.actor == f"account:{account.id}"
    db.rollback()
    again = client.post(f"/mentors/{ids[0]}/approve", data=form, follow_redirects=False)
    assert again.headers["location"] == "/mentors?done=stale"


def _deliver(client: TestClient, database_url: str, mailbox: Mailbox) -> None:
    app: Any = client.app
    settings = Settings(
        database_url=database_url,
        smtp_url=mailbox.url,
        mail_domain="makker.test",
        mail_from="makker@makker.test",
        notify_timeout_seconds=5.0,
    )
    result = Sender(app.state.engine, settings).run_pass()
    assert result.failed == [], result


@pytest.mark.parametrize(("language", "words"), [("da", "Bekræft"), ("en", "Confirm")])
def test_a_volunteer_confirms_by_the_mailed_link_and_only_then_the_association_sees_them(
    client: TestClient,
    desk: Desk,
    db: Session,
    database_url: str,
    mailbox: Mailbox,
    language: str,
    words: str,
) -> None:
    association = make_association(db, name="Frivilligbyen")
    association_id, link = association.id, f"/join/{association.signup_token}"
    client.cookies.set("makker_lang", language)
    client.post(link, data=_form(token_of(client.get(link))), follow_redirects=False)
    client.cookies.delete("makker_lang")
    _deliver(client, database_url, mailbox)
    [got] = mailbox.received
    assert got.rcpt_tos == ["sofie@example.com"]
    assert str(got.message["Subject"]).startswith(words)
    assert "Frivilligbyen" in str(got.message["Subject"])
    plain = got.part("plain")
    found = re.search(r"http://127\.0\.0\.1:8000(/join/confirm/[A-Za-z0-9_-]+)", plain)
    assert found is not None, plain
    path = found.group(1)
    assert path in got.part("html")
    sent = db.scalar(select(Notification.payload).where(Notification.kind == "signup_confirmation"))
    assert sent == {}  # delivered: the payload (the link with it) is emptied
    db.rollback()

    account = desk.account("association", association_id=association_id)
    assert desk.sign_in(account.email).status_code == 303
    assert "Sofie" not in client.get("/mentors").text  # not confirmed yet: not shown
    page = client.get(path)  # a GET (a mail scanner following the link) confirms nothing
    assert page.status_code == 200
    assert "Sofie" not in client.get("/mentors").text
    confirmed = client.post(path, data={"csrf_token": token_of(page)}, follow_redirects=False)
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"{link}/confirmed"
    assert "Frivilligbyen" in client.get(confirmed.headers["location"]).text
    row = db.scalar(select(Mentor).where(Mentor.first_name == "Sofie"))
    assert row is not None and row.signup_confirmed_at is not None and not row.active
    assert row.signup_token_hash is None
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "confirm"))
    assert event is not None and (event.actor, event.record_id) == ("volunteer", str(row.id))
    db.rollback()
    assert "Godkend Sofie" in client.get("/mentors").text
    used = client.post(path, data={"csrf_token": token_of(page)})
    assert used.status_code == 404 and "Linket virker ikke" in used.text  # once only
    assert client.get(path).status_code == 404


def test_an_expired_or_unknown_confirmation_link_does_not_work(
    client: TestClient, db: Session
) -> None:
    association = make_association(db)
    link = f"/join/{association.signup_token}"
    client.post(link, data=_form(token_of(client.get(link))), follow_redirects=False)
    path = db.scalar(select(Notification.payload["link"].as_string()))
    assert path is not None
    path = path.removeprefix("http://127.0.0.1:8000")
    row = db.scalar(select(Mentor).where(Mentor.first_name == "Sofie"))
    assert row is not None
    row.created_at = clock.utcnow() - timedelta(hours=73)
    db.commit()
    page = client.get(path)
    assert page.status_code == 404 and "Linket virker ikke" in page.text
    refused = client.post(path, data={"csrf_token": token_of(client.get(link))})
    assert refused.status_code == 404
    assert db.scalar(select(Mentor.signup_confirmed_at).where(Mentor.id == row.id)) is None
    db.rollback()
    assert client.get("/join/confirm/" + "A" * 43).status_code == 404


def test_every_pending_sign_up_is_found_past_the_first_page_of_mentors(
    client: TestClient, desk: Desk, db: Session
) -> None:
    # 30 mentors registered first fill the first pages of the list by id; 30 confirmed
    # sign-ups come after them. Unconfirmed ones and a former sign-up who stopped are not
    # awaiting approval.
    association = make_association(db)
    for n in range(30):
        make_mentor(db, association, first_name=f"Fast{n:02d}")
    now = clock.utcnow()
    signed_up = {"signup": True, "active": False, "consent_at": now}
    for n in range(30):
        make_mentor(db, association, first_name=f"Ny{n:02d}", signup_confirmed_at=now, **signed_up)
    make_mentor(db, association, first_name="Ubekraeftet", **signed_up)
    make_mentor(
        db,
        association,
        first_name="Stoppet",
        signup_confirmed_at=now,
        signup_approved_at=now,
        **signed_up,
    )
    account = desk.account("association", association_id=association.id)
    assert desk.sign_in(account.email).status_code == 303
    seen: list[str] = []
    page = client.get("/mentors")
    while True:
        approvals = re.findall(r"Godkend (Ny\d\d)", page.text)
        assert len(approvals) <= 25
        seen += approvals
        more = re.search(r'href="/mentors\?pending_cursor=([^"&]+)"', page.text)
        if more is None:
            break
        page = client.get(f"/mentors?pending_cursor={more.group(1)}")
    assert seen == [f"Ny{n:02d}" for n in range(30)]
    assert "Ubekraeftet" not in page.text
    assert "Godkend Stoppet" not in page.text
