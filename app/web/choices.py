"""Choices the forms offer, in the page's language: genders, programmes with their rules in
words, municipalities, and the languages posted from the language choosers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.service import SignedIn
from app.domain import GENDERS
from app.models import Programme
from app.pagination import PageParams
from app.programmes import repository as programmes_repository
from app.web import forms, i18n

#: A first language and this many more choosers (more appear once that many are held).
OTHER_LANGUAGES = 3


def gender_names(_: Callable[[str], str]) -> dict[str, str]:
    """The genders in words."""
    return {"female": _("Woman"), "male": _("Man"), "other": _("Other")}


def gender_options(_: Callable[[str], str], blank: str) -> list[tuple[str, str]]:
    """The genders to choose from, after ``blank`` (the empty choice, in words)."""
    genders = gender_names(_)
    return [("", blank)] + [(g, genders[g]) for g in GENDERS]


def person_form(
    session: Session,
    values: dict[str, Any],
    errors: forms.FormErrors | None,
    fields: list[str],
    *,
    municipalities: list[tuple[str, str]],
    no_gender: str,
    gettext: Callable[[str], str],
    lang: str,
) -> dict[str, Any]:
    """The context of a form about a person (a newcomer, a mentor, a volunteer signing up):
    :func:`app.web.forms.context` with the language choosers filled in, the municipalities,
    the languages in ``lang``, the programmes with their rules, and the genders."""
    held = [code for code in values["languages"] if code]
    typed = {**values, "languages": language_slots(values["languages"])}
    return {
        **forms.context(typed, errors, fields),
        "municipalities": municipalities,
        "language_choices": i18n.language_choices(lang, also=held),
        "programmes": programme_options(session, values["programmes"], gettext, lang),
        "genders": gender_options(gettext, no_gender),
    }


def programme_rule(programme: Programme, _: Callable[[str], str], lang: str) -> str:
    """A programme's age and language rules in words."""
    parts = []
    if programme.min_age is not None and programme.max_age is not None:
        span = {"low": programme.min_age, "high": programme.max_age}
        parts.append(_("Ages %(low)s to %(high)s.") % span)
    elif programme.max_age is not None:
        parts.append(_("Up to the age of %(high)s.") % {"high": programme.max_age})
    elif programme.min_age is not None:
        parts.append(_("From the age of %(low)s.") % {"low": programme.min_age})
    else:
        parts.append(_("No age limit."))
    if programme.requires_language:
        name = i18n.language_name(programme.requires_language, lang)
        name = name if lang == "en" else name.lower()  # Danish writes language names small
        parts.append(_("The mentor speaks %(language)s.") % {"language": name})
    if programme.requires_first_language:
        parts.append(_("The mentor speaks the newcomer's first language."))
    if programme.unit == "household":
        parts.append(_("A household is matched as one."))
    elif programme.unit == "group":
        size = {"low": programme.group_min, "high": programme.group_max}
        parts.append(_("Groups of %(low)s to %(high)s participants.") % size)
    return " ".join(parts)


def unit_options(_: Callable[[str], str]) -> list[tuple[str, str]]:
    """``(unit, words)`` for the programme form."""
    return [
        ("person", _("One newcomer with one mentor")),
        ("household", _("A household (a family) with one mentor family")),
        ("group", _("A group led by a trainer (MindSpring, food club, homework café)")),
    ]


def all_programmes(session: Session) -> list[Programme]:
    """Every programme, by code."""
    rows, _cursor = programmes_repository.list_page(session, PageParams(limit=500), active=None)
    return list(rows)


def programme_options(
    session: Session, held: list[str], _: Callable[[str], str], lang: str
) -> list[tuple[str, str, str]]:
    """``(code, name, rules in words)`` of the active programmes and those already held."""
    return [
        (p.code, p.name, programme_rule(p, _, lang))
        for p in all_programmes(session)
        if p.active or p.code in held
    ]


def municipality_options(signed: SignedIn) -> list[tuple[str, str]]:
    """The municipalities a coordinator may choose (theirs); every one for anyone else."""
    every = i18n.municipality_choices()
    if signed.principal.role != "coordinator":
        return every
    own = set(signed.principal.municipalities)
    return [pair for pair in every if pair[0] in own]


def posted_languages(form: Any) -> tuple[list[str], list[str], dict[str, str]]:
    """The language choosers as typed, the codes in order, and the schema's ``languages.N``
    mapped to the chooser it came from."""
    count = max(OTHER_LANGUAGES + 1, len([k for k in form if k.startswith("languages_")]))
    typed = [forms.text(form, f"languages_{i}") for i in range(count)]
    codes: list[str] = []
    aliases = {"languages": "languages_0"}
    for i, code in enumerate(typed):
        if code:
            aliases[f"languages.{len(codes)}"] = f"languages_{i}"
            codes.append(code)
    return typed, codes, aliases


def language_slots(languages: list[str]) -> list[str]:
    """The choosers a form shows: the held languages and empty ones up to the minimum."""
    slots = max(OTHER_LANGUAGES + 1, len(languages))
    return (list(languages) + [""] * slots)[:slots]


def first_language_missing(codes: list[str], typed: list[str]) -> bool:
    """Other languages chosen, but not the first."""
    return bool(codes) and not typed[0]


#: The fields a volunteer's form opens with, in the error summary's order (the association's
#: mentor form and the public sign-up page both start with them).
VOLUNTEER_FIELDS = [
    "first_name",
    "last_name",
    "email",
    "phone",
    "birth_year",
    "gender",
    "languages_0",
    "languages_1",
    "languages_2",
    "languages_3",
    "municipality",
    "max_distance_km",
]
