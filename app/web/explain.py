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
    """The parts of the explanation, most telling first."""
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
    if match.distance_km is not None:
        parts.append(_("%(km)s km") % {"km": round(match.distance_km)})
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
