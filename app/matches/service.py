"""Matches: reading them in scope, a coordinator's manual match, and the decisions on one.

Statuses: ``proposed`` → ``accepted`` | ``rejected`` | ``superseded``; ``accepted`` → ``ended``.
Any other move is a 409. Capacity is enforced when accepting (a manual proposal may exceed
it). A manual proposal obeys the solver's hard rules (``programme`` and ``child_safety``
absolutely, the others unless overridden with a reason); accepting re-checks the absolute ones.
Services never commit: the request does.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from app import audit, clock
from app.auth import Principal
from app.errors import Conflict, Forbidden, NotFound, ValidationFailed
from app.etag import check_if_match
from app.households.service import household_id_for, member_ids
from app.matches import repository as repo
from app.matches.mapping import age_on, check_pair
from app.matches.schemas import (
    ABSOLUTE_RULES,
    OVERRIDABLE_RULES,
    AssociationMatchRead,
    HouseholdMemberForMentor,
    MatchCreate,
    MatchRead,
    NewcomerForMentor,
)
from app.models import LIVE_STATUSES, Match, MatchSource, MatchStatus, Programme
from app.notify import events as notify
from app.pagination import Page, PageParams

RESOURCE = "match"
#: PostgreSQL's deadlock_detected and serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


_now = clock.utcnow


def get_match(session: Session, principal: Principal, match_id: int) -> Match:
    """A match in the caller's scope, else 404 (exactly as for a missing one)."""
    return repo.get(session, principal, match_id)


def present(
    session: Session,
    principal: Principal,
    matches: Sequence[Any],
    *,
    action: str = "read",
    group_codes: Collection[str] | None = None,
) -> list[MatchRead] | list[AssociationMatchRead]:
    """The matches (``Match`` objects, or rows of the table's columns) as the caller may see
    them: full for staff, reduced for associations.

    A household match shows its members (staff: their ids; an association, on a live match
    only: what a mentor family needs of each, as of the newcomer); a live group-programme
    match shows its trainer's group (its size and the other participants the caller may see). An
    association sees part of each newcomer's record (first name, age, languages,
    municipality), so every newcomer shown is an audit event (``action`` on ``newcomer``).
    ``group_codes``: the group programmes, when the caller has read them already.
    """
    households = member_ids(session, {m.household_id for m in matches if m.household_id})
    if group_codes is None:
        group_codes = repo.places(session).group_max
    mates = repo.group_mates(session, principal, matches, group_codes)
    association = principal.role == "association"

    # The group and the household as plain data, validated with the match itself in one
    # call (the same models, without a model object built per participant).
    def group_of(m: Any) -> dict[str, Any] | None:
        if m.id not in mates:
            return None
        size, others = mates[m.id]
        return {
            "size": size,
            "others": [
                {"match_id": i, "newcomer_id": None if association else n} for i, n in others
            ],
        }

    if not association:
        out_staff: list[MatchRead] = []
        # A row's columns as a mapping (reading a row's attributes by name is slower, and
        # pydantic would also ask the row for ``household`` and ``group``), by the names of
        # the page's columns, read once.
        names = matches[0]._fields if matches and isinstance(matches[0], Row) else None
        for m in matches:
            data: dict[str, Any] = (
                dict(zip(names, m, strict=True)) if names is not None else _attributes(m)
            )
            if m.household_id in households:
                data["household"] = {"id": m.household_id, "members": households[m.household_id]}
            data["group"] = group_of(m)
            out_staff.append(MatchRead.model_validate(data))
        return out_staff
    # The household's members (as they are now) only on a live match: a long-ended match
    # must not show them, nor a member added after it ended.
    live = {m.household_id for m in matches if m.status in LIVE_STATUSES}
    shown = {m.newcomer_id for m in matches} | {
        n for h, members in households.items() if h in live for n in members
    }
    newcomers = repo.newcomers_by_id(session, shown)
    today = _now().date()
    out: list[AssociationMatchRead] = []
    for m in matches:
        n = newcomers[m.newcomer_id]
        family = (
            households.get(m.household_id)
            if m.household_id is not None and m.status in LIVE_STATUSES
            else None
        )
        out.append(
            AssociationMatchRead(
                id=m.id,
                mentor_id=m.mentor_id,
                programme=m.programme,
                status=MatchStatus(m.status),
                newcomer=NewcomerForMentor(
                    first_name=n.first_name,
                    age=age_on(n.birth_date, today),
                    languages=list(n.languages),
                    municipality=n.municipality,
                    programme=m.programme,
                ),
                household=None
                if family is None
                else [
                    HouseholdMemberForMentor(
                        first_name=newcomers[i].first_name,
                        age=age_on(newcomers[i].birth_date, today),
                        languages=list(newcomers[i].languages),
                        municipality=newcomers[i].municipality,
                    )
                    for i in family
                    if i in newcomers
                ],
                group=group_of(m),
                created_at=m.created_at,
                decided_at=m.decided_at,
                ended_at=m.ended_at,
            )
        )
    audit.record_reads(session, principal, action, "newcomer", sorted(newcomers))
    return out


#: What :class:`MatchRead` shows of a match's own columns.
_COLUMN_FIELDS = tuple(
    name for name in MatchRead.model_fields if name not in ("household", "group")
)


def _attributes(match: Match) -> dict[str, Any]:
    """The columns of ``match`` that :class:`MatchRead` shows."""
    return {name: getattr(match, name) for name in _COLUMN_FIELDS}


def staff_view(session: Session, principal: Principal, match: Match) -> MatchRead:
    """One match as staff see it (with its household and group)."""
    [row] = present(session, principal, [match])
    assert isinstance(row, MatchRead)
    return row


def read_one(
    session: Session, principal: Principal, match: Match
) -> MatchRead | AssociationMatchRead:
    """One match as the caller may see it."""
    return present(session, principal, [match], action="read")[0]


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
    """A page of the caller's matches, filtered.

    Associations may not filter by ``newcomer_id`` (403): their view hides it, and the filter
    would tell them which newcomer a match is with.
    """
    if principal.role == "association" and newcomer_id is not None:
        raise Forbidden("newcomer_id is not a filter for association keys (they see no ids)")
    rows, cursor = repo.list_page(
        session,
        principal,
        params,
        status=status,
        newcomer_id=newcomer_id,
        mentor_id=mentor_id,
        municipality=municipality,
        programme=programme,
        columns=True,
    )
    # Which of the page's programmes are group programmes came with the page.
    group_codes = {row.programme for row in rows if row.in_group}
    items = present(session, principal, rows, action="list", group_codes=group_codes)
    if principal.role == "association":
        return Page[AssociationMatchRead](items=items, next_cursor=cursor)
    return Page[MatchRead](items=items, next_cursor=cursor)


class RuleBroken(ValidationFailed):
    """A 422: the pair breaks hard rules; each error names its ``rule``."""

    def __init__(self, rules: Sequence[str], *, field: str, message: str) -> None:
        super().__init__(field, message)
        self.detail = f"The pair breaks the hard rule {', '.join(rules)}: {message}"
        self.errors = [{"field": field, "message": message, "rule": rule} for rule in rules]


class RuleConflict(Conflict):
    """A 409: an accept found the pair breaking an absolute rule as the people are now."""

    def __init__(self, rules: Sequence[str], *, field: str, message: str) -> None:
        super().__init__(
            f"The pair now breaks the hard rule {', '.join(rules)}: {message}",
            errors=[{"field": field, "message": message, "rule": rule} for rule in rules],
        )


_ABSOLUTE_MESSAGES = {
    "programme": (
        "programme",
        "the mentor does not volunteer for the programme, or the newcomer's age is outside "
        "its age range",
    ),
    "child_safety": (
        "mentor_id",
        "the newcomer is under the child-certificate age (or of unknown age) and the mentor "
        "has no child certificate",
    ),
}


def _refuse_absolute(failed: Sequence[str], error: type[RuleBroken] | type[RuleConflict]) -> None:
    """Raise ``error`` naming the first absolute rule in ``failed`` (they can never be
    overridden)."""
    for rule in ABSOLUTE_RULES:
        if rule in failed:
            field, message = _ABSOLUTE_MESSAGES[rule]
            raise error([rule], field=field, message=message)


def create_manual(session: Session, principal: Principal, body: MatchCreate) -> Match:
    """A coordinator's manual match, as a proposal (it may exceed the mentor's capacity).

    The pair is held to the solver's own hard rules (:func:`app.matches.mapping.check_pair`):
    breaking an absolute rule is a 422 naming it, breaking another a 422 unless the body
    overrides it. Locks the newcomer row, then the mentor row, as an accept does, so that an
    accept or another proposal for the same request or pair cannot interleave; the unique
    index on live pairs backs it.
    """
    if body.overrides and body.override_reason is None:
        raise ValidationFailed("override_reason", "required when overrides are given")
    if body.override_reason is not None and not body.overrides:
        raise ValidationFailed("override_reason", "only with overrides")
    scope = principal.municipalities if principal.role == "coordinator" else None
    newcomer = repo.lock_newcomer(session, body.newcomer_id, municipalities=scope)
    if newcomer is None:  # missing or out of scope, alike
        raise ValidationFailed("newcomer_id", f"no newcomer {body.newcomer_id}")
    if not newcomer.active:
        raise ValidationFailed("newcomer_id", "the newcomer is not active")
    programme = session.scalar(select(Programme).where(Programme.code == body.programme))
    if programme is None or not programme.active:
        raise ValidationFailed("programme", f"unknown programme {body.programme!r}")
    if body.programme not in (newcomer.programmes or []):
        raise ValidationFailed("programme", "the newcomer has not asked for this programme")
    mentor = repo.lock_mentor(session, body.mentor_id)
    if mentor is None or not mentor.active:
        # Missing and inactive alike: only active mentors can be proposed (or suggested).
        raise ValidationFailed("mentor_id", f"no active mentor {body.mentor_id}")
    if repo.request_taken(session, newcomer.id, body.programme):
        raise Conflict("This request already has an accepted match")
    if repo.active_pair(session, newcomer.id, mentor.id) is not None:
        raise Conflict("This mentor is already proposed or matched to this newcomer")
    verdict = check_pair(session, newcomer, mentor, body.programme, today=_now().date())
    _refuse_absolute(verdict.failed, RuleBroken)
    broken = [rule for rule in verdict.failed if rule in OVERRIDABLE_RULES]
    missing = [rule for rule in broken if rule not in body.overrides]
    if missing:
        raise RuleBroken(
            missing,
            field="overrides",
            message=(
                f"the pair breaks {', '.join(missing)}; list them in overrides, with an "
                "override_reason, to propose it anyway"
            ),
        )
    match = Match(
        newcomer_id=newcomer.id,
        mentor_id=mentor.id,
        programme=body.programme,
        status=MatchStatus.PROPOSED,
        source=MatchSource.MANUAL,
        score=verdict.score,
        components=verdict.components,
        distance_km=verdict.distance_km,
        # Only the rules this pair actually breaks are overridden (an unneeded one is moot).
        overrides=broken,
        override_reason=body.override_reason if broken else None,
        household_id=household_id_for(session, newcomer.id, body.programme),
    )
    session.add(match)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        # The unique index on live pairs (or on accepted requests): a concurrent request won.
        raise Conflict("This mentor is already proposed or matched to this newcomer") from exc
    audit.record(session, principal, "create", RESOURCE, match.id)
    # Which rules were overridden (never the reason: free text may hold personal data).
    for rule in broken:
        audit.record(session, principal, f"override_{rule}", RESOURCE, match.id)
    return match


def accept(session: Session, principal: Principal, match_id: int, if_match: str | None) -> Match:
    """Accept a proposal: 409 unless it is proposed, its newcomer active and still asking for
    the programme, the absolute hard rules still hold for the pair as the people are now, its
    request open, its mentor active and not full, and the pair not already matched in
    another programme. 404 when the match is gone (erased with its newcomer or mentor)."""
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
    if match.status != MatchStatus.PROPOSED:
        raise Conflict(f"Only a proposed match can be accepted; this one is {match.status}")
    # Serialise accepts per request and per mentor (PostgreSQL row locks, newcomer first;
    # SQLite holds the write lock already), then one conditional UPDATE checks everything at
    # the moment it writes.
    newcomer = repo.lock_newcomer(session, match.newcomer_id)
    mentor = repo.lock_mentor(session, match.mentor_id)
    if newcomer is None or mentor is None:
        # Erased meanwhile, and the match with them (the rows cascade).
        raise NotFound(f"Match {match_id} not found")
    # The programme last: its group_max (read below) cannot change until this commits.
    repo.lock_programme(session, match.programme)
    if match.programme not in (newcomer.programmes or []):
        # Checked on the locked row: the newcomer cannot change it before this commit.
        raise Conflict("The newcomer no longer asks for this programme")
    # The absolute rules, on the locked rows as they are now (a certificate may have lapsed,
    # a birthday passed), for solver and manual proposals alike.
    verdict = check_pair(session, newcomer, mentor, match.programme, today=_now().date())
    _refuse_absolute(verdict.failed, RuleConflict)
    now = _now()
    places = repo.places(session)
    try:
        with session.begin_nested():
            accepted = repo.accept_if_possible(session, match, now, places)
    except IntegrityError as exc:
        # The unique index on accepted requests: a concurrent accept got there first.
        raise Conflict("This request already has an accepted match") from exc
    if not accepted:
        current = repo.reread(session, match.id)
        if current is None:
            raise NotFound(f"Match {match_id} not found")
        if current.status != MatchStatus.PROPOSED:
            raise Conflict(f"Only a proposed match can be accepted; this one is {current.status}")
        if not newcomer.active:
            raise Conflict("The newcomer is not active")
        if not mentor.active:
            raise Conflict("The mentor is not active")
        if repo.pair_accepted_elsewhere(session, current):
            raise Conflict("This mentor is already matched to this newcomer in another programme")
        if repo.request_taken(session, current.newcomer_id, current.programme):
            raise Conflict("This request already has an accepted match")
        if current.programme in places.group_max:
            raise Conflict("The trainer's group is full")
        if repo.accepted_count(session, current.mentor_id, places) >= mentor.capacity:
            raise Conflict("The mentor has no place left")
        raise Conflict("The match changed while it was being accepted; read it again")
    repo.supersede_other_proposals(session, match, now)
    session.refresh(match)
    audit.record(session, principal, "accept", RESOURCE, match.id)
    notify.match_accepted(session, principal, match)  # committed with the decision
    return match


def _move(
    session: Session,
    principal: Principal,
    match_id: int,
    if_match: str | None,
    *,
    action: str,
    done: str,
    from_status: MatchStatus,
    values: dict[str, object],
) -> Match:
    match = get_match(session, principal, match_id)
    check_if_match(if_match, match.version)
    if match.status != from_status or not repo.transition(
        session, match, from_status=from_status, values=values
    ):
        current = repo.reread(session, match.id)
        if current is None:  # erased with its newcomer or mentor meanwhile
            raise NotFound(f"Match {match_id} not found")
        raise Conflict(f"This match is {current.status}; only a {from_status} match can be {done}")
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
        from_status=MatchStatus.PROPOSED,
        values={
            "status": MatchStatus.REJECTED,
            "reason": reason,
            "decided_at": now,
            "updated_at": now,
        },
    )


def end(
    session: Session, principal: Principal, match_id: int, if_match: str | None, reason: str
) -> Match:
    """End an accepted match; the mentor's place is free again (the association is told)."""
    now = _now()
    match = _move(
        session,
        principal,
        match_id,
        if_match,
        action="end",
        done="ended",
        from_status=MatchStatus.ACCEPTED,
        values={"status": MatchStatus.ENDED, "reason": reason, "ended_at": now, "updated_at": now},
    )
    notify.match_ended(session, principal, match)  # committed with the decision
    return match
