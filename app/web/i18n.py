"""Danish first, English second: gettext catalogues (Babel) and names in the page's language.

The ``.po`` files in ``app/locale`` are read directly at start-up (compiled in memory), so no
generated ``.mo`` file is needed in the tree or at set-up.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from contextvars import ContextVar
from functools import cache
from pathlib import Path

import langcodes
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from starlette.requests import Request

from app.domain import language_problem, municipalities

LANGUAGES = ("da", "en")
DEFAULT_LANGUAGE = "da"
LANGUAGE_COOKIE = "makker_lang"
_LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"

#: The catalogue the template being rendered translates with (set by the renderer).
current: ContextVar[Translations] = ContextVar("desk_translations")


@cache
def translations(lang: str) -> Translations:
    """The catalogue of ``lang`` (an empty one when its ``.po`` is missing)."""
    path = _LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.exists():
        return Translations()
    with path.open("rb") as po:
        catalog = read_po(po, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return Translations(buffer)


def language_of(request: Request) -> str:
    """The page language: the visitor's choice (a cookie), else Danish."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT_LANGUAGE


def gettext(message: str) -> str:
    """``message`` in the current page's language."""
    catalogue = current.get(None)
    return catalogue.gettext(message) if catalogue is not None else message


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural of a message in the current page's language."""
    catalogue = current.get(None)
    if catalogue is None:
        return singular if n == 1 else plural
    return catalogue.ngettext(singular, plural, n)


def _collation_key(name: str) -> tuple[int, ...]:
    # Danish order puts æ, ø, å after z; a full collation library is more than a list needs.
    order = {"æ": 0x7B, "ø": 0x7C, "å": 0x7D}
    return tuple(order.get(ch, ord(ch)) for ch in name.casefold())


@cache
def language_name(code: str, lang: str) -> str:
    """A language's name in ``lang`` (``ar`` → "arabisk"), capitalised; the code when unknown."""
    try:
        name = langcodes.Language.get(code, normalize=False).display_name(lang)
    except (ValueError, LookupError, ImportError):
        return code
    return name[:1].upper() + name[1:]


@cache
def _choosable_codes() -> tuple[str, ...]:
    # Every two-letter ISO 639-1 code the API accepts, plus the three-letter codes CLDR names
    # well (prs, ckb, ...): the same validation rule decides, not a hand list.
    from language_data.language_lists import CLDR_LANGUAGES

    letters = "abcdefghijklmnopqrstuvwxyz"
    two = {a + b for a in letters for b in letters}
    extra = {"prs", "ckb", "kmr", "fil", "haw", "yue"} | {
        code for code in CLDR_LANGUAGES if len(code) == 3
    }
    return tuple(sorted(c for c in two | extra if language_problem(c) is None))


def language_choices(lang: str, also: Iterable[str] = ()) -> list[tuple[str, str]]:
    """``(code, name)`` for every language a person may be given, sorted by name in ``lang``."""
    extra = {c for c in also if language_problem(c) is None} - set(_choosable_codes())
    if not extra:
        return list(_sorted_languages(lang))
    named = [*_sorted_languages(lang), *((code, language_name(code, lang)) for code in extra)]
    return sorted(named, key=lambda pair: _collation_key(pair[1]))


@cache
def _sorted_languages(lang: str) -> tuple[tuple[str, str], ...]:
    # Sorted once per language: every form shows them, and the list never changes.
    named = [(code, language_name(code, lang)) for code in _choosable_codes()]
    return tuple(sorted(named, key=lambda pair: _collation_key(pair[1])))


def municipality_name(code: str) -> str:
    """A municipality's name (the same in Danish and English), the code when unknown."""
    found = municipalities().get(code)
    return found.name if found is not None else code


def municipality_choices() -> list[tuple[str, str]]:
    """``(code, name)`` of the 98 municipalities, by name."""
    return list(_sorted_municipalities())


@cache
def _sorted_municipalities() -> tuple[tuple[str, str], ...]:
    pairs = [(code, m.name) for code, m in municipalities().items()]
    return tuple(sorted(pairs, key=lambda pair: _collation_key(pair[1])))
