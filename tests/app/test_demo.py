"""The demo data set: benchmark distributions, ``makker seed-demo`` and ``makker demo-up``."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Text, create_engine, func, select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from app.auth import authenticate
from app.cli import cli
from app.config import get_settings
from app.db import make_engine, make_sessionmaker
from app.demo.people import sample_people
from app.demo.seed import seed_demo
from app.matches.mapping import age_from_year, age_on, waiting_days
from app.migrate import upgrade
from app.models import ApiKey, Association, HouseholdMember, Match, MatchRun, Mentor, Newcomer
from tests.app.conftest import _fresh_postgres


@pytest.fixture
def demo_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An empty database of its own (PostgreSQL when the tests run there), as the CLI's."""
    configured = os.environ.get("MAKKER_TEST_DATABASE_URL")
    if configured and configured.startswith("postgresql"):
        url = _fresh_postgres(configured, "demo_" + os.environ.get("PYTEST_XDIST_WORKER", "main"))
    else:
        url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("MAKKER_DATABASE_URL", url)
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()
    if url.startswith("postgresql"):
        admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = make_url(url).database
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_seed_demo_command_adds_realistic_fake_people(demo_url: str) -> None:
    upgrade(demo_url)
    now = datetime.now(UTC)

    result = CliRunner().invoke(
        cli, ["seed-demo", "--newcomers", "120", "--mentors", "60", "--seed", "5"]
    )

    assert result.exit_code == 0, result.output
    people, volunteers = sample_people(120, 60, 5)
    engine = make_engine(demo_url)
    try:
        with make_sessionmaker(engine)() as session:
            newcomers = session.scalars(select(Newcomer).order_by(Newcomer.id)).all()
            mentors = session.scalars(select(Mentor).order_by(Mentor.id)).all()
            kinds = Counter(session.scalars(select(Association.kind)))
    finally:
        engine.dispose()
    assert len(newcomers) == 120 and len(mentors) == 60
    assert kinds == Counter(
        {"red_cross": 1, "refugee_council": 1, "sports_club": 1, "housing": 1, "other": 1}
    )
    today = now.date()
    for row, person in zip(newcomers, people, strict=True):
        assert tuple(row.languages) == person.languages
        assert tuple(row.programmes) == person.programmes
        assert row.municipality == person.municipality
        assert age_on(row.birth_date, today) == person.age
        assert waiting_days(row.registered_at, today) == person.waiting_days
        assert row.first_name and row.last_name
    for mentor_row, volunteer in zip(mentors, volunteers, strict=True):
        assert age_from_year(mentor_row.birth_year, today) == volunteer.age
        assert mentor_row.capacity == volunteer.capacity
        assert mentor_row.email is not None and mentor_row.email.endswith("@example.org")
    assert len({(n.first_name, n.last_name) for n in newcomers}) > 60


def test_seed_demo_refuses_an_unmigrated_database(demo_url: str) -> None:
    result = CliRunner().invoke(cli, ["seed-demo", "--newcomers", "1", "--mentors", "1"])
    assert result.exit_code == 2
    assert "makker migrate" in result.stderr


def test_seeding_twice_reuses_the_associations(demo_url: str) -> None:
    upgrade(demo_url)
    engine = make_engine(demo_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            first = seed_demo(session, newcomers=5, mentors=5)
            second = seed_demo(session, newcomers=5, mentors=5)
            total = session.scalar(select(func.count()).select_from(Association))
    finally:
        engine.dispose()
    assert (first.associations, second.associations, total) == (5, 0, 5)


def test_demo_up_seeds_rematches_and_prints_an_admin_key(demo_url: str) -> None:
    runner = CliRunner()

    result = runner.invoke(cli, ["demo-up", "--newcomers", "150", "--mentors", "90"])

    assert result.exit_code == 0, result.output
    [line] = result.stdout.splitlines()
    assert line.startswith("Admin key: mk_")
    key = line.removeprefix("Admin key: ")
    assert "rematch" in result.stderr
    engine = make_engine(demo_url)
    try:
        with make_sessionmaker(engine)() as session:
            principal = authenticate(session, key)
            assert principal is not None and principal.is_admin
            proposals = set(
                session.scalars(select(Match.id).where(Match.status == "proposed")).all()
            )
            assert proposals
        again = runner.invoke(cli, ["demo-up", "--newcomers", "150", "--mentors", "90"])
        assert again.exit_code == 0, again.output
        assert "not seeding" in again.stderr
        with make_sessionmaker(engine)() as session:
            assert session.scalar(select(func.count()).select_from(Newcomer)) == 150
            kept = set(session.scalars(select(Match.id).where(Match.status == "proposed")).all())
            assert kept == proposals
    finally:
        engine.dispose()


def _counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return (
                session.scalar(select(func.count()).select_from(ApiKey)) or 0,
                session.scalar(select(func.count()).select_from(MatchRun)) or 0,
                session.scalar(select(func.count()).select_from(Match)) or 0,
            )
    finally:
        engine.dispose()


def test_demo_up_refuses_a_database_with_people_the_seeder_did_not_add(demo_url: str) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["demo-up", "--newcomers", "30", "--mentors", "20"]).exit_code == 0
    before = _counts(demo_url)
    engine = make_engine(demo_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            session.add(
                Newcomer(
                    municipality="101",
                    first_name="Registered",
                    last_name="Person",
                    languages=["ar"],
                    programmes=["mentor"],
                )
            )
    finally:
        engine.dispose()

    refused = runner.invoke(cli, ["demo-up", "--newcomers", "30", "--mentors", "20"])

    assert refused.exit_code == 2
    assert refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert "1 people not added by the demo seeder" in line and "--force" in line
    assert _counts(demo_url) == before  # no key minted, no run, no proposal

    forced = runner.invoke(cli, ["demo-up", "--force", "--newcomers", "30", "--mentors", "20"])
    assert forced.exit_code == 0, forced.output
    assert forced.stdout.startswith("Admin key: mk_")
    assert _counts(demo_url)[0] == before[0] + 1


def test_a_large_enough_demo_set_has_households_and_mindspring_groups_to_form(
    demo_url: str,
) -> None:
    upgrade(demo_url)
    engine = make_engine(demo_url)
    try:
        with make_sessionmaker(engine).begin() as session:
            counts = seed_demo(session, newcomers=240, mentors=40)
            members = session.execute(
                select(HouseholdMember.household_id, HouseholdMember.position, Newcomer.programmes)
                .join(Newcomer, Newcomer.id == HouseholdMember.newcomer_id)
                .order_by(HouseholdMember.household_id, HouseholdMember.position)
            ).all()
            asking = session.scalars(
                select(Newcomer.languages).where(
                    func.cast(Newcomer.programmes, Text).like('%"mindspring"%')
                )
            ).all()
            trainers = session.scalars(
                select(Mentor.languages).where(
                    func.cast(Mentor.programmes, Text).like('%"mindspring"%')
                )
            ).all()
            total = session.scalar(select(func.count()).select_from(Newcomer))
    finally:
        engine.dispose()
    assert total == 240 and counts.households == len({m[0] for m in members}) > 0
    for _household, position, programmes in members:
        assert ("network_family" in programmes) == (position == 0)
    for language in ("ar", "ti", "uk"):
        assert sum(1 for langs in asking if langs[0] == language) >= 7
        assert any(langs[0] == language for langs in trainers)
