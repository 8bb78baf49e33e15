"""Screenshots of the desk's main pages, for the README: ``make screenshots``.

Builds the demo (``makker demo-up``'s code: migrations, the demo people, one rematch, the
demo accounts) on a fresh SQLite database in a temporary folder, serves it with a real
``makker serve``, and renders each main page in headless Chromium (Debian's
/usr/bin/chromium, driven by Playwright, as the browser tests are; nothing is downloaded)
into ``screenshots/<name>.png`` (gitignored). The people are synthetic.

    .venv/bin/python -m tests.screenshots [--language da|en] [--width 1280]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.db import make_engine, make_sessionmaker
from app.demo.up import demo_up
from app.models import Association, Match, Newcomer
from tests.app.live_server import running_server
from tests.app.test_desk_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

_ACCOUNT = re.compile(r"as (\S+) with the password (\S+) \((\w+)")
#: (who, name of the picture, path) in the order they are taken.
PAGES: list[tuple[str, str, str]] = [
    ("nobody", "signin", "/signin"),
    ("nobody", "join", "/join/{signup_token}"),
    ("coordinator", "newcomers", "/newcomers"),
    ("coordinator", "newcomer", "/newcomers/{newcomer}"),
    ("coordinator", "newcomer-form", "/newcomers/new"),
    ("coordinator", "proposals", "/proposals"),
    ("coordinator", "match-by-hand", "/newcomers/{newcomer}/match"),
    ("coordinator", "matches", "/matches"),
    ("coordinator", "runs", "/runs"),
    ("coordinator", "overview", "/overview"),
    ("association", "association", "/association"),
    ("association", "mentors", "/mentors"),
    ("admin", "accounts", "/admin"),
    ("admin", "associations", "/admin/associations"),
    ("admin", "programmes", "/admin/programmes"),
    ("admin", "keys", "/admin/keys"),
]


def _demo(url: str) -> tuple[dict[str, tuple[str, str]], dict[str, Any]]:
    """The demo on ``url``: each role's (e-mail, password), and the ids the paths name."""
    said: list[str] = []
    demo_up(url, say=said.append)
    accounts = {
        role: (email, password)
        for line in said
        if (found := _ACCOUNT.search(line))
        for email, password, role in [found.groups()]
    }
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        proposed = select(Match.newcomer_id).where(Match.status == "proposed")
        newcomer = session.scalar(
            select(Newcomer.id)
            .where(Newcomer.municipality == "101", Newcomer.id.in_(proposed))
            .order_by(Newcomer.id)
            .limit(1)
        ) or session.scalar(select(Newcomer.id).where(Newcomer.municipality == "101").limit(1))
        token = session.scalar(select(Association.signup_token).order_by(Association.id).limit(1))
    engine.dispose()
    return accounts, {"newcomer": newcomer, "signup_token": token}


def take(language: str, width: int) -> list[Path]:
    """Render every page; the files written."""
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(exist_ok=True)
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'screenshots.db'}"
        accounts, ids = _demo(url)
        env = {"MAKKER_EMBEDDED_WORKER": "false"}
        with running_server(url, env) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            tabs: dict[str, Any] = {}
            for who, name, path in PAGES:
                if who not in tabs:
                    context = browser.new_context(
                        base_url=base,
                        locale="da-DK" if language == "da" else "en-GB",
                        viewport={"width": width, "height": 900},
                    )
                    context.add_cookies([{"name": "makker_lang", "value": language, "url": base}])
                    tab = context.new_page()
                    if who in accounts:
                        email, password = accounts[who]
                        tab.goto("/signin")
                        tab.fill("#email", email)
                        tab.fill("#password", password)
                        tab.locator("form button[type=submit]").last.click()
                        tab.wait_for_load_state()
                    tabs[who] = tab
                tab = tabs[who]
                tab.goto(path.format(**ids))
                target = SCREENSHOTS / f"{name}.png"
                tab.screenshot(path=str(target), full_page=True)
                written.append(target)
            browser.close()
    return written


def main() -> None:
    """Command-line entry: ``python -m tests.screenshots``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--language", choices=("da", "en"), default="da")
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"Chromium is not installed ({CHROMIUM}; apt-get install chromium)")
    for path in take(args.language, args.width):
        print(path.relative_to(SCREENSHOTS.parent))


if __name__ == "__main__":
    main()
