"""Proposals to decide: each with the newcomer, the mentor, the distance and the explanation
in words; accept, or reject with a reason. A decision that lost a race (409, 412) says so in
words and shows the proposal as it is now.

The decisions go through :mod:`app.matches.service` with the signed-in person's principal, so
the accept's every check, the scope and the audit are the API's own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app import audit, clock
from app.accounts.service import SignedIn
from app.db import SessionDep
from app.domain import age_on
from app.errors import Conflict, PreconditionFailed
from app.etag import etag_of
from app.matches import repository as matches
from app.matches import service
from app.matches.schemas import GroupRead, MatchDecision
from app.models import LIVE_STATUSES, Match, MatchStatus
from app.pagination import PageParams
from app.programmes import repository as programmes
from app.resources import IdPath
from app.web import forms, i18n
from app.web.explain import explain
from app.web.pages import (
    DESK_DEPENDENCIES,
    DeskRole,
    DeskRoute,
    PostedForm,
    render,
    see_other,
    translator,
)

router = APIRouter(
    prefix="/proposals",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]
PAGE_SIZE = 20


def cards(
    request: Request, session: Session, signed: SignedIn, rows: Sequence[Match]
) -> list[dict[str, Any]]:
    """What the page shows of each proposal (each newcomer shown is audited as listed)."""
    lang = i18n.language_of(request)
    _ = translator(request)
    today = clock.today()
    newcomers = matches.newcomers_by_id(session, {m.newcomer_id for m in rows})
    mentors = matches.mentors_by_id(session, {m.mentor_id for m in rows})
    names = matches.association_names(session, {m.association_id for m in mentors.values()})
    known = programmes.by_codes(session, {m.programme for m in rows})
    groups = _groups(session, signed, rows)
    mates = matches.newcomers_by_id(
        session, {o.newcomer_id for g in groups.values() for o in g.others if o.newcomer_id}
    )
    # Audited apart when the page only reads (no write lock for a page of proposals).
    audit.record_reads(session, signed.principal, "list", "newcomer", sorted({*newcomers, *mates}))
    cards = []
    for match in rows:
        newcomer, mentor = newcomers[match.newcomer_id], mentors[match.mentor_id]
        group = groups.get(match.id)
        programme = known.get(match.programme)
        cards.append(
            {
                "group": None
                if group is None or programme is None
                else {
                    "size": group.size,
                    "min": programme.group_min,
                    "max": programme.group_max,
                    # The others in the caller's scope by name; the rest only counted.
                    "mates": [mates[o.newcomer_id] for o in group.others if o.newcomer_id],
                    "unseen": group.size - 1 - len(group.others),
                },
                "match": match,
                "newcomer": newcomer,
                "age": age_on(newcomer.birth_date, today) if newcomer.birth_date else None,
                "mentor": mentor,
                "association": names.get(mentor.association_id, ""),
                "programme": known[match.programme].name
                if match.programme in known
                else match.programme,
                "explanation": explain(match, newcomer, mentor, lang=lang, gettext=_, today=today),
            }
        )
    return cards


def _groups(session: Session, signed: SignedIn, rows: Sequence[Match]) -> dict[int, GroupRead]:
    """The trainer's group of each live group-programme match, as the API shows it to the
    caller (its size; the other participants the caller may see)."""
    if not any(m.status in LIVE_STATUSES for m in rows):
        return {}
    return {
        m.id: m.group
        for m in service.present(session, signed.principal, list(rows))
        if m.group is not None
    }


@router.get("")
def list_proposals(
    request: Request,
    session: SessionDep,
    signed: Staff,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The proposals waiting for a decision, in the caller's municipalities."""
    rows, next_cursor = matches.list_page(
        session,
        signed.principal,
        PageParams(limit=PAGE_SIZE, cursor=cursor or None),
        status=MatchStatus.PROPOSED,
    )
    return render(
        request,
        "proposals/list.html",
        {
            "cards": cards(request, session, signed, rows),
            "next_cursor": next_cursor,
            "notice": request.query_params.get("done"),
            "states": states(translator(request)),
        },
    )


def states(_: Callable[[str], str]) -> dict[str, str]:
    """A match's status in words."""
    return {
        "proposed": _("Waiting for a decision"),
        "accepted": _("Accepted"),
        "rejected": _("Rejected"),
        "ended": _("Ended"),
        "superseded": _("Replaced by a newer proposal"),
    }


def version_of(form: FormData) -> str | None:
    """The ``If-Match`` of the version a form was shown at."""
    typed = forms.text(form, "version")
    return etag_of(int(typed)) if typed.isdigit() and len(typed) < 10 else None


def lost_race(
    request: Request, session: Session, signed: SignedIn, match_id: int, message: str
) -> Response:
    """The match as it is now, with why the decision was not made (409)."""
    session.rollback()
    current = service.get_match(session, signed.principal, match_id)
    return render(
        request,
        "proposals/outcome.html",
        {
            "card": cards(request, session, signed, [current])[0],
            "message": message,
            "states": states(translator(request)),
        },
        status=409,
    )


def race_message(exc: Exception, _: Callable[[str], str]) -> str:
    """Why a decision was refused, in words (the service's 409s and the 412)."""
    if isinstance(exc, PreconditionFailed):
        return _(
            "Someone else decided or changed this proposal after you opened the page. "
            "Here it is as it is now."
        )
    detail = str(exc)
    reasons = [
        ("can be", _("This has already been decided.")),
        ("no place left", _("The mentor has no place left.")),
        ("newcomer is not active", _("The newcomer is no longer active.")),
        ("mentor is not active", _("The mentor is no longer active.")),
        (
            "already has an accepted match",
            _("The newcomer already has a mentor in this programme."),
        ),
        ("no longer asks", _("The newcomer no longer asks for this programme.")),
        ("another programme", _("The two are already matched in another programme.")),
    ]
    for fragment, message in reasons:
        if fragment in detail:
            return message + " " + _("Here is the proposal as it is now.")
    return _("The proposal changed while you decided. Here it is as it is now.")


@router.post("/{match_id}/accept")
def accept(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, match_id: IdPath
) -> Response:
    """Accept the proposal."""
    try:
        service.accept(session, signed.principal, match_id, version_of(form))
    except (Conflict, PreconditionFailed) as exc:
        return lost_race(request, session, signed, match_id, race_message(exc, translator(request)))
    return see_other("/proposals?done=accepted")


@router.get("/{match_id}/reject")
def reject_form(request: Request, session: SessionDep, signed: Staff, match_id: IdPath) -> Response:
    """Ask for the reason of a rejection."""
    return reason_form(request, session, signed, match_id, "proposals/reject.html")


@router.post("/{match_id}/reject")
def reject(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, match_id: IdPath
) -> Response:
    """Reject the proposal with a reason (the pair is never proposed again)."""
    _ = translator(request)
    return decide_with_reason(
        request,
        session,
        signed,
        form,
        match_id,
        template="proposals/reject.html",
        missing=_("Write why the proposal is rejected."),
        decide=service.reject,
        done="/proposals?done=rejected",
    )


def reason_form(
    request: Request,
    session: Session,
    signed: SignedIn,
    match_id: int,
    template: str,
    *,
    reason: str = "",
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    """The form asking the reason of a decision (reject, end), on the match's card."""
    match = service.get_match(session, signed.principal, match_id)
    context = {
        "card": cards(request, session, signed, [match])[0],
        "errors": errors or {},
        "reason": reason,
        "states": states(translator(request)),
    }
    return render(request, template, context, status=status)


def decide_with_reason(
    request: Request,
    session: Session,
    signed: SignedIn,
    form: FormData,
    match_id: int,
    *,
    template: str,
    missing: str,
    decide: Callable[[Session, Any, int, str | None, str], Match],
    done: str,
) -> Response:
    """A decision that takes a reason (reject, end): the reason checked by the API's own
    schema (``missing`` when left empty) and the form shown again on error; a decision that
    lost a race said in words; else on to ``done``."""
    _ = translator(request)
    reason = forms.text(form, "reason")
    data, errors = forms.parse(MatchDecision, {"reason": reason}, _)
    if data is None:
        if not reason:
            errors.by_field["reason"] = missing
        return reason_form(
            request,
            session,
            signed,
            match_id,
            template,
            reason=reason,
            errors=errors.by_field,
            status=400,
        )
    try:
        decide(session, signed.principal, match_id, version_of(form), data.reason)
    except (Conflict, PreconditionFailed) as exc:
        return lost_race(request, session, signed, match_id, race_message(exc, _))
    return see_other(done)
