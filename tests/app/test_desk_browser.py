"""Journeys through the desk in real headless Chromium (Debian's ``chromium``, driven by
Playwright; no browser is downloaded), against a real uvicorn server on the test database.

Each journey saves a screenshot under ``screenshots/`` and runs axe-core on every page it
visits, failing on any serious or critical violation. Without /usr/bin/chromium the journeys
are skipped, saying so — unless ``MAKKER_REQUIRE_BROWSER=1`` (as ``.ci/run`` sets), where a
missing browser or axe-core fails instead.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from tests.app.desk import PASSWORD, Desk, make_proposal
from tests.app.live_server import running_server

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / ".build" / "npm" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "screenshots"
REQUIRED = os.environ.get("MAKKER_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _unavailable() -> str | None:
    if not CHROMIUM.exists():
        return f"Chromium is not installed ({CHROMIUM}; apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright for Python is not installed"
    if not AXE.exists():
        return f"axe-core is not installed ({AXE.relative_to(ROOT)}; make installs it)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless Chromium, or a skip (a failure under MAKKER_REQUIRE_BROWSER=1)."""
    missing = _unavailable()
    if missing is not None:
        if REQUIRED:
            pytest.fail(f"browser tests required but {missing}")
        pytest.skip(f"browser journeys SKIPPED: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(database_url: str, browser: Any) -> Iterator[str]:
    """``makker serve`` on the test database, in its own process."""
    with running_server(database_url) as base:
        yield base


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh browser tab (its own cookies) with axe-core loaded into every page."""
    context = browser.new_context(base_url=server, locale="da-DK")
    context.add_init_script(path=str(AXE))
    tab = context.new_page()
    yield tab
    context.close()


def check_accessibility(page: Any) -> None:
    """No serious or critical axe-core violation on the page as it is now."""
    violations = page.evaluate(
        """async () => {
            const result = await axe.run(document, {resultTypes: ["violations"]});
            return result.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => `${v.id} (${v.impact}): ` + v.nodes.map(n => n.target.join(" ")));
        }"""
    )
    assert violations == [], f"{page.url}: {violations}"


def screenshot(page: Any, name: str) -> None:
    """Save the page as the journey's screenshot."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, email: str, password: str) -> None:
    page.goto("/")
    assert page.url.endswith("/signin")
    check_accessibility(page)
    page.get_by_label("E-mailadresse").fill(email)
    page.get_by_label("Adgangskode", exact=True).fill(password)
    page.get_by_role("button", name="Log ind").click()


def test_a_coordinator_signs_in_registers_a_newcomer_and_finds_them(
    page: Any, desk: Desk, db: Session
) -> None:
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers$"))
    check_accessibility(page)

    page.get_by_role("link", name="Registrér en nyankommen").click()
    page.wait_for_url(re.compile(r"/newcomers/new$"))
    check_accessibility(page)
    page.get_by_role("button", name="Registrér").click()  # nothing filled in: errors
    summary = page.locator("#error-summary")
    assert "Udfyld feltet." in summary.inner_text()
    check_accessibility(page)

    page.get_by_label("Fornavn").fill("Amal")
    page.get_by_label("Efternavn").fill("Browserprøve")
    page.get_by_label("Kommune", exact=True).select_option("101")
    page.get_by_label("Førstesprog", exact=True).select_option(label="Arabisk")
    page.get_by_label("Andet sprog 1").select_option(label="Engelsk")
    page.get_by_label("Interesser").fill("fodbold, madlavning")
    page.get_by_label("Mentorordning").check()
    page.get_by_role("button", name="Registrér").click()
    page.wait_for_url(re.compile(r"/newcomers/\d+\?done=created$"))
    assert "Den nyankomne er registreret." in page.content()
    assert page.get_by_role("heading", name="Amal Browserprøve").is_visible()
    check_accessibility(page)

    page.get_by_role("link", name="Tilbage til listen").click()
    page.get_by_label("Navn", exact=True).fill("browserprøve")
    page.get_by_role("button", name="Søg").click()
    found = page.get_by_role("link", name="Amal Browserprøve")
    assert found.is_visible()
    assert "browserprøve" not in page.url.lower()  # the name searched is not in the URL
    check_accessibility(page)
    screenshot(page, "coordinator-finds-the-newcomer")


def test_sign_in_fails_with_a_wrong_password(page: Any, desk: Desk) -> None:
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, "not the password at all")
    summary = page.locator("#error-summary")
    summary.wait_for()
    assert "E-mailadressen eller adgangskoden er forkert." in summary.inner_text()
    assert page.url.endswith("/signin")
    assert page.get_by_label("E-mailadresse").input_value() == coordinator.email
    check_accessibility(page)
    screenshot(page, "sign-in-fails")
    page.goto("/newcomers")
    assert page.url.endswith("/signin")  # still not signed in


def test_a_coordinator_reads_a_proposals_explanation_and_accepts_it(
    page: Any, desk: Desk, db: Session
) -> None:
    match_id = make_proposal(db)
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers$"))
    page.get_by_role("link", name="Forslag til beslutning").click()
    page.wait_for_url(re.compile(r"/proposals$"))
    explanation = page.locator(".desk-explanation").first.inner_text()
    assert (
        explanation
        == "taler arabisk, førstesproget · 7 km · deler football, cooking · 12 år imellem"
    )
    check_accessibility(page)
    screenshot(page, "coordinator-reads-a-proposal")
    page.get_by_role("button", name="Acceptér").click()
    page.wait_for_url(re.compile(r"/proposals\?done=accepted$"))
    assert "Forslaget er accepteret." in page.content()
    assert page.locator(f'form[action="/proposals/{match_id}/accept"]').count() == 0
    check_accessibility(page)


def wait_for_text(page: Any, text: str, *, seconds: float = 60) -> None:
    """Reload the page until it shows ``text`` (a run's page, as a person would)."""
    deadline = time.monotonic() + seconds
    while text not in page.content():
        assert time.monotonic() < deadline, f"{page.url} never showed {text!r}"
        time.sleep(0.5)
        page.reload()


def test_a_coordinator_matches_by_hand_with_an_override_and_a_reason(
    page: Any, desk: Desk, db: Session
) -> None:
    from tests.app.factories import make_association, make_mentor, make_newcomer

    newcomer = make_newcomer(db, first_name="Senait", languages=["ti"])
    mentor = make_mentor(db, make_association(db), first_name="Mette", languages=["da"])
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers$"))
    page.goto(f"/newcomers/{newcomer.id}")
    page.get_by_role("link", name="Match manuelt").click()
    page.wait_for_url(re.compile(r"/match$"))
    assert "Ingen opfylder reglerne nu" in page.content()
    check_accessibility(page)

    page.get_by_label("Ordning", exact=True).select_option("mentor")
    page.get_by_label("Mentornummer").fill(str(mentor.id))
    page.get_by_role("button", name="Lav forslaget").click()
    error = page.locator("#overrides-error")
    assert "Parret bryder: et fælles sprog." in error.inner_text()
    check_accessibility(page)

    page.get_by_label("et fælles sprog").check()
    page.get_by_label("Hvorfor tilsidesættes reglerne?").fill("Hun taler lidt dansk")
    page.get_by_role("button", name="Lav forslaget").click()
    page.wait_for_url(re.compile(r"/match\?done=proposed$"))
    assert "Forslaget er lavet." in page.content()
    check_accessibility(page)
    screenshot(page, "coordinator-matches-by-hand")


def test_a_coordinator_starts_a_dry_run_and_reads_its_unmatched_requests(
    page: Any, desk: Desk, db: Session
) -> None:
    from tests.app.factories import make_newcomer

    make_newcomer(db, languages=["ti"])
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers$"))
    page.get_by_role("link", name="Kørsler").click()
    check_accessibility(page)
    page.get_by_role("button", name="Start en prøvekørsel").click()
    page.wait_for_url(re.compile(r"/runs/\d+$"))
    check_accessibility(page)  # queued or running: the page says to reload
    wait_for_text(page, "Færdig")
    table = page.get_by_role("table", name="Anmodninger uden mentor i dine kommuner")
    assert "0 mentorer i ordningen" in table.inner_text()
    check_accessibility(page)
    screenshot(page, "coordinator-reads-a-dry-run")


def test_the_overview_shows_the_chart_and_the_map(
    page: Any, desk: Desk, db: Session, server: str, keys: Any
) -> None:
    from tests.app.factories import make_association, make_mentor, make_newcomer

    make_mentor(db, make_association(db), languages=["ar"])
    make_newcomer(db, languages=["ar"])
    for _ in range(5):
        make_newcomer(db, languages=["ti"])
    queued = httpx.post(f"{server}/api/v1/match-runs", headers=keys.admin(), json={})
    assert queued.status_code == 202
    run = queued.headers["location"]
    deadline = time.monotonic() + 60
    while httpx.get(f"{server}{run}", headers=keys.admin()).json()["status"] != "succeeded":
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.3)
    coordinator = desk.account("coordinator", municipalities=["101"])
    sign_in(page, coordinator.email, PASSWORD)
    page.wait_for_url(re.compile(r"/newcomers$"))
    page.get_by_role("link", name="Overblik").click()
    assert page.get_by_role("img", name="Dækning efter kommune og ordning").is_visible()
    assert page.get_by_role("img", name="Mangler pr. kommune").is_visible()
    assert "Tigrinya" in page.get_by_role("table", name="Mangler").inner_text()
    check_accessibility(page)
    screenshot(page, "coordinator-overview")
