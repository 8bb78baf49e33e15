"""app/matches/mapping.py: what the solver sees of the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from app.matches.mapping import load_problem, mentor_key, newcomer_key
from app.models import Match, Programme
from tests.app.factories import make_association, make_mentor, make_newcomer

TODAY = date(2026, 11, 22)


def add(db: Session, newcomer_id: int, mentor_id: int, programme: str, status: str) -> Match:
    row = Match(
        newcomer_id=newcomer_id,
        mentor_id=mentor_id,
        programme=programme,
        status=status,
        source="solver",
    )
    db.add(row)
    db.commit()
    return row


def test_load_problem(db: Session) -> None:
    association = make_association(db)
    full = make_mentor(db, association, capacity=1, birth_year=1990)
    other = make_mentor(db, association, capacity=3)
    make_mentor(db, association, active=False)
    a = make_newcomer(
        db,
        programmes=["mentor", "lets_network", "homework_help"],
        birth_date=date(2010, 11, 23),
        registered_at=datetime(2026, 11, 1, 23, 0, tzinfo=UTC),
    )
    b = make_newcomer(db)
    make_newcomer(db, active=False)
    add(db, a.id, full.id, "mentor", "accepted")
    add(db, b.id, full.id, "mentor", "accepted")  # over a capacity lowered since
    proposal = add(db, a.id, other.id, "lets_network", "proposed")
    stale = add(db, b.id, other.id, "mentor", "proposed")  # b's mentor request is taken
    add(db, a.id, other.id, "homework_help", "rejected")
    add(db, a.id, other.id, "homework_help", "ended")
    retired = db.get(Programme, "homework_help")
    assert retired is not None
    retired.active = False
    db.commit()

    snapshot = load_problem(db, today=TODAY)
    db.rollback()
    problem = snapshot.problem
    na, nb = newcomer_key(a.id), newcomer_key(b.id)
    mf, mo = mentor_key(full.id), mentor_key(other.id)

    assert [m.id for m in problem.mentors] == [mf, mo]
    assert problem.mentors[0].capacity == 2  # never below its accepted load
    assert problem.mentors[0].age == 36
    assert problem.mentors[1].programmes == ("mentor", "lets_network", "language_buddy")
    (newcomer,) = problem.newcomers  # b has no open request left
    assert newcomer.id == na
    assert newcomer.programmes == ("lets_network",)  # mentor taken, homework_help retired
    assert newcomer.age == 15  # sixteen tomorrow
    assert newcomer.waiting_days == 21
    assert {(f.newcomer, f.mentor, f.programme) for f in problem.fixed} == {
        (na, mf, "mentor"),
        (nb, mf, "mentor"),
    }
    assert [(p.newcomer, p.mentor, p.programme) for p in problem.previous] == [
        (na, mo, "lets_network")
    ]
    assert [(f.newcomer, f.mentor) for f in problem.forbidden] == [(na, mo)]
    assert "homework_help" in {p.code for p in problem.programmes}
    assert snapshot.proposals == {(na, mo, "lets_network"): proposal.id}
    assert snapshot.stale_proposals == (stale.id,)
    assert snapshot.newcomer_ids == {na: a.id}
    assert snapshot.mentor_ids == {mf: full.id, mo: other.id}


def test_restricted_to_some_newcomers_keeps_all_mentors_and_loads(db: Session) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=2)
    a = make_newcomer(db)
    b = make_newcomer(db)
    add(db, b.id, mentor.id, "mentor", "accepted")
    add(db, b.id, mentor.id, "lets_network", "rejected")

    snapshot = load_problem(db, newcomer_ids=[a.id], today=TODAY)
    db.rollback()
    assert [n.id for n in snapshot.problem.newcomers] == [newcomer_key(a.id)]
    assert [m.id for m in snapshot.problem.mentors] == [mentor_key(mentor.id)]
    assert len(snapshot.problem.fixed) == 1  # b's accepted match still uses a place
    assert snapshot.problem.forbidden == ()


def test_a_pending_manual_proposal_takes_its_request_and_pair(db: Session) -> None:
    association = make_association(db)
    mentor = make_mentor(db, association, capacity=2)
    newcomer = make_newcomer(db, programmes=["mentor", "lets_network"])
    manual = Match(
        newcomer_id=newcomer.id,
        mentor_id=mentor.id,
        programme="mentor",
        status="proposed",
        source="manual",
    )
    db.add(manual)
    db.commit()

    snapshot = load_problem(db, today=TODAY)
    db.rollback()
    n, m = newcomer_key(newcomer.id), mentor_key(mentor.id)
    [person] = snapshot.problem.newcomers
    assert person.programmes == ("lets_network",)  # the coordinator handles "mentor"
    assert [(f.newcomer, f.mentor) for f in snapshot.problem.forbidden] == [(n, m)]
    assert snapshot.problem.previous == ()
    assert snapshot.proposals == {}
    assert snapshot.stale_proposals == ()  # a run never supersedes it
