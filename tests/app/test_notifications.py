"""Notifications: written with the decision, delivered once over real SMTP and a real webhook
receiver on loopback, in the recipient's language, with nothing personal beyond the first name.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import clock
from app.accounts.service import principal_of
from app.config import Settings
from app.main import create_app
from app.matches import service
from app.models import Account, Match, Notification
from app.notify import events, webhook
from app.notify.sender import Sender
from tests.app.conftest import Keys
from tests.app.factories import make_association, make_mentor, make_newcomer
from tests.app.live_server import ROOT
from tests.app.mailbox import Mailbox, Receiver, mailbox_fixture, receiver_fixture  # noqa: F401
from tests.app.test_matches import make_match

LAST_NAME = "Zqxjensdottir"
BIRTH = date(2003, 5, 17)
SECRET = "s3cret-" + "x" * 40


def _settings(database_url: str, **fields: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "mail_domain": "makker.test",
        "mail_from": "makker@makker.test",
        "notify_retry_base_seconds": 0.5,
        "notify_timeout_seconds": 5.0,
        "digest_hour_utc": 0,
    }
    values.update(fields)
    return Settings(**values)


def _sender(app: FastAPI, database_url: str, **fields: Any) -> Sender:
    return Sender(app.state.engine, _settings(database_url, **fields))


def _pair(db: Session, *, language: str = "da", **association: Any) -> tuple[Any, Any, Match]:
    club = make_association(
        db, contact_email="frivillige@forening.example", language=language, **association
    )
    mentor = make_mentor(db, club, first_name="Mette")
    newcomer = make_newcomer(db, first_name="Amira", last_name=LAST_NAME, birth_date=BIRTH)
    return club, newcomer, make_match(db, newcomer.id, mentor.id)


def _accept(client: TestClient, headers: dict[str, str], match_id: int) -> None:
    answer = client.post(f"/api/v1/matches/{match_id}/accept", headers=headers)
    assert answer.status_code == 200, answer.text


def _personal(newcomer: Any) -> list[bytes]:
    born = newcomer.birth_date
    forms = [born.isoformat(), born.strftime("%d-%m-%Y"), born.strftime("%d.%m.%Y"), "17. maj"]
    return [newcomer.last_name.encode(), *(f.encode() for f in forms)]


def _outbox(db: Session) -> list[Notification]:
    db.expire_all()
    rows = list(db.scalars(select(Notification).order_by(Notification.id)))
    db.commit()  # end the transaction: on SQLite it holds the write lock
    return rows


def test_an_accepted_match_mails_the_association_once_in_danish_with_only_the_first_name(
    app: FastAPI, client: TestClient, keys: Keys, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    _club, newcomer, match = _pair(db)
    _accept(client, keys.coordinator("101"), match.id)
    [row] = _outbox(db)  # written with the decision, before any sender ran
    assert (row.kind, row.status, row.recipient) == (
        "match_accepted",
        "pending",
        "frivillige@forening.example",
    )

    sender = _sender(app, database_url, smtp_url=mailbox.url, coordinator_contact="desk@kk.test")
    assert len(sender.run_pass().sent) == 1
    assert sender.run_pass().sent == []  # never twice
    [got] = mailbox.received
    assert got.rcpt_tos == ["frivillige@forening.example"]
    message = got.message
    assert message["Subject"] == "Nyt match til Mette"
    assert message["Message-ID"] == f"<notification-{row.id}@makker.test>"
    assert message.get_content_type() == "multipart/alternative"
    text, html = got.part("plain"), got.part("html")
    for part in (text, html):
        assert "Amira" in part
        assert "Arabisk" in part and "Engelsk" in part  # languages by name, in Danish
        assert "København" in part
        assert "desk@kk.test" in part  # an API key accepted: the configured contact
    assert "Koordinator at kontakte" in text
    for secret in _personal(newcomer):
        assert secret not in got.raw
    [row] = _outbox(db)
    assert row.status == "sent" and row.sent_at is not None and row.payload == {}


def test_an_ended_match_mails_in_english_and_names_the_desk_account_that_decided(
    app: FastAPI, client: TestClient, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    _club, newcomer, match = _pair(db, language="en")
    account = Account(
        email="koordinator@kk.test", role="coordinator", municipalities=["101"], language="da"
    )
    db.add(account)
    db.commit()
    principal = principal_of(account)
    with app.state.sessionmaker.begin() as session:
        service.accept(session, principal, match.id, None)
    with app.state.sessionmaker.begin() as session:
        service.end(session, principal, match.id, None, "moved to Aarhus")

    _sender(app, database_url, smtp_url=mailbox.url).run_pass()
    accepted, ended = mailbox.received
    assert accepted.message["Subject"] == "New match for Mette"
    assert "Languages: Arabic, English" in accepted.part("plain")
    assert "Coordinator to contact: koordinator@kk.test" in accepted.part("plain")
    assert ended.message["Subject"] == "Match ended for Mette"
    assert "moved to Aarhus" not in ended.part("plain")  # free text stays out
    for got in (accepted, ended):
        for secret in _personal(newcomer):
            assert secret not in got.raw


def test_a_refused_decision_writes_no_notification(
    client: TestClient, keys: Keys, db: Session
) -> None:
    _club, _newcomer, match = _pair(db)
    headers = keys.coordinator("101")
    _accept(client, headers, match.id)
    assert client.post(f"/api/v1/matches/{match.id}/accept", headers=headers).status_code == 409
    assert len(_outbox(db)) == 1


def test_a_refusing_server_is_retried_with_backoff_then_delivered(
    app: FastAPI, client: TestClient, keys: Keys, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    _club, _newcomer, match = _pair(db)
    _accept(client, keys.coordinator("101"), match.id)
    mailbox.refusals = ["451 4.3.0 try again later"]
    sender = _sender(app, database_url, smtp_url=mailbox.url, notify_retry_base_seconds=1.0)

    before = clock.utcnow()
    first = sender.run_pass()
    assert first.retried and not first.sent
    [row] = _outbox(db)
    assert (row.status, row.attempts) == ("pending", 1)
    # One base wait after the failed attempt (measured from before it: a slow machine may
    # take a while between the attempt and this line).
    assert row.next_attempt_at >= before + timedelta(seconds=1)
    assert sender.run_pass().sent == []  # not due yet
    time.sleep(1.1)
    assert len(sender.run_pass().sent) == 1
    [row] = _outbox(db)
    assert (row.status, row.attempts) == ("sent", 2)
    assert mailbox.refused == 1 and len(mailbox.received) == 1


def test_a_permanent_refusal_or_the_last_attempt_marks_it_failed(
    app: FastAPI, client: TestClient, keys: Keys, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    _club, _newcomer, match = _pair(db)
    _accept(client, keys.coordinator("101"), match.id)
    mailbox.refusals = ["550 5.1.1 no such mailbox"]
    assert len(_sender(app, database_url, smtp_url=mailbox.url).run_pass().failed) == 1
    [row] = _outbox(db)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "SMTP 550")

    _club2, _n2, other = _pair(db, name="Anden forening")
    _accept(client, keys.coordinator("101"), other.id)
    mailbox.refusals = ["451 busy", "451 busy"]
    sender = _sender(
        app, database_url, smtp_url=mailbox.url, notify_max_attempts=2, notify_retry_base_seconds=0
    )
    results = [sender.run_pass(), sender.run_pass()]
    assert [len(r.retried) for r in results] == [1, 0] and len(results[1].failed) == 1
    assert mailbox.received == []


def test_the_daily_digest_counts_waiting_proposals_once_a_day(
    app: FastAPI, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    club = make_association(db)
    mentor = make_mentor(db, club, capacity=5)
    old = clock.utcnow() - timedelta(days=10)
    for i in range(3):
        newcomer = make_newcomer(db, first_name=f"N{i}", last_name=LAST_NAME)
        make_match(db, newcomer.id, mentor.id, created_at=old)
    fresh = make_newcomer(db, first_name="Fresh")
    make_match(db, fresh.id, mentor.id)  # waited less than the threshold
    elsewhere = make_newcomer(db, municipality="751")
    make_match(db, elsewhere.id, mentor.id, created_at=old)
    db.add_all(
        [
            Account(email="kbh@kk.test", role="coordinator", municipalities=["101"], language="en"),
            Account(email="aarhus@aak.test", role="coordinator", municipalities=["751"]),
            Account(email="none@kk.test", role="coordinator", municipalities=["147"]),
            Account(email="admin@kk.test", role="admin"),
        ]
    )
    db.commit()

    sender = _sender(app, database_url, smtp_url=mailbox.url, remind_after_days=7)
    assert sender.run_pass().digests == 2
    assert sender.run_pass().digests == 0  # one a day per account
    by_recipient = {d.rcpt_tos[0]: d for d in mailbox.received}
    assert set(by_recipient) == {"kbh@kk.test", "aarhus@aak.test"}
    kbh = by_recipient["kbh@kk.test"]
    assert kbh.message["Subject"] == "3 proposals are waiting for a decision"
    assert "København: 3" in kbh.part("plain")
    aarhus = by_recipient["aarhus@aak.test"]
    assert aarhus.message["Subject"] == "1 forslag venter på en afgørelse"
    assert LAST_NAME.encode() not in kbh.raw


def test_webhook_url_is_validated_and_the_event_arrives_signed(
    app: FastAPI,
    client: TestClient,
    keys: Keys,
    db: Session,
    database_url: str,
    receiver: Receiver,
) -> None:
    club, newcomer, match = _pair(db)
    admin = keys.admin()
    url = f"/api/v1/associations/{club.id}"

    def patch(body: dict[str, Any]) -> Any:
        return client.patch(url, headers=admin, json=body)

    refused = patch({"webhook_url": "http://example.org/hook", "webhook_secret": SECRET})
    assert refused.status_code == 422 and "webhook_url" in refused.text
    no_secret = patch({"webhook_url": "https://example.org/hook"})
    assert no_secret.status_code == 422 and "webhook_secret" in no_secret.text
    assert patch({"webhook_secret": "short"}).status_code == 422
    done = patch({"webhook_url": receiver.url, "webhook_secret": SECRET, "language": "en"})
    assert done.status_code == 200, done.text
    assert done.json()["webhook_url"] == receiver.url and "webhook_secret" not in done.json()

    _accept(client, keys.coordinator("101"), match.id)
    receiver.statuses = [503]  # the first delivery fails: retried like e-mail
    sender = _sender(app, database_url, notify_retry_base_seconds=0)  # no SMTP: webhooks only
    assert len(sender.run_pass().retried) == 1
    assert len(sender.run_pass().sent) == 1
    first, second = receiver.requests
    assert first.headers["makker-event-id"] == second.headers["makker-event-id"]
    signed = second.headers["makker-signature"]
    assert webhook.verify(SECRET, signed, second.body, int(time.time()))
    assert not webhook.verify("another-secret", signed, second.body, int(time.time()))
    assert not webhook.verify(SECRET, signed, second.body + b" ", int(time.time()))
    assert not webhook.verify(SECRET, signed, second.body, int(time.time()) + 3600)  # replay
    event = json.loads(second.body)
    assert event["kind"] == "match_accepted"
    assert event["data"]["newcomer_first_name"] == "Amira"
    assert event["data"]["languages"] == ["ar", "en"]
    assert event["subject"] == "New match for Mette"
    for secret in _personal(newcomer):
        assert secret not in second.body


def test_the_newcomers_notifications_are_exported_and_erased_with_them(
    client: TestClient, keys: Keys, db: Session
) -> None:
    club, newcomer, match = _pair(db)
    told = (club.id, club.name)  # read now: _outbox expires the rows
    coordinator, erase = keys.coordinator("101"), f"/api/v1/newcomers/{newcomer.id}"
    _accept(client, coordinator, match.id)
    assert len(_outbox(db)) == 1
    exported = client.get(f"{erase}/export", headers=coordinator)
    [listed] = exported.json()["notifications"]  # part of the newcomer's access request
    assert (listed["kind"], listed["payload"]["newcomer_first_name"]) == ("match_accepted", "Amira")
    assert (listed["association_id"], listed["payload"]["association_name"]) == told
    # Nothing of other people: the mentor's name, the association's address, who decided.
    assert "recipient" not in listed
    assert not {"mentor_first_name", "coordinator_email"} & set(listed["payload"])
    assert "Mette" not in exported.text
    assert "frivillige@forening.example" not in exported.text
    assert client.delete(erase, headers=coordinator).status_code == 204
    assert _outbox(db) == []


def _send_process(database_url: str, smtp_url: str, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MAKKER_DATABASE_URL": database_url,
        "MAKKER_SMTP_URL": smtp_url,
        "MAKKER_MAIL_DOMAIN": "makker.test",
        "MAKKER_NOTIFY_LEASE_SECONDS": "1",
        "MAKKER_LOG_LEVEL": "WARNING",
    }
    return subprocess.Popen(
        [sys.executable, "-c", "from app.cli import main; main()", "send", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_sender_killed_mid_batch_resends_at_most_the_one_in_flight_with_its_message_id(
    client: TestClient, keys: Keys, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    club = make_association(db, contact_email="frivillige@forening.example")
    coordinator = keys.coordinator("101")
    for i in range(5):
        mentor = make_mentor(db, club, first_name=f"Mentor{i}")
        newcomer = make_newcomer(db, first_name=f"Nykommer{i}")
        _accept(client, coordinator, make_match(db, newcomer.id, mentor.id).id)
    ids = [row.id for row in _outbox(db)]
    assert len(ids) == 5

    killed = _send_process(database_url, mailbox.url, "--pause-after", "3")
    assert killed.stderr is not None
    line = killed.stderr.readline()
    assert line.startswith("paused after delivering"), line
    in_flight = int(line.split()[-1])
    killed.send_signal(signal.SIGKILL)
    killed.wait(10)
    assert len(mailbox.received) == 3
    statuses = {row.id: row.status for row in _outbox(db)}
    assert statuses[in_flight] == "sending"

    time.sleep(1.2)  # the dead sender's lease runs out
    second = _send_process(database_url, mailbox.url)
    out, err = second.communicate(timeout=60)
    assert second.returncode == 0, err
    assert json.loads(out)["sent"] == 3  # the two left, and the one in flight again

    counts = Counter(mailbox.message_ids())
    assert set(counts) == {f"<notification-{i}@makker.test>" for i in ids}
    assert counts.pop(f"<notification-{in_flight}@makker.test>") == 2  # the same Message-ID
    assert set(counts.values()) == {1}
    assert {row.status for row in _outbox(db)} == {"sent"}


def test_the_sender_thread_of_a_serving_app_delivers_without_cron(
    client: TestClient, keys: Keys, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    _club, _newcomer, match = _pair(db)
    serving = create_app(
        _settings(
            database_url,
            smtp_url=mailbox.url,
            embedded_worker=False,
            sender_poll_seconds=0.1,
            log_level="WARNING",
        )
    )
    try:
        with TestClient(serving):  # the lifespan starts the sender thread
            _accept(client, keys.coordinator("101"), match.id)
            deadline = time.monotonic() + 10
            while not mailbox.received and time.monotonic() < deadline:
                time.sleep(0.05)
        assert len(mailbox.received) == 1
        assert [row.status for row in _outbox(db)] == ["sent"]
    finally:
        serving.state.engine.dispose()


def test_two_senders_at_once_deliver_each_notification_once(
    app: FastAPI, client: TestClient, keys: Keys, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    club = make_association(db, contact_email="frivillige@forening.example")
    coordinator = keys.coordinator("101")
    for i in range(8):
        mentor = make_mentor(db, club, first_name=f"Mentor{i}")
        newcomer = make_newcomer(db, first_name=f"Nykommer{i}")
        _accept(client, coordinator, make_match(db, newcomer.id, mentor.id).id)
    senders = [_sender(app, database_url, smtp_url=mailbox.url) for _ in range(2)]
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda s: s.run_pass(), senders))
    sent = [i for r in results for i in r.sent]
    assert sorted(sent) == sorted({row.id for row in _outbox(db)})  # each by one sender
    assert Counter(Counter(mailbox.message_ids()).values()) == {1: 8}


def test_follow_ups_due_remind_each_coordinator_once_a_day_in_their_language(
    app: FastAPI, client: TestClient, keys: Keys, db: Session, database_url: str, mailbox: Mailbox
) -> None:
    club = make_association(db)
    mentor = make_mentor(db, club, capacity=5)
    month_ago = clock.utcnow() - timedelta(days=31)
    due, people = [], []
    for i in range(2):
        newcomer = make_newcomer(db, first_name=f"Due{i}", last_name=LAST_NAME, birth_date=BIRTH)
        people.append(newcomer)
        due.append(make_match(db, newcomer.id, mentor.id, status="accepted", decided_at=month_ago))
    recent = make_newcomer(db, first_name="Recent", last_name=LAST_NAME)
    make_match(db, recent.id, mentor.id, status="accepted", decided_at=clock.utcnow())
    aarhus = make_newcomer(db, municipality="751", first_name="Aarhusianer")
    in_aarhus = make_match(db, aarhus.id, mentor.id, status="accepted", decided_at=month_ago)
    db.add_all(
        [
            Account(email="kbh@kk.test", role="coordinator", municipalities=["101"], language="en"),
            Account(email="aarhus@aak.test", role="coordinator", municipalities=["751"]),
            Account(
                email="off@kk.test",
                role="coordinator",
                municipalities=["101"],
                disabled_at=clock.utcnow(),
            ),
            Account(email="admin@kk.test", role="admin"),
        ]
    )
    db.commit()

    sender = _sender(app, database_url, smtp_url=mailbox.url)
    first = sender.run_pass()
    assert (first.reminders, len(first.sent)) == (2, 2)
    again = sender.run_pass()
    assert (again.reminders, again.sent) == (0, [])  # the same day: nothing twice
    by_recipient = {d.rcpt_tos[0]: d for d in mailbox.received}
    assert set(by_recipient) == {"kbh@kk.test", "aarhus@aak.test"}
    kbh = by_recipient["kbh@kk.test"]
    assert kbh.message["Subject"] == "Follow-ups due: 2"
    text = kbh.part("plain")
    assert "København: 2" in text and f"Match {due[0].id}: mentor, 30 days" in text
    assert "Aarhus" not in text
    aarhus_mail = by_recipient["aarhus@aak.test"]
    assert aarhus_mail.message["Subject"] == "Opfølgninger at tage: 1"
    assert f"Match {in_aarhus.id}" in aarhus_mail.part("html")
    for got in mailbox.received:
        assert b"Due0" not in got.raw and b"Aarhusianer" not in got.raw  # no names at all
        for secret in _personal(people[0]):
            assert secret not in got.raw

    # One key a day per account, backed by the database's unique index.
    [(key, account_id)] = db.execute(
        select(Notification.dedupe_key, Notification.account_id).where(
            Notification.recipient == "kbh@kk.test"
        )
    ).all()
    db.commit()  # end the read: on SQLite it holds the write lock
    assert key == f"follow_ups_due:{account_id}:{clock.today()}"
    with pytest.raises(IntegrityError), app.state.sessionmaker.begin() as session:
        session.add(
            Notification(
                kind="follow_ups_due",
                channel="email",
                recipient="x@kk.test",
                language="da",
                payload={},
                dedupe_key=key,
            )
        )

    # The check-in is recorded: tomorrow that match is no longer in the reminder.
    answer = client.post(
        f"/api/v1/matches/{in_aarhus.id}/check-ins",
        headers=keys.coordinator("751"),
        json={"status": "meeting"},
    )
    assert answer.status_code == 201, answer.text
    with app.state.sessionmaker.begin() as session:
        assert events.follow_ups_due(session, clock.today() + timedelta(days=1)) == 1
