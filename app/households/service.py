"""Household use cases, and the household rules other packages apply (one place for each).

- Members are newcomers the caller may see; a newcomer is in at most one household (409 naming
  the member, also when a concurrent request took them first: the unique ``newcomer_id``).
- Only the contact person (the first member) asks for a ``unit: household`` programme; another
  member listing one is a 422 naming them.
- A household match's ``newcomer_id`` is the contact person: when the contact changes (a new
  order, or the contact removed or erased), the household's live matches and the household
  programmes the old contact asked for move to the new one, in the same transaction.
- Erasing members (:func:`before_erasure`) leaves the household and its matches with the
  others; erasing the last member removes the household.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app import audit
from app.auth import Principal
from app.errors import Conflict, ValidationFailed
from app.etag import check_if_match
from app.households import repository
from app.households.schemas import HouseholdCreate, HouseholdRead, HouseholdUpdate
from app.matches import repository as matches_repository
from app.models import LIVE_STATUSES, Household, HouseholdMember, Match, Newcomer, Programme
from app.newcomers import repository as newcomers
from app.pagination import PageParams

RESOURCE = "household"


def read_of(session: Session, households: Sequence[Household]) -> list[HouseholdRead]:
    """The API's view of households (with the contact person's municipality)."""
    places = repository.municipalities_of(session, households)
    return [
        HouseholdRead(
            id=h.id,
            members=h.member_ids,
            contact_id=h.contact_id,
            municipality=places.get(h.id, ""),
            created_at=h.created_at,
            updated_at=h.updated_at,
        )
        for h in households
    ]


def list_households(
    session: Session, principal: Principal, params: PageParams, *, municipality: str | None
) -> tuple[Sequence[Household], str | None]:
    """A page of the households the caller may see (each read is audited)."""
    rows, cursor = repository.list_scoped(session, principal, params, municipality=municipality)
    audit.record_many(session, principal, "list", RESOURCE, [row.id for row in rows])
    return rows, cursor


def get_household(session: Session, principal: Principal, household_id: int) -> Household:
    """One household in the caller's scope (audited)."""
    row = repository.get_scoped(session, principal, household_id)
    audit.record(session, principal, "read", RESOURCE, row.id)
    return row


def create_household(session: Session, principal: Principal, data: HouseholdCreate) -> Household:
    """A household of newcomers the caller may see (409 when one is in a household already)."""
    _check_members(session, principal, data.members, household_id=None)
    row = Household()
    row.members = [
        HouseholdMember(newcomer_id=newcomer_id, position=i)
        for i, newcomer_id in enumerate(data.members)
    ]
    session.add(row)
    _flush(session, data.members)
    audit.record(session, principal, "create", RESOURCE, row.id)
    return row


def update_household(
    session: Session,
    principal: Principal,
    household_id: int,
    data: HouseholdUpdate,
    if_match: str | None,
) -> Household:
    """Add, remove or reorder members (412 when stale)."""
    row = repository.get_scoped(session, principal, household_id, for_update=True)
    check_if_match(if_match, row.version)
    wanted = data.changes().get("members")
    if wanted is None or wanted == row.member_ids:
        return row
    previous_contact = row.contact_id
    if wanted[0] != previous_contact:
        _hand_over(session, previous_contact, wanted[0])
    _check_members(session, principal, wanted, household_id=row.id)
    kept = {m.newcomer_id: m for m in row.members}
    for member in list(row.members):
        if member.newcomer_id not in wanted:
            row.members.remove(member)
    session.flush()  # the removed rows go before anyone is added back
    members = []
    for position, newcomer_id in enumerate(wanted):
        member = kept.get(newcomer_id) or HouseholdMember(newcomer_id=newcomer_id)
        member.position = position
        members.append(member)
    row.members = members
    row.version += 1
    _flush(session, wanted)
    if row.contact_id != previous_contact:
        _move_matches(session, row.id, row.contact_id, live_only=True)
    audit.record(session, principal, "update", RESOURCE, row.id)
    return row


def delete_household(
    session: Session, principal: Principal, household_id: int, if_match: str | None
) -> None:
    """Dissolve a household (409 while it has a proposed or accepted match)."""
    row = repository.get_scoped(session, principal, household_id, for_update=True)
    check_if_match(if_match, row.version)
    live = session.scalar(
        select(func.count())
        .select_from(Match)
        .where(Match.household_id == row.id, Match.status.in_(LIVE_STATUSES))
    )
    if live:
        raise Conflict(
            f"Household {row.id} has a proposed or accepted match; reject or end it first"
        )
    session.delete(row)
    session.flush()
    audit.record(session, principal, "delete", RESOURCE, household_id)


def _check_members(
    session: Session, principal: Principal, members: Sequence[int], *, household_id: int | None
) -> None:
    """422 for a member the caller cannot see or a non-contact asking for a household
    programme; 409 for a member of another household. The members are locked."""
    found = {
        n.id: n
        for n in session.scalars(
            newcomers.scoped(principal)
            .where(Newcomer.id.in_(list(members)))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    household_codes = household_programmes(session)
    for i, newcomer_id in enumerate(members):
        person = found.get(newcomer_id)
        if person is None:
            raise ValidationFailed(f"members.{i}", f"no newcomer {newcomer_id}")
        listed = [code for code in person.programmes if code in household_codes]
        if i > 0 and listed:
            raise ValidationFailed(
                f"members.{i}",
                f"newcomer {newcomer_id} asks for {listed[0]!r}, a household programme: "
                "only the contact person (the first member) asks for it",
            )
    taken = repository.membership_of(session, members)
    for i, newcomer_id in enumerate(members):
        other = taken.get(newcomer_id)
        if other is not None and other.household_id != household_id:
            raise _in_another(i, newcomer_id)


def _in_another(index: int, newcomer_id: int) -> Conflict:
    message = f"newcomer {newcomer_id} is in another household"
    return Conflict(message, errors=[{"field": f"members.{index}", "message": message}])


def _flush(session: Session, members: Sequence[int]) -> None:
    """Flush; a concurrent request that put a member in its household first is a 409."""
    try:
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        with session.no_autoflush:
            taken = repository.membership_of(session, members)
        index = next((i for i, n in enumerate(members) if n in taken), 0)
        raise _in_another(index, members[index]) from exc


def household_programmes(session: Session) -> frozenset[str]:
    """The codes of the ``unit: household`` programmes."""
    return frozenset(session.scalars(select(Programme.code).where(Programme.unit == "household")))


def check_own_programmes(
    session: Session, newcomer_id: int, programmes: Sequence[str], *, field: str = "programmes"
) -> None:
    """422 naming ``field`` when a household member who is not its contact person lists a
    household programme (the household asks for it through its contact)."""
    membership = repository.membership_of(session, [newcomer_id]).get(newcomer_id)
    if membership is None or membership.position == 0:
        return
    codes = household_programmes(session)
    for i, code in enumerate(programmes):
        if code in codes:
            raise ValidationFailed(
                f"{field}.{i}",
                f"{code!r} is a household programme: the household's contact person asks for it",
            )


def household_id_for(session: Session, newcomer_id: int, programme: str) -> int | None:
    """The household whose request (``newcomer_id``, ``programme``) is: the newcomer's, when
    they are its contact person and the programme is a household programme; else None."""
    if programme not in household_programmes(session):
        return None
    membership = repository.membership_of(session, [newcomer_id]).get(newcomer_id)
    if membership is None or membership.position != 0:
        return None
    return membership.household_id


def _hand_over(session: Session, old_contact: int, new_contact: int) -> None:
    """Move the household programmes the old contact person asks for to the new one (the
    household's request goes with its contact). Both newcomers are locked."""
    codes = household_programmes(session)
    people = {
        n.id: n
        for n in session.scalars(
            select(Newcomer)
            .where(Newcomer.id.in_([old_contact, new_contact]))
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    }
    old, new = people.get(old_contact), people.get(new_contact)
    if old is None or new is None:
        return
    moved = [code for code in old.programmes if code in codes]
    if not moved:
        return
    old.programmes = [code for code in old.programmes if code not in codes]
    new.programmes = list(new.programmes) + [c for c in moved if c not in new.programmes]
    old.version += 1
    new.version += 1
    session.flush()


def _move_matches(session: Session, household_id: int, contact_id: int, *, live_only: bool) -> None:
    """Give the household's matches (live ones, or all) to its contact person."""
    query = update(Match).where(Match.household_id == household_id)
    if live_only:
        query = query.where(Match.status.in_(LIVE_STATUSES))
    try:
        session.execute(query.values(newcomer_id=contact_id, version=Match.version + 1))
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            f"Newcomer {contact_id} already holds a match with the household's mentor or in its "
            "programme; decide it before making them the contact person"
        ) from exc


def lock_household_of(session: Session, newcomer_id: int) -> None:
    """Lock the household a newcomer is in, if any: an erasure takes it before the newcomer's
    row, so two members erased at once wait for each other instead of deadlocking."""
    session.execute(
        select(Household.id)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.newcomer_id == newcomer_id)
        .with_for_update(of=Household)
    )


def before_erasure(session: Session, newcomer_ids: Iterable[int]) -> None:
    """Keep households whole when members are erased (call before deleting the newcomers):
    the others stay, in order; an erased contact person's household matches move to the next
    member; a household left without members is removed."""
    erased = set(newcomer_ids)
    memberships = repository.membership_of(session, erased)
    for household_id in sorted({m.household_id for m in memberships.values()}):
        # Locked, then the members read afresh: a concurrent erasure of another member of this
        # household renumbers them, and both must not see the other's member as remaining.
        household = session.get(
            Household, household_id, with_for_update=True, populate_existing=True
        )
        if household is None:
            continue
        session.expire(household, ["members"])
        remaining = [m for m in household.members if m.newcomer_id not in erased]
        if not remaining:
            session.delete(household)
            session.flush()
            continue
        old_contact = household.contact_id
        contact_erased = old_contact in erased
        session.execute(
            delete(HouseholdMember).where(
                HouseholdMember.household_id == household_id,
                HouseholdMember.newcomer_id.in_(sorted(erased)),
            )
        )
        session.expire(household, ["members"])
        for position, member in enumerate(remaining):
            member.position = position
        household.version += 1
        session.flush()
        if contact_erased:
            _hand_over(session, old_contact, remaining[0].newcomer_id)
            _move_matches(session, household_id, remaining[0].newcomer_id, live_only=False)


_MEMBERS: Table = HouseholdMember.__table__  # type: ignore[assignment]


def member_ids(session: Session, household_ids: Collection[int]) -> dict[int, list[int]]:
    """Each household's members, the contact person first."""
    if not household_ids:
        return {}
    members = _MEMBERS.c  # the table's columns: no ORM layer (every page of matches asks)
    rows = session.execute(
        select(members.household_id, members.newcomer_id)
        .where(members.household_id.in_(sorted(household_ids)))
        .order_by(members.household_id, members.position)
    )
    found: dict[int, list[int]] = {}
    for household_id, newcomer_id in rows:
        found.setdefault(household_id, []).append(newcomer_id)
    return found


@dataclass(frozen=True, slots=True)
class MemberView:
    """A household member as the desk shows them (``row`` None: outside the caller's scope)."""

    newcomer_id: int
    contact: bool
    row: Newcomer | None


@dataclass(frozen=True, slots=True)
class HouseholdView:
    """A newcomer's household for the desk: its members and its matches, newest first."""

    id: int
    members: list[MemberView]
    matches: list[Match]


def desk_view(session: Session, principal: Principal, newcomer_id: int) -> HouseholdView | None:
    """The household of a newcomer the caller sees, with the members the caller may see
    (each an audited read) and the household's matches the caller may see (as the API
    scopes them); None when in no household."""
    household = repository.household_of(session, newcomer_id)
    if household is None:
        return None
    ids = household.member_ids
    visible = {
        n.id: n for n in session.scalars(newcomers.scoped(principal).where(Newcomer.id.in_(ids)))
    }
    audit.record_many(
        session,
        principal,
        "read",
        "newcomer",
        [i for i in ids if i in visible and i != newcomer_id],
    )
    matches = list(
        session.scalars(
            matches_repository.scoped(
                principal,
                select(Match).where(Match.household_id == household.id).order_by(Match.id.desc()),
            )
        )
    )
    return HouseholdView(
        id=household.id,
        members=[MemberView(i, position == 0, visible.get(i)) for position, i in enumerate(ids)],
        matches=matches,
    )
