"""Language codes: ISO 639, validated by langcodes (the IANA subtag registry), not a hand list.

A code is accepted when it is a bare, lowercase, valid language subtag: the two-letter ISO 639-1
code where one exists (``ar``, ``ti``, ``uk``), else the three-letter ISO 639-2/3 code (``prs``,
``ckb``, ``kmr``). Codes are compared as written, so ``ara`` is refused in favour of ``ar``
rather than silently failing to match; special codes that name no language (``und``, ``zxx``,
``mul``, ``mis``, private use ``qaa``-``qtz``) are refused too.
"""

from __future__ import annotations

import re
from functools import cache

import langcodes

_SUBTAG = re.compile(r"[a-z]{2,3}")
_SPECIAL = frozenset({"und", "zxx", "mul", "mis"})


@cache
def language_problem(code: str) -> str | None:
    """Why ``code`` is not an accepted ISO 639 language code, or ``None`` when it is."""
    if not isinstance(code, str) or not code:
        return "must be a non-empty ISO 639 language code"
    if _SUBTAG.fullmatch(code) is None:
        lowered = code.strip().lower()
        if lowered != code and language_problem(lowered) is None:
            return f"{code!r} is not an ISO 639 code as written; use {lowered!r}"
        return f"{code!r} is not an ISO 639 language code (2 or 3 lowercase letters)"
    if code in _SPECIAL or "qaa" <= code <= "qtz":
        return f"{code!r} names no language"
    try:
        valid = langcodes.Language.get(code, normalize=False).is_valid()
    except (ValueError, LookupError):
        valid = False
    if valid:
        return None
    try:
        preferred = langcodes.standardize_tag(code)
    except (ValueError, LookupError):
        preferred = code
    if preferred != code and _SUBTAG.fullmatch(preferred):
        return f"{code!r} is not the preferred ISO 639 code; use {preferred!r}"
    return f"{code!r} is not an ISO 639 language code"


def is_language(code: str) -> bool:
    """Whether ``code`` is an accepted ISO 639 language code (see the module docstring)."""
    return language_problem(code) is None
