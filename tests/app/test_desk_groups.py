"""A trainer's group on the desk: the association sees it on its trainer's page (participants
only as the API's association view shows a newcomer), the coordinator on the proposal and
match cards (participants of its municipalities by name, the others only counted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.models import Match, MatchSource, MatchStatus
from tests.app.desk import Desk
from tests.app.factories import make_association, make_mentor, make_newcomer


@dataclass
class Group:
    association: int
    trainer: int
    other_trainer: int
    matches: dict[str, int]


def _group(db: Session) -> Group:
    """A MindSpring trainer (group of 6 to 10) with Amal (accepted) and Hiba (proposed) of
    Copenhagen and Sara (proposed) of Frederiksberg; another association's trainer."""
    association = make_association(db)
    trainer = make_mentor(db, association, first_name="Trine", programmes=["mindspring"])
    other = make_mentor(
        db, make_association(db, name="Anden"), first_name="Ulla", programmes=["mindspring"]
    )
    people = {
        "Amal": ("101", MatchStatus.ACCEPTED),
        "Hiba": ("101", MatchStatus.PROPOSED),
        "Sara": ("147", MatchStatus.PROPOSED),
    }
    found = {}
    for name, (municipality, status) in people.items():
        newcomer = make_newcomer(
            db,
            first_name=name,
            last_name="Efternavnsen",
            municipality=municipality,
            birth_date=date(1990, 3, 4),
            programmes=["mindspring"],
        )
        match = Match(
            newcomer_id=newcomer.id,
            mentor_id=trainer.id,
            programme="mindspring",
            status=status,
            source=MatchSource.SOLVER,
        )
        db.add(match)
        db.commit()
        found[name] = match.id
    return Group(association.id, trainer.id, other.id, found)


def _sign_in_association(desk: Desk, association_id: int) -> None:
    account = desk.account("association", association_id=association_id)
    assert desk.sign_in(account.email).status_code == 303


def test_the_association_sees_its_trainers_group(
    client: TestClient, desk: Desk, db: Session
) -> None:
    group = _group(db)
    _sign_in_association(desk, group.association)

    page = client.get(f"/mentors/{group.trainer}/groups")
    assert page.status_code == 200, page.text
    assert "Grupper med Trine som træner" in page.text
    assert "3 deltagere i en gruppe på 6 til 10 (1 accepteret)." in page.text
    assert "Gruppen kører fra 6 deltagere." not in page.text  # one accepted: it runs already
    for name in ("Amal", "Hiba", "Sara"):
        assert name in page.text
    assert "Frederiksberg" in page.text and "36 år" in page.text
    # Only what the association view of a match shows: no last names, no birth dates.
    for hidden in ("Efternavnsen", "1990", "04.03"):
        assert hidden not in page.text
    listed = client.get("/mentors")
    assert f'href="/mentors/{group.trainer}/groups"' in listed.text
    home = client.get("/association")
    assert "Gruppen: 3 deltagere" in home.text
    # Another association's trainer is a 404, as for a missing one.
    assert client.get(f"/mentors/{group.other_trainer}/groups").status_code == 404
    assert client.get("/mentors/999999/groups").status_code == 404


def test_a_group_below_its_minimum_says_when_it_runs(
    client: TestClient, desk: Desk, db: Session
) -> None:
    group = _group(db)
    db.query(Match).filter(Match.status == MatchStatus.ACCEPTED).update(
        {"status": MatchStatus.PROPOSED}
    )
    db.commit()
    _sign_in_association(desk, group.association)
    page = client.get(f"/mentors/{group.trainer}/groups")
    assert "3 deltagere i en gruppe på 6 til 10 (0 accepteret)." in page.text
    assert "Gruppen kører fra 6 deltagere." in page.text
    idle = make_mentor(
        db, make_association(db, name="Tredje"), first_name="Ida", programmes=["mentor"]
    )
    account = desk.account("association", association_id=idle.association_id)
    assert desk.sign_in(account.email).status_code == 303
    assert "Ida leder ingen gruppe." in client.get(f"/mentors/{idle.id}/groups").text


def test_the_coordinator_sees_the_group_on_the_cards_of_its_municipalities(
    client: TestClient, desk: Desk, db: Session
) -> None:
    group = _group(db)
    desk.coordinator("101")

    proposals = client.get("/proposals")
    assert proposals.status_code == 200
    assert "Trænerens gruppe" in proposals.text
    assert "3 deltagere i en gruppe på 6 til 10: " in proposals.text
    assert "1 mere uden for dine kommuner" in proposals.text
    assert "Sara" not in proposals.text  # a participant outside the scope is only counted
    active = client.get("/matches")
    assert ">Hiba</a>" in active.text  # Amal's accepted match names her group mate
    assert "Sara" not in active.text
    # The other municipality's participant's proposal is a 404, as for a missing one.
    assert client.get(f"/proposals/{group.matches['Sara']}/reject").status_code == 404
    card = client.get(f"/proposals/{group.matches['Hiba']}/reject")
    assert card.status_code == 200 and "Amal" in card.text and "Sara" not in card.text


def test_the_admin_sees_every_participant(client: TestClient, desk: Desk, db: Session) -> None:
    _group(db)
    account = desk.account("admin")
    assert desk.sign_in(account.email).status_code == 303
    proposals = client.get("/proposals")
    assert "Amal" in proposals.text and "Sara" in proposals.text
    assert "uden for dine kommuner" not in proposals.text
