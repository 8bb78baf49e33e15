"""Issue 9's "Done when", tried as a new coordinator would, end to end on the test database.

A coordinator imports 200 newcomers from a Danish Excel file on the desk (the preview names
the three bad rows by row and column; corrected, the file goes in), starts a dry run, the
nightly run makes proposals, and the coordinator accepts some on the desk: the association's
mailbox on a real SMTP server on loopback gets exactly one Danish message per accepted match,
with only what the association may know. Then a server runs with its clock 30 days ahead
(``MAKKER_CLOCK_OFFSET_DAYS``): its sender mails the coordinator the follow-up reminder, once;
the coordinator signs in there and records a check-in, and the retention report counts the
matches.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import clock
from app.config import Settings
from app.models import CheckIn, Match, MatchRun, Newcomer
from app.notify.sender import Sender
from tests.app.conftest import Keys
from tests.app.desk import PASSWORD, Desk, token_of
from tests.app.factories import make_association, make_mentor
from tests.app.live_server import running_server
from tests.app.mailbox import Delivered, Mailbox, mailbox_fixture  # noqa: F401
from tests.app.runs import work_off
from tests.app.spreadsheets import NEWCOMER_HEADER, newcomer_rows, xlsx

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ASSOCIATION_MAIL = "frivillige@forening.example"
COORDINATOR = "koordinator@example.com"
ACCEPTED = 6
#: Each bad row, its sheet row number (the header is row 1), the column and the message shown.
BAD = [
    (17, 2, "31-02-1990", "Fødselsdato", "Skriv datoen som dd-mm-åååå."),
    (52, 4, "qqxq", "Sprog", None),
    (151, 5, "Atlantis", "Kommune", "Vælg en kommune på listen."),
]


def _upload(client: TestClient, token: str, content: bytes) -> httpx.Response:
    return client.post(
        "/imports",
        data={"csrf_token": token, "kind": "newcomers"},
        files={"file": ("nyankomne.xlsx", content, XLSX_TYPE)},
    )


def _count(db: Session, query: Any) -> int:
    found = int(db.scalar(query) or 0)
    db.rollback()  # end the read: on SQLite a transaction holds the write lock
    return found


def _import_200_newcomers(client: TestClient, desk: Desk, db: Session) -> str:
    token = token_of(client.get("/imports"))
    rows = newcomer_rows(200)
    good = {sheet_row: list(rows[sheet_row - 2]) for sheet_row, *_ in BAD}
    for sheet_row, cell, value, _column, _message in BAD:
        rows[sheet_row - 2][cell] = value
    preview = _upload(client, token, xlsx(NEWCOMER_HEADER, rows))
    assert preview.status_code == 200
    assert "200 rækker læst, 197 uden fejl." in preview.text
    shown = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", preview.text)
    assert [(int(r), c) for r, c, _m in shown] == [(r, c) for r, _i, _v, c, _m in BAD]
    for (_row, _column, message), expected in zip(shown, BAD, strict=True):
        assert expected[4] is None or message == expected[4]
    assert "/commit" not in preview.text
    assert _count(db, select(func.count()).select_from(Newcomer)) == 0

    for sheet_row, row in good.items():  # the coordinator corrects the three cells
        rows[sheet_row - 2] = row
    fixed = _upload(client, token, xlsx(NEWCOMER_HEADER, rows))
    assert "200 rækker læst, 200 uden fejl." in fixed.text and "Indlæs 200 rækker" in fixed.text
    commit = re.search(r'action="(/imports/[A-Za-z0-9_-]+/commit)"', fixed.text)
    assert commit is not None
    done = client.post(
        commit.group(1), data={"csrf_token": token, "kind": "newcomers"}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/newcomers?imported=200"
    assert _count(db, select(func.count()).select_from(Newcomer)) == 200
    return token


def _runs(app: FastAPI, client: TestClient, token: str, admin: dict[str, str]) -> None:
    started = client.post("/runs", data={"csrf_token": token}, follow_redirects=False)
    assert started.status_code == 303
    work_off(app)
    dry = client.get(started.headers["location"])
    assert dry.status_code == 200 and "prøvekørsel" in dry.text.lower()
    # The nightly job (an admin's writing run) makes the proposals.
    nightly = client.post("/api/v1/match-runs", headers=admin, json={"dry_run": False})
    assert nightly.status_code == 202, nightly.text
    work_off(app)
    run = client.get(nightly.headers["Location"], headers=admin).json()
    assert run["status"] == "succeeded" and run["stats"]["new"] >= ACCEPTED, run


def _accept_on_the_desk(client: TestClient, token: str) -> list[int]:
    page = client.get("/proposals")
    forms = re.findall(
        r'action="/proposals/(\d+)/accept".*?name="version" value="(\d+)"', page.text, re.S
    )
    assert len(forms) >= ACCEPTED
    accepted = []
    for match_id, version in forms[:ACCEPTED]:
        done = client.post(
            f"/proposals/{match_id}/accept",
            data={"csrf_token": token, "version": version},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        accepted.append(int(match_id))
    return accepted


def _wait_for(
    mailbox: Mailbox, count: int, recipient: str, *, subject: str, seconds: float = 30.0
) -> None:
    """Until ``recipient`` has ``count`` messages whose subject starts with ``subject``."""
    deadline = time.monotonic() + seconds
    got: list[Delivered] = []
    while time.monotonic() < deadline:
        got = [
            d
            for d in mailbox.received
            if d.rcpt_tos == [recipient] and str(d.message["Subject"]).startswith(subject)
        ]
        if len(got) >= count:
            return
        time.sleep(0.2)
    raise AssertionError(f"{recipient} got {len(got)} such messages, not {count}")


def _sign_in(http: httpx.Client) -> str:
    token = token_of(http.get("/signin"))
    signed = http.post(
        "/signin", data={"csrf_token": token, "email": COORDINATOR, "password": PASSWORD}
    )
    assert signed.status_code == 200, signed.text
    return token_of(signed)


def _check_association_mail(db: Session, mailbox: Mailbox, accepted: list[int]) -> None:
    mails = [d for d in mailbox.received if d.rcpt_tos == [ASSOCIATION_MAIL]]
    assert len(mails) == len(accepted)  # exactly one per accepted match
    assert len({str(m.message["Message-ID"]) for m in mails}) == len(accepted)
    people = {
        match_id: (first, last, born)
        for match_id, first, last, born in db.execute(
            select(Match.id, Newcomer.first_name, Newcomer.last_name, Newcomer.birth_date)
            .join(Newcomer, Newcomer.id == Match.newcomer_id)
            .where(Match.id.in_(accepted))
        )
    }
    db.rollback()
    for mail in mails:
        assert str(mail.message["Subject"]).startswith("Nyt match til ")
        assert mail.message["Content-Language"] == "da"
        text = mail.part("plain")
        number = int(re.search(r"Matchnummer: (\d+)", text).group(1))  # type: ignore[union-attr]
        first, last, born = people[number]
        assert f"Den nytilkomnes fornavn: {first}" in text
        assert f"Koordinator at kontakte: {COORDINATOR}" in text
        assert "Sprog: " in text and "Kommune: " in text and "Ordning: " in text
        for secret in (last, born.isoformat(), born.strftime("%d-%m-%Y")):
            assert secret.encode() not in mail.raw
        assert "@" not in text.replace(COORDINATOR, "")  # no contact details of anyone else


def test_a_coordinator_imports_matches_and_follows_up_a_month_later(
    app: FastAPI,
    client: TestClient,
    keys: Keys,
    desk: Desk,
    db: Session,
    database_url: str,
    mailbox: Mailbox,
) -> None:
    club = make_association(db, contact_email=ASSOCIATION_MAIL, language="da")
    for i in range(20):
        make_mentor(
            db,
            club,
            first_name=f"Frivillig{i}",
            municipality="101" if i < 12 else "751",
            languages=["da", "ar", "en", "ti", "fa"],
            capacity=3,
            programmes=["mentor", "language_buddy"],
        )
    desk.account("coordinator", email=COORDINATOR, municipalities=["101", "751"])
    assert desk.sign_in(COORDINATOR).status_code == 303

    token = _import_200_newcomers(client, desk, db)
    _runs(app, client, token, keys.admin())
    accepted = _accept_on_the_desk(client, token)

    settings = Settings(
        database_url=database_url,
        smtp_url=mailbox.url,
        mail_domain="makker.test",
        digest_hour_utc=0,
    )
    assert len(Sender(app.state.engine, settings).run_pass().sent) == len(accepted)
    _check_association_mail(db, mailbox, accepted)

    # A month later: a server whose clock runs 30 days ahead, its own sender delivering.
    later = {
        "MAKKER_CLOCK_OFFSET_DAYS": "30",
        "MAKKER_EMBEDDED_SENDER": "true",
        "MAKKER_SENDER_POLL_SECONDS": "0.3",
        "MAKKER_SMTP_URL": mailbox.url,
        "MAKKER_MAIL_DOMAIN": "makker.test",
        "MAKKER_DIGEST_HOUR_UTC": "0",
    }
    admin = keys.admin()
    with (
        running_server(database_url, later) as base,
        httpx.Client(base_url=base, follow_redirects=True) as http,
    ):
        _wait_for(mailbox, 1, COORDINATOR, subject="Opfølgninger")
        time.sleep(1.0)  # several passes of the sender: still one reminder that day
        to_coordinator = [d for d in mailbox.received if d.rcpt_tos == [COORDINATOR]]
        reminders = [m for m in to_coordinator if str(m.message["Subject"]).startswith("Opf")]
        assert len(reminders) == 1
        [reminder] = reminders
        assert reminder.message["Subject"] == f"Opfølgninger at tage: {len(accepted)}"
        text = reminder.part("plain")
        for match_id in accepted:
            assert f"Match {match_id}: " in text and "30 dage efter accept" in text
        assert b"Testfornavn" not in reminder.raw and b"Testefternavn" not in reminder.raw

        token = _sign_in(http)
        due = http.get("/follow-ups")
        assert due.text.count("/check-in") == len(accepted)
        first = accepted[0]
        form = http.get(f"/matches/{first}/check-in")
        recorded = http.post(
            f"/matches/{first}/check-in",
            data={"csrf_token": token_of(form), "status": "meeting", "note": "Mødes hver uge"},
            follow_redirects=False,
        )
        assert recorded.status_code == 303, recorded.text
        assert http.get("/follow-ups").text.count("/check-in") == len(accepted) - 1
        api_due = http.get("/api/v1/follow-ups", headers=admin).json()
        assert sorted(d["match_id"] for d in api_due) == sorted(accepted[1:])

        today = clock.today() + timedelta(days=30)
        report = http.get("/api/v1/reports/retention", headers=admin)
        assert report.status_code == 200, report.text
        rows = report.json()["rows"]
        assert sum(r["accepted"] for r in rows) == len(accepted)
        at_3m = http.get(
            "/api/v1/reports/retention",
            headers=admin,
            params={"on": (today + timedelta(days=61)).isoformat()},
        ).json()["rows"]
        assert sum(r["reached_3m"] for r in at_3m) == len(accepted)
        assert sum(r["active_3m"] for r in at_3m) == len(accepted)
        exported = http.get("/exports/retention?format=csv")
        assert exported.status_code == 200 and b"Aktive 3 mdr." in exported.content

    check_in = db.scalars(select(CheckIn)).one()
    assert (check_in.match_id, check_in.status) == (first, "meeting")
    assert check_in.recorded_at.date() == today  # recorded by the server a month ahead
    assert _count(db, select(func.count()).select_from(MatchRun)) == 2
