"""Matches: reading them in scope, a coordinator's manual match, and the decisions on one.

Statuses: ``proposed`` → ``accepted`` | ``rejected`` | ``superseded``; ``accepted`` → ``ended``.
Any other move is a 409. Capacity is enforced when accepting (a manual proposal may exceed
it). Services never commit: the request does.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.errors import Conflict, NotFound, ValidationFailed
from app.etag import check_if_match
from app.matches import repository as repo
from app.matches.mapping import age_on
from app.matches.schemas import (
    AssociationMatchRead,
    MatchCreate,
    MatchRead,
    NewcomerForMentor,
)
from app.models import Match, Mentor, Newcomer, Programme
from app.pagination import Page, PageParams

RESOURCE = "match"
#: PostgreSQL's deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def _now() -> datetime:
    return datetime.now(UTC)


def get_match(session: Session, principal: Principal, match_id: int) -> Match:
    """A match in the caller's scope, else 404 (exactly as for a missing one)."""
    match = repo.get(session, principal, match_id)
    if match is None:
        raise NotFound(f"Match {match_id} not found")
    return match


def present(
    session: Session, principal: Principal, matches: list[Match]
) -> list[MatchRead] | list[AssociationMatchRead]:
    """The matches as the caller may see them: full for staff, reduced for associations."""
    if principal.role != "association":
        return [MatchRead.model_validate(m) for m in matches]
    newcomers = repo.newcomers_by_id(session, {m.newcomer_id for m in matches})
    today = _now().date()
    out: list[AssociationMatchRead] = []
    for m in matches:
        n = newcomers[m.newcomer_id]
        out.append(
            AssociationMatchRead(
                id=m.id,
                mentor_id=m.mentor_id,
                programme=m.programme,
                status=m.status,
                newcomer=NewcomerForMentor(
                    first_name=n.first_name,
                    age=age_on(n.birth_date, today),
                    languages=list(n.languages),
                    municipality=n.municipality,
                    programme=m.programme,
                ),
                created_at=m.created_at,
                decided_at=m.decided_at,
                ended_at=m.ended_at,
            )
        )
    return out


def read_one(
    session: Session, principal: Principal, match: Match
) -> MatchRead | AssociationMatchRead:
    """One match as the caller may see it."""
    return present(session, principal, [match])[0]


def list_matches(
    session: Session,
    principal: Principal,
    params: PageParams,
    *,
    status: str | None = None,
    newcomer_id: int | None = None,
    mentor_id: int | None = None,
    municipality: str | None = None,
    programme: str | None = None,
) -> Page[MatchRead] | Page[AssociationMatchRead]:
    """A page of the caller's matches, filtered."""
    rows, cursor = repo.list_page(
        session,
        principal,
        params,
        status=status,
        newcomer_id=newcomer_id,
        mentor_id=mentor_id,
        municipality=municipality,
        programme=programme,
    )
    items = present(session, principal, list(rows))
    if principal.role == "association":
        return Page[AssociationMatchRead](items=items, next_cursor=cursor)
    return Page[MatchRead](items=items, next_cursor=cursor)


def create_manual(session: Session, principal: Principal, body: MatchCreate) -> Match:
    """A coordinator's manual match, as a proposal (it may exceed the mentor's capacity)."""
    newcomer = session.get(Newcomer, body.newcomer_id)
    if newcomer is None or (
        principal.role == "coordinator" and newcomer.municipality not in principal.municipalities
    ):
        raise ValidationFailed("newcomer_id", f"no newcomer {body.newcomer_id}")
    if not newcomer.active:
        raise ValidationFailed("newcomer_id", "the newcomer is not active")
    mentor = session.get(Mentor, body.mentor_id)
    if mentor is None:
        raise ValidationFailed("mentor_id", f"no mentor {body.mentor_id}")
    if not mentor.active:
        raise ValidationFailed("mentor_id", "the mentor is not active")
    programme = session.scalar(select(Programme).where(Programme.code == body.programme))
    if programme is None or not programme.active:
        raise ValidationFailed("programme", f"unknown programme {body.programme!r}")
    if body.programme not in (newcomer.programmes or []):
        raise ValidationFailed("programme", "the newcomer has not asked for this programme")
    if body.programme not in (mentor.programmes or []):
        raise ValidationFailed("programme", "the mentor does not volunteer for this programme")
    if repo.request_taken(session, newcomer.id, body.programme):
        raise Conflict("This request already has an accepted match")
    if repo.active_pair(session, newcomer.id, mentor.id) is not None:
        raise Conflict("This mentor is already proposed or matched to this newcomer")
    match = Match(
        newcomer_id=newcomer.id,
        mentor_id=mentor.id,
        programme=body.programme,
        status=repo.PROPOSED,
        source="manual",
    )
    session.add(match)
    session.flush()
    audit.record(session, principal, "create", RESOURCE, match.id)
    return match


def accept(session: Session, principal: Principal, match_id: int, if_match: str | None) -> Match:
    """Accept a proposal: 409 unless it is proposed, its newcomer active and still asking for
    the programme, its request open, its mentor active and not full, and the pair not
    already matched in another programme."""
    try:
        return _accept(session, principal, match_id, if_match)
    except OperationalError as exc:
        # A deadlock with a concurrent writer (say, a run superseding this request's
        # proposals): PostgreSQL aborted this transaction; nothing was written.
        if getattr(exc.orig, "sqlstate", None) in RETRYABLE_SQLSTATES:
            raise Conflict("A concurrent change got in the way; read the match again") from exc
        raise


def _accept(session: Session, principal: Principal, match_id: int, if_match: str | None) -> Match:
    match = get_match(session, principal, match_id)
    check_if_match(if_match, match.version)
    if match.status != repo.PROPOSED:
        raise Conflict(f"Only a proposed match can be accepted; this one is {match.status}")
    # Serialise accepts per request and per mentor (PostgreSQL row locks, newcomer first;
    # SQLite holds the write lock already), then one conditional UPDATE checks everything at
    # the moment it writes.
    newcomer = repo.lock_newcomer(session, match.newcomer_id)
    mentor = repo.lock_mentor(session, match.mentor_id)
    if newcomer is not None and match.programme not in (newcomer.programmes or []):
        # Checked on the locked row: the newcomer cannot change it before this commit.
        raise Conflict("The newcomer no longer asks for this programme")
    now = _now()
    try:
        with session.begin_nested():
            accepted = repo.accept_if_possible(session, match, now)
    except IntegrityError as exc:
        # The unique index on accepted requests: a concurrent accept got there first.
        raise Conflict("This request already has an accepted match") from exc
    if not accepted:
        session.refresh(match)
        if match.status != repo.PROPOSED:
            raise Conflict(f"Only a proposed match can be accepted; this one is {match.status}")
        if newcomer is None or not newcomer.active:
            raise Conflict("The newcomer is not active")
        if mentor is None or not mentor.active:
            raise Conflict("The mentor is not active")
        if repo.pair_accepted_elsewhere(session, match):
            raise Conflict("This mentor is already matched to this newcomer in another programme")
        if repo.request_taken(session, match.newcomer_id, match.programme):
            raise Conflict("This request already has an accepted match")
        if repo.accepted_count(session, match.mentor_id) >= mentor.capacity:
            raise Conflict("The mentor has no place left")
        raise Conflict("The match changed while it was being accepted; read it again")
    repo.supersede_other_proposals(session, match, now)
    session.refresh(match)
    audit.record(session, principal, "accept", RESOURCE, match.id)
    return match


def _move(
    session: Session,
    principal: Principal,
    match_id: int,
    if_match: str | None,
    *,
    action: str,
    done: str,
    from_status: str,
    values: dict[str, object],
) -> Match:
    match = get_match(session, principal, match_id)
    check_if_match(if_match, match.version)
    if match.status != from_status or not repo.transition(
        session, match, from_status=from_status, values=values
    ):
        session.refresh(match)
        raise Conflict(f"This match is {match.status}; only a {from_status} match can be {done}")
    session.refresh(match)
    audit.record(session, principal, action, RESOURCE, match.id)
    return match


def reject(
    session: Session, principal: Principal, match_id: int, if_match: str | None, reason: str
) -> Match:
    """Reject a proposal; the pair is never proposed again."""
    now = _now()
    return _move(
        session,
        principal,
        match_id,
        if_match,
        action="reject",
        done="rejected",
        from_status=repo.PROPOSED,
        values={"status": repo.REJECTED, "reason": reason, "decided_at": now, "updated_at": now},
    )


def end(
    session: Session, principal: Principal, match_id: int, if_match: str | None, reason: str
) -> Match:
    """End an accepted match; the mentor's place is free again."""
    now = _now()
    return _move(
        session,
        principal,
        match_id,
        if_match,
        action="end",
        done="ended",
        from_status=repo.ACCEPTED,
        values={"status": repo.ENDED, "reason": reason, "ended_at": now, "updated_at": now},
    )
