"""A proposal's explanation in words — the one place it is phrased.

The words come from the same facts the score components are computed from (the mentor speaks
the newcomer's first language, the distance, the interests they share, their ages), stored on
the match (``components``, ``distance_km``) and on the two records:
"speaks Arabic, her first language · 7 km · shares football, cooking · 12 years apart".
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from app.models import Match, Mentor, Newcomer
from app.web import i18n


def _age(newcomer: Newcomer, today: date) -> int | None:
    from app.domain import age_on

    return age_on(newcomer.birth_date, today) if newcomer.birth_date else None


def explain(
    match: Match,
    newcomer: Newcomer,
    mentor: Mentor,
    *,
    lang: str,
    gettext: Callable[[str], str],
    today: date,
) -> list[str]:
    """The parts of a match's explanation, most telling first."""
    return explain_pair(
        newcomer, mentor, match.distance_km, lang=lang, gettext=gettext, today=today
    )


def explain_pair(
    newcomer: Newcomer,
    mentor: Mentor,
    distance_km: float | None,
    *,
    lang: str,
    gettext: Callable[[str], str],
    today: date,
) -> list[str]:
    """The parts of a pair's explanation (a proposal's or a suggestion's), most telling first."""
    _ = gettext
    parts: list[str] = []
    first = newcomer.languages[0] if newcomer.languages else None
    shared_languages = [code for code in newcomer.languages if code in mentor.languages]
    if first is not None and first in mentor.languages:
        name = _language(first, lang)
        parts.append(_("speaks %(language)s, the first language") % {"language": name})
    elif shared_languages:
        name = _language(shared_languages[0], lang)
        parts.append(_("speaks %(language)s") % {"language": name})
    if distance_km is not None:
        parts.append(_("%(km)s km") % {"km": round(distance_km)})
    shared = [tag for tag in newcomer.interests if tag in set(mentor.interests)]
    if shared:
        parts.append(_("shares %(interests)s") % {"interests": ", ".join(shared)})
    age = _age(newcomer, today)
    if age is not None and mentor.birth_year is not None:
        apart = abs((today.year - mentor.birth_year) - age)
        parts.append(_("%(years)s years apart") % {"years": apart})
    return parts


def _language(code: str, lang: str) -> str:
    name = i18n.language_name(code, lang)
    return name if lang == "en" else name.lower()  # Danish writes language names small


def rule_name(rule: str, gettext: Callable[[str], str]) -> str:
    """A hard rule (MATCHING.md) in words."""
    _ = gettext
    names = {
        "programme": _("the programme and its ages"),
        "language": _("a shared language"),
        "distance": _("the distance"),
        "gender": _("the wished gender"),
        "child_safety": _("the child certificate"),
        "forbidden": _("rejected or ended before"),
        "capacity": _("a place left"),
        "group_size": _("a group large enough"),
    }
    return names.get(rule, rule)


def why_nobody(
    passed: dict[str, int],
    languages: list[str],
    max_distance_km: float | None,
    *,
    lang: str,
    gettext: Callable[[str], str],
    household: bool = False,
) -> str:
    """Why no mentor qualifies, from the mentors left after each rule:
    "3 mentors in the programme, 1 speaks Tigrinya, 0 within 25 km". ``languages`` are the
    ones the language rule read; a ``household``'s are its adult members'."""
    _ = gettext
    from app.suggestions.service import POLICY

    names = [_language(code, lang) for code in languages]
    spoken = (" " + _("or") + " ").join(names) or "-"
    limit = max_distance_km
    km = round(POLICY.default_max_distance_km if limit is None else limit)
    phrases = {
        "programme": _("%(n)s mentors in the programme"),
        "language": _("%(n)s speaking %(language)s with an adult of the household")
        if household
        else _("%(n)s speaking %(language)s"),
        "distance": _("%(n)s within %(km)s km"),
        "gender": _("%(n)s of the wished gender"),
        "child_safety": _("%(n)s with a child certificate"),
        "forbidden": _("%(n)s not rejected before"),
        "capacity": _("%(n)s with a place left"),
        "group_size": _("%(n)s with a group large enough"),
    }
    parts = []
    for rule, count in passed.items():
        phrase = phrases.get(rule, rule + ": %(n)s")
        parts.append(phrase % {"n": count, "language": spoken, "km": km})
    return ", ".join(parts)
