"""``makker seed-demo`` and ``makker demo-up`` (what ``make run`` calls before serving)."""

from __future__ import annotations

import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, inspect, select
from sqlalchemy.orm import Session

from app.accounts import repository as accounts
from app.accounts.service import set_password_from_demo
from app.auth import issue_key
from app.db import make_engine, make_sessionmaker
from app.demo.seed import SeedCounts, is_empty, people_outside_the_demo, seed_demo
from app.jobs.rematch import RunFailed, RunInProgress, rematch
from app.migrate import is_at_head, upgrade
from app.models import Account, Association

DEMO_NEWCOMERS, DEMO_MENTORS = 400, 250
KEY_NAME = "make-run"


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class NotMigrated(Exception):
    """The database is not at the newest schema (run ``makker migrate``)."""


class NotADemo(Exception):
    """The database holds people the demo seeder did not add (pass ``force``)."""


def _refuse_real_people(engine: Engine) -> None:
    if not inspect(engine).has_table("newcomers"):
        return  # a new database
    with make_sessionmaker(engine)() as session:
        others = people_outside_the_demo(session)
    if others:
        raise NotADemo(
            f"the database holds {others} people not added by the demo seeder; refusing to "
            "mint an admin key or write proposals (--force to do it anyway)"
        )


def run_seed(database_url: str, *, newcomers: int, mentors: int, seed: int = 0) -> SeedCounts:
    """Seed a migrated database in one transaction (:class:`NotMigrated` otherwise)."""
    engine = make_engine(database_url)
    try:
        if not is_at_head(engine):
            raise NotMigrated("the database is not migrated to head: run `makker migrate` first")
        with make_sessionmaker(engine).begin() as session:
            return seed_demo(session, newcomers=newcomers, mentors=mentors, seed=seed)
    finally:
        engine.dispose()


def demo_up(
    database_url: str,
    *,
    newcomers: int = DEMO_NEWCOMERS,
    mentors: int = DEMO_MENTORS,
    force: bool = False,
    say: Callable[[str], None] = _stderr,
) -> str:
    """Migrate, seed when empty, run one rematch, and return a new admin key.

    An already seeded database is left as it is (and rematched: a run with nothing changed
    keeps every proposal). Each call issues a fresh admin key named ``make-run``. A database
    holding anyone the seeder did not add is refused (:class:`NotADemo`, nothing written)
    unless ``force``: a mistaken ``DATABASE_URL`` must not get a backdoor key and proposals.
    """
    engine = make_engine(database_url)
    try:
        if not force:
            _refuse_real_people(engine)
        say("migrating")
        upgrade(database_url)
        factory = make_sessionmaker(engine)
        with factory.begin() as session:
            empty = is_empty(session)
            if empty:
                counts = seed_demo(session, newcomers=newcomers, mentors=mentors)
                say(f"seeded {counts.newcomers} newcomers and {counts.mentors} mentors")
        if not empty:
            say("database already holds data: not seeding")
        try:
            result = rematch(engine, progress=say)
            say(f"rematch: run {result.run_id}, {result.stats.get('matched', 0)} matched")
        except (RunInProgress, RunFailed) as exc:
            # The demo still comes up; proposals appear with the next run.
            say(f"rematch skipped: {exc}")
        with factory.begin() as session:
            _row, key = issue_key(session, name=KEY_NAME, role="admin")
            for account in demo_accounts(session):
                say(
                    f"desk: sign in at /signin as {account.email} with the password "
                    f"{account.password} ({account.what})"
                )
        return key
    finally:
        engine.dispose()


@dataclass(frozen=True, slots=True)
class DemoAccount:
    """A demo person for the desk, with the password just set (printed, never stored)."""

    email: str
    password: str
    what: str


def demo_accounts(session: Session) -> list[DemoAccount]:
    """An admin, a coordinator of Copenhagen (101) and the first association's manager, each
    with a fresh random password (created on the first run, re-passworded on later ones)."""
    association_id = session.scalar(select(Association.id).order_by(Association.id).limit(1))
    wanted: list[tuple[str, str, dict[str, object], str]] = [
        ("admin@example.com", "admin", {}, "admin"),
        (
            "koordinator@example.com",
            "coordinator",
            {"municipalities": ["101"]},
            "coordinator of Copenhagen",
        ),
    ]
    if association_id is not None:
        wanted.append(
            (
                "forening@example.com",
                "association",
                {"association_id": association_id},
                f"association {association_id}",
            )
        )
    made = []
    for email, role, scope, what in wanted:
        account = accounts.by_email(session, email)
        if account is None:
            account = Account(email=email, role=role, **scope)
            session.add(account)
            session.flush()
        password = secrets.token_urlsafe(9)
        set_password_from_demo(session, account, password)
        made.append(DemoAccount(email=email, password=password, what=what))
    return made
