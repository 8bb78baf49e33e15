"""Match by hand: for a newcomer's open requests, the suggestions with their explanation in
words, or why nobody qualifies; and a manual proposal that honours the hard-rule overrides.

The suggestions are the API's (:func:`app.suggestions.service.suggestions`, audited as there);
a proposal goes through :func:`app.matches.service.create_manual` with the signed-in person's
principal, so its hard rules, overrides, scope and audit are the API's own. A rule the pair
breaks comes back as the service's 422 naming it, shown in words beside the field.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app import clock
from app.accounts.service import SignedIn
from app.db import SessionDep, writes
from app.errors import Conflict, ValidationFailed
from app.matches import repository as matches
from app.matches import service as match_service
from app.matches.schemas import ABSOLUTE_RULES, OVERRIDABLE_RULES, MatchCreate
from app.models import Newcomer
from app.newcomers import service as newcomers
from app.resources import IdPath
from app.suggestions import service as suggestions
from app.web import choices, forms, i18n
from app.web.explain import explain_pair, rule_name, why_nobody
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
    prefix="/newcomers",
    route_class=DeskRoute,
    include_in_schema=False,
    dependencies=DESK_DEPENDENCIES,
)
Staff = Annotated[SignedIn, Depends(DeskRole("admin", "coordinator"))]
SUGGESTIONS = 5
FIELDS = ["programme", "mentor_id", "overrides", "override_reason"]


def _blocks(
    request: Request, session: Session, signed: SignedIn, newcomer: Newcomer
) -> list[dict[str, Any]]:
    """Each open request with its candidates in words, or why nobody qualifies."""
    lang = i18n.language_of(request)
    _ = translator(request)
    today = clock.today()
    found = suggestions.suggestions(session, signed.principal, newcomer.id, limit=SUGGESTIONS)
    mentor_ids = {c.mentor_id for b in found.items for c in b.candidates}
    mentors = matches.mentors_by_id(session, mentor_ids)
    names = matches.association_names(
        session, {c.association_id for b in found.items for c in b.candidates}
    )
    # The languages the rule read where nobody qualifies (a household's: its adults').
    readings = suggestions.language_readings(
        session, newcomer.id, [b.programme for b in found.items if not b.candidates], today=today
    )
    blocks = []
    for item in found.items:
        candidates = []
        for candidate in item.candidates:
            mentor = mentors[candidate.mentor_id]
            candidates.append(
                {
                    "mentor": mentor,
                    "association": names.get(candidate.association_id, ""),
                    "explanation": explain_pair(
                        newcomer,
                        mentor,
                        candidate.distance_km,
                        lang=lang,
                        gettext=_,
                        today=today,
                    ),
                }
            )
        blocks.append(
            {
                "programme": item.programme,
                "candidates": candidates,
                "why": None
                if candidates
                else _why_nobody(item.passed, readings.get(item.programme), newcomer, lang, _),
                "reason": rule_name(item.reason, _) if item.reason else None,
            }
        )
    return blocks


def _why_nobody(
    passed: dict[str, int],
    reading: suggestions.LanguageReading | None,
    newcomer: Newcomer,
    lang: str,
    _: Callable[[str], str],
) -> str:
    """Why nobody qualifies for a request, naming the languages the rule read."""
    return why_nobody(
        passed,
        list(newcomer.languages if reading is None else reading.languages),
        newcomer.max_distance_km,
        lang=lang,
        gettext=_,
        household=reading is not None and reading.household,
    )


def _page(
    request: Request,
    session: Session,
    signed: SignedIn,
    newcomer: Newcomer,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    _ = translator(request)
    programme_names = {p.code: p.name for p in choices.all_programmes(session)}
    errors = errors or {}
    return render(
        request,
        "newcomers/match.html",
        {
            "row": newcomer,
            "blocks": _blocks(request, session, signed, newcomer),
            "programme_names": programme_names,
            "programme_options": [(c, programme_names.get(c, c)) for c in newcomer.programmes],
            "overridable": [(rule, rule_name(rule, _), "") for rule in OVERRIDABLE_RULES],
            "absolute": [rule_name(rule, _) for rule in ABSOLUTE_RULES],
            "values": values or {"programme": "", "mentor_id": "", "overrides": [], "reason": ""},
            "errors": errors,
            "summary": forms.FormErrors(dict(errors)).ordered(FIELDS),
            "message": message,
            "notice": request.query_params.get("done"),
        },
        status=status,
    )


@router.get("/{newcomer_id}/match")
@writes  # the suggestions are an audited read
def match_by_hand(
    request: Request, session: SessionDep, signed: Staff, newcomer_id: IdPath
) -> Response:
    """The newcomer's open requests: suggestions in words, or why nobody qualifies."""
    newcomer = newcomers.get_newcomer(session, signed.principal, newcomer_id)
    return _page(request, session, signed, newcomer)


def rule_errors(exc: ValidationFailed, _: Callable[[str], str]) -> dict[str, str]:
    """The service's 422 in words beside its field: the hard rules it names, or its message."""
    broken = [item["rule"] for item in exc.errors or [] if "rule" in item]
    field = (exc.errors or [{"field": "form"}])[0]["field"]
    if any(rule in ABSOLUTE_RULES for rule in broken):
        rules = ", ".join(rule_name(rule, _) for rule in broken)
        return {
            field: _("The pair breaks a rule that can never be overridden: %(rules)s.")
            % {"rules": rules}
        }
    if broken:
        rules = ", ".join(rule_name(rule, _) for rule in broken)
        return {
            "overrides": _(
                "The pair breaks: %(rules)s. Tick the rules to override and give a reason "
                "to propose it anyway."
            )
            % {"rules": rules}
        }
    known = {
        "required when overrides are given": _("Write why the rules are overridden."),
        "only with overrides": _("A reason is only given with rules to override."),
        "no active mentor": _("There is no active mentor with this number."),
        "has not asked for this programme": _("The newcomer has not asked for this programme."),
        "unknown programme": _("Choose one of the newcomer's programmes."),
        "the newcomer is not active": _("The newcomer is no longer active."),
    }
    detail = " ".join(item["message"] for item in exc.errors or [])
    for fragment, message in known.items():
        if fragment in detail:
            return {field: message}
    return forms.service_errors(exc, _).by_field


def conflict_message(exc: Conflict, _: Callable[[str], str]) -> str:
    """Why the proposal was not made when another change came first (the service's 409)."""
    detail = str(exc)
    if "accepted match" in detail:
        return _("This request already has a mentor. Here are the requests as they are now.")
    if "already proposed or matched" in detail:
        return _(
            "This mentor is already proposed or matched to this newcomer. "
            "Here are the requests as they are now."
        )
    return _("Something changed meanwhile. Here are the requests as they are now.")


@router.post("/{newcomer_id}/match")
def propose(
    request: Request, session: SessionDep, signed: Staff, form: PostedForm, newcomer_id: IdPath
) -> Response:
    """Propose a mentor by hand (overriding the rules ticked, with a reason)."""
    _ = translator(request)
    newcomer = newcomers.get_newcomer(session, signed.principal, newcomer_id)
    values: dict[str, Any] = {
        "programme": forms.text(form, "programme"),
        "mentor_id": forms.text(form, "mentor_id"),
        "overrides": forms.chosen(form, "overrides"),
        "reason": forms.text(form, "override_reason"),
    }
    body = {
        "newcomer_id": newcomer.id,
        "mentor_id": forms.whole(forms.text(form, "mentor_id")),
        "programme": values["programme"],
        "overrides": values["overrides"],
        "override_reason": values["reason"] or None,
    }
    data, errors = forms.parse(MatchCreate, body, _)
    if data is None:
        if not values["mentor_id"]:
            errors.by_field["mentor_id"] = _("Enter the mentor's number.")
        if not values["programme"]:
            errors.by_field["programme"] = _("Choose one of the newcomer's programmes.")
        return _page(
            request, session, signed, newcomer, values=values, errors=errors.by_field, status=400
        )
    try:
        match_service.create_manual(session, signed.principal, data)
    except ValidationFailed as exc:
        session.rollback()
        newcomer = newcomers.get_newcomer(session, signed.principal, newcomer_id)
        return _page(
            request,
            session,
            signed,
            newcomer,
            values=values,
            errors=rule_errors(exc, _),
            status=422,
        )
    except Conflict as exc:
        session.rollback()
        newcomer = newcomers.get_newcomer(session, signed.principal, newcomer_id)
        return _page(
            request,
            session,
            signed,
            newcomer,
            values=values,
            message=conflict_message(exc, _),
            status=409,
        )
    return see_other(f"/newcomers/{newcomer.id}/match?done=proposed")
