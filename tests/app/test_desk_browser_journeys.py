"""More journeys in real headless Chromium (the set-up, skips and axe-core check of
:mod:`tests.app.test_desk_browser`): a coordinator's whole day, from signing in to finding the
accepted match; an association registers a mentor; a volunteer signs up, confirms their
address, and the association approves them; a coordinator rejects a proposal with a reason;
a second tab's stale decision is refused in words."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Mentor, Notification
from tests.app import test_desk_browser as shared
from tests.app.conftest import Keys
from tests.app.desk import PASSWORD, Desk, make_proposal
from tests.app.factories import make_association, make_mentor
from tests.app.test_desk_browser import check_accessibility, screenshot, sign_in, wait_for_text

pytestmark = pytest.mark.browser
# The browser, the server and a fresh tab: the same fixtures as the first journeys.
browser, server, page = shared.browser, shared.server, shared.page


def _nightly_run(server: str, keys: Keys) -> None:
    """The run that writes proposals (an admin's key, as the nightly job), to its end."""
    headers = keys.admin()
    queued = httpx.post(f"{server}/api/v1/match-runs", headers=headers, json={})
    assert queued.status_code == 202, queued.text
    deadline = time.monotonic() + 60
    while (
        httpx.get(f"{server}{queued.headers['location']}", headers=headers).json()["status"]
        != "succeeded"
    ):
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.3)


def test_a_coordinators_whole_journey_from_sign_in_to_the_accepted_match(
    page: Any, desk: Desk, db: Session, server: str, keys: Keys
) -> None:
    make_mentor(
        db,
        make_association(db, name="Røde Kors Rejseby"),
        first_name="Karen",
        languages=["da", "ar"],
        interests=["cooking"],
    )
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers$"))
    check_accessibility(page)

    # Register a newcomer through the form.
    page.get_by_role("link", name="Registrér en nyankommen").click()
    page.wait_for_url(re.compile(r"/newcomers/new$"))
    page.get_by_label("Fornavn").fill("Amal")
    page.get_by_label("Efternavn").fill("Rejseprøve")
    page.get_by_label("Kommune", exact=True).select_option("101")
    page.get_by_label("Førstesprog", exact=True).select_option(label="Arabisk")
    page.get_by_label("Interesser").fill("cooking, chess")
    page.get_by_label("Mentorordning").check()
    page.get_by_role("button", name="Registrér").click()
    page.wait_for_url(re.compile(r"/newcomers/\d+\?done=created$"))
    check_accessibility(page)

    # A dry run: Amal would find a mentor, and nothing is proposed yet.
    page.get_by_role("link", name="Kørsler").click()
    page.get_by_role("button", name="Start en prøvekørsel").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    wait_for_text(page, "Færdig")
    assert "Alle anmodninger i dine kommuner fandt en mentor." in page.content()
    check_accessibility(page)
    page.get_by_role("link", name="Forslag til beslutning").click()
    assert "Der er ingen forslag at beslutte." in page.content()

    # The run that writes proposals (the coordinator's desk has dry runs only: an admin's).
    _nightly_run(server, keys)
    page.reload()
    card = page.locator(".desk-card", has_text="Amal")
    assert "Karen, Røde Kors Rejseby" in card.inner_text()
    explanation = card.locator(".desk-explanation").inner_text()
    assert explanation.startswith("taler arabisk, førstesproget · "), explanation
    assert "deler cooking" in explanation
    check_accessibility(page)
    screenshot(page, "journey-a-proposal-explained")
    page.get_by_role("button", name="Acceptér Amal \u2013 Karen").click()
    page.wait_for_url(re.compile(r"/proposals\?done=accepted$"))
    assert "Forslaget er accepteret." in page.content()

    # ... and finds it under Matches.
    page.get_by_role("link", name="Match", exact=True).click()
    page.wait_for_url(re.compile(r"/matches"))
    accepted = page.locator(".desk-card", has_text="Amal")
    assert "Karen, Røde Kors Rejseby" in accepted.inner_text()
    assert "Accepteret" in accepted.inner_text()
    check_accessibility(page)
    screenshot(page, "journey-the-match")


def _association_signs_in(page: Any, desk: Desk, association_id: int) -> None:
    account = desk.account("association", association_id=association_id)
    sign_in(page, account.email, PASSWORD)
    page.wait_for_url(re.compile(r"/association$"))
    check_accessibility(page)


def test_an_association_registers_a_mentor(page: Any, desk: Desk, db: Session) -> None:
    association_id = make_association(db, name="Røde Kors Browserby").id
    db.rollback()
    _association_signs_in(page, desk, association_id)
    page.goto("/mentors")
    page.get_by_role("link", name="Registrér en mentor").click()
    page.wait_for_url(re.compile(r"/mentors/new$"))
    check_accessibility(page)
    page.get_by_label("Fornavn").fill("Karen")
    page.get_by_label("Efternavn").fill("Browserfrivillig")
    page.get_by_label("Førstesprog", exact=True).select_option(label="Dansk")
    page.get_by_label("Andet sprog 1").select_option(label="Arabisk")
    page.get_by_label("Kommune", exact=True).select_option("101")
    page.locator("#programmes").check()
    page.get_by_role("button", name="Registrér").click()
    page.wait_for_url(re.compile(r"/mentors\?done=created$"))
    assert "Mentoren er registreret." in page.content()
    assert page.get_by_role("link", name="Karen Browserfrivillig").is_visible()
    check_accessibility(page)
    screenshot(page, "association-registers-a-mentor")


def test_a_volunteer_signs_up_and_the_association_approves_them(
    page: Any, desk: Desk, db: Session
) -> None:
    association = make_association(db, name="Frivilligforeningen Browserby")
    association_id, link = association.id, f"/join/{association.signup_token}"
    db.rollback()
    page.goto(link)
    check_accessibility(page)
    page.get_by_role("button", name="Tilmeld mig").click()  # nothing filled in: errors
    summary = page.locator("#error-summary")
    assert "Sæt kryds for at give dit samtykke" in summary.inner_text()
    check_accessibility(page)
    page.get_by_label("Fornavn").fill("Sofie")
    page.get_by_label("Efternavn").fill("Browsertilmeldt")
    page.get_by_label("E-mailadresse").fill("sofie@example.com")
    page.get_by_label("Førstesprog", exact=True).select_option(label="Dansk")
    page.get_by_label("Den kommune, du bor i").select_option("101")
    page.locator("#programmes").check()
    page.get_by_label("Jeg giver samtykke").check()
    screenshot(page, "volunteer-signs-up")
    page.get_by_role("button", name="Tilmeld mig").click()
    page.wait_for_url(re.compile(r"/thanks$"))
    assert page.get_by_role("heading", name="Tak for din tilmelding").is_visible()
    check_accessibility(page)
    row = db.scalar(select(Mentor).where(Mentor.last_name == "Browsertilmeldt"))
    assert row is not None and row.active is False and row.consent_at is not None
    # The link of the e-mail the outbox holds for them (delivery: tests/app/test_desk_join.py).
    mailed = db.scalar(
        select(Notification.payload["link"].as_string()).where(Notification.mentor_id == row.id)
    )
    db.rollback()
    assert mailed is not None
    page.goto(mailed.removeprefix("http://127.0.0.1:8000"))
    check_accessibility(page)
    page.get_by_role("button", name="Bekræft min tilmelding").click()
    page.wait_for_url(re.compile(r"/confirmed$"))
    assert page.get_by_role("heading", name="Din tilmelding er bekræftet").is_visible()
    check_accessibility(page)

    _association_signs_in(page, desk, association_id)
    assert link in page.content()  # the association's page shows its sign-up link
    page.goto("/mentors")
    assert page.get_by_role("heading", name="Tilmeldinger, der venter på godkendelse").is_visible()
    check_accessibility(page)
    page.get_by_role("button", name="Godkend Sofie").click()
    page.wait_for_url(re.compile(r"/mentors\?done=approved$"))
    assert "Tilmeldingen er godkendt: mentoren er aktiv." in page.content()
    check_accessibility(page)
    screenshot(page, "association-approves-a-volunteer")
    assert db.scalar(select(Mentor.active).where(Mentor.last_name == "Browsertilmeldt")) is True
    db.rollback()


def _coordinator_opens_the_proposals(page: Any, desk: Desk) -> None:
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers$"))
    page.goto("/proposals")


def test_a_coordinator_rejects_a_proposal_with_a_reason(page: Any, desk: Desk, db: Session) -> None:
    match_id = make_proposal(db)
    _coordinator_opens_the_proposals(page, desk)
    page.locator(f'a[href^="/proposals/{match_id}/reject"]').click()
    page.wait_for_url(re.compile(rf"/proposals/{match_id}/reject"))
    check_accessibility(page)
    page.get_by_role("button", name="Afvis").click()  # no reason: refused beside the field
    assert "Skriv, hvorfor forslaget afvises." in page.locator("#error-summary").inner_text()
    check_accessibility(page)
    page.get_by_label("Hvorfor afvises forslaget?").fill("De bor for langt fra hinanden.")
    page.get_by_role("button", name="Afvis").click()
    page.wait_for_url(re.compile(r"/proposals\?done=rejected$"))
    assert "Forslaget er afvist." in page.content()
    assert page.locator(f'form[action="/proposals/{match_id}/accept"]').count() == 0
    check_accessibility(page)
    screenshot(page, "coordinator-rejects-a-proposal")


def test_a_second_tabs_stale_decision_is_refused_in_words(
    page: Any, desk: Desk, db: Session
) -> None:
    match_id = make_proposal(db)
    _coordinator_opens_the_proposals(page, desk)
    second = page.context.new_page()  # the same person, a second tab on the same proposal
    second.goto("/proposals")
    second.locator(f'a[href^="/proposals/{match_id}/reject"]').click()
    second.wait_for_url(re.compile(rf"/proposals/{match_id}/reject"))

    page.get_by_role("button", name="Acceptér").click()
    page.wait_for_url(re.compile(r"/proposals\?done=accepted$"))

    second.get_by_label("Hvorfor afvises forslaget?").fill("Hun har fundet en anden.")
    second.get_by_role("button", name="Afvis").click()
    second.get_by_role("heading", name="Beslutningen blev ikke truffet").wait_for()
    words = second.locator(".alert-warning").inner_text()
    assert "En anden har besluttet eller ændret forslaget" in words
    assert "Accepteret" in second.content()  # the proposal as it is now
    check_accessibility(second)
    screenshot(second, "a-stale-decision-is-refused")


def test_an_admin_registers_an_association_and_creates_its_key(
    page: Any, desk: Desk, db: Session
) -> None:
    admin = desk.account("admin")
    sign_in(page, admin.email, PASSWORD)
    page.wait_for_url(re.compile(r"/admin$"))
    check_accessibility(page)
    page.get_by_role("link", name="Foreninger").first.click()
    page.get_by_role("link", name="Registrér en forening").click()
    page.wait_for_url(re.compile(r"/admin/associations/new$"))
    check_accessibility(page)
    page.get_by_role("button", name="Registrér").click()  # nothing filled in: errors
    assert "Udfyld feltet." in page.locator("#error-summary").inner_text()
    check_accessibility(page)
    page.get_by_label("Navn").fill("Idrætsforeningen Browserby")
    page.get_by_label("Idrætsforening").check()
    page.get_by_role("button", name="Registrér").click()
    page.wait_for_url(re.compile(r"/admin/associations\?done=created$"))
    assert page.get_by_role("link", name="Idrætsforeningen Browserby", exact=True).is_visible()
    check_accessibility(page)
    page.goto("/admin/programmes")
    check_accessibility(page)
    page.goto("/admin/programmes/new")
    check_accessibility(page)
    page.goto("/admin/keys/new")
    check_accessibility(page)
    page.get_by_label("Hvem eller hvad nøglen er til").fill("Foreningens medlemssystem")
    page.get_by_label("Forening (for en forening)").select_option(
        label="Idrætsforeningen Browserby"
    )
    page.get_by_role("button", name="Opret nøglen").click()
    assert page.locator("#key").inner_text().startswith("mk_")
    check_accessibility(page)
    screenshot(page, "admin-creates-a-key")
    page.goto("/admin/keys")
    assert page.get_by_role("cell", name="Foreningens medlemssystem", exact=True).is_visible()
    check_accessibility(page)
