"""The JSON file contract of ``makker solve`` (shared/design/MATCHING.md): parse, write, run.

Parsing is strict: a missing required key, an unknown key or a wrong type is refused with a
:class:`ProblemError` naming the record and the field, before anything is solved.
"""

from __future__ import annotations

import gc
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, fields, replace
from itertools import chain, repeat, starmap
from operator import attrgetter, methodcaller
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO, TypeVar, cast

import numpy as np
import orjson

from matching.errors import ProblemError
from matching.model import (
    DEFAULT_PROGRAMMES,
    Assignment,
    Components,
    ForbiddenPair,
    Group,
    GroupShortfall,
    Household,
    Match,
    Mentor,
    Newcomer,
    Policy,
    Problem,
    Programme,
    Solution,
    Stats,
    Unmatched,
    Weights,
)
from matching.solve import solve_with_timings

Convert = Callable[[str, str, Any], Any]
T = TypeVar("T")
_REQUIRED = object()
Spec = Mapping[str, tuple[Convert, Any]]


def _str(record: str, field: str, value: Any) -> str:
    if type(value) is str and value:
        return value
    if not isinstance(value, str) or not value:
        raise ProblemError(f"must be a non-empty string, got {value!r}", record=record, field=field)
    return value


def _int(record: str, field: str, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ProblemError(f"must be a whole number, got {value!r}", record=record, field=field)
    return value


def _number(record: str, field: str, value: Any) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value):
        raise ProblemError(f"must be a number, got {value!r}", record=record, field=field)
    return float(value)


def _bool(record: str, field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(f"must be true or false, got {value!r}", record=record, field=field)
    return value


def _strings(record: str, field: str, value: Any) -> tuple[str, ...]:
    if type(value) is list and all(type(v) is str and v for v in value):
        return tuple(value)
    if not isinstance(value, list):
        raise ProblemError(f"must be a list of strings, got {value!r}", record=record, field=field)
    return tuple(_str(record, f"{field}[{i}]", v) for i, v in enumerate(value))


def _optional(convert: Convert) -> Convert:
    def inner(record: str, field: str, value: Any) -> Any:
        return None if value is None else convert(record, field, value)

    return inner


def _fields(record: str, data: Any, spec: Spec) -> dict[str, Any]:
    """Convert the keys of a JSON object by ``spec`` (converter, default or _REQUIRED)."""
    if not isinstance(data, dict):
        raise ProblemError(
            f"must be a JSON object, got {type(data).__name__}", record=record, field=None
        )
    out: dict[str, Any] = {}
    for key, value in data.items():
        entry = spec.get(key)
        if entry is None:
            raise ProblemError("unknown field", record=record, field=str(key))
        out[key] = entry[0](record, key, value)
    required = _required(spec)
    if not required.issubset(out):
        missing = next(k for k in spec if k in required and k not in out)
        raise ProblemError("is required", record=record, field=missing)
    return out


_REQUIRED_KEYS: dict[int, frozenset[str]] = {}


def _required(spec: Spec) -> frozenset[str]:
    """The required keys of a spec (cached: specs are module constants)."""
    keys = _REQUIRED_KEYS.get(id(spec))
    if keys is None:
        keys = frozenset(k for k, (_, default) in spec.items() if default is _REQUIRED)
        _REQUIRED_KEYS[id(spec)] = keys
    return keys


def _list(record: str, data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise ProblemError(
            f"must be a JSON list, got {type(data).__name__}", record=record, field=None
        )
    return data


def _name(kind: str, plural: str, i: int, item: Any) -> str:
    if isinstance(item, dict) and isinstance(item.get("id"), str) and item["id"]:
        return f'{kind} "{item["id"]}"'
    return f"{plural}[{i}]"


_opt_str, _opt_int, _opt_number = _optional(_str), _optional(_int), _optional(_number)
_opt_strings = _optional(_strings)
_PERSON: Spec = {
    "id": (_str, _REQUIRED),
    "languages": (_strings, _REQUIRED),
    "municipality": (_str, _REQUIRED),
    "programmes": (_strings, _REQUIRED),
    "lat": (_opt_number, None),
    "lon": (_opt_number, None),
    "max_distance_km": (_opt_number, None),
    "interests": (_strings, ()),
    "gender": (_opt_str, None),
    "age": (_opt_int, None),
}
_MENTOR = {
    **_PERSON,
    "capacity": (_int, _REQUIRED),
    "accepts_genders": (_opt_strings, None),
    "child_certificate": (_bool, False),
}
_NEWCOMER = {**_PERSON, "mentor_gender": (_opt_str, None), "waiting_days": (_int, 0)}
_PROGRAMME: Spec = {
    "code": (_str, _REQUIRED),
    "min_age": (_opt_int, None),
    "max_age": (_opt_int, None),
    "requires_language": (_opt_str, None),
    "requires_first_language": (_bool, False),
    "unit": (_str, "person"),
    "group_min": (_opt_int, None),
    "group_max": (_opt_int, None),
}
_HOUSEHOLD: Spec = {"id": (_str, _REQUIRED), "members": (_strings, _REQUIRED)}
_WEIGHTS = {k: (_number, None) for k in ("language", "distance", "interests", "age")}
_POLICY: Spec = {
    "default_max_distance_km": (_number, None),
    "child_certificate_below_age": (_int, None),
    "waiting_weight": (_number, None),
    "keep_bonus": (_number, None),
    "weights": (lambda r, f, v: Weights(**_fields("policy.weights", v, _WEIGHTS)), None),
}
_ASSIGNMENT = {k: (_str, _REQUIRED) for k in ("newcomer", "mentor", "programme")}
_PAIR = {k: (_str, _REQUIRED) for k in ("newcomer", "mentor")}
_TOP: Spec = {
    key: (lambda r, f, v: v, _REQUIRED if key in ("mentors", "newcomers") else None)
    for key in (
        "policy",
        "programmes",
        "mentors",
        "newcomers",
        "fixed",
        "previous",
        "forbidden",
        "households",
    )
}


# The fast path of a person record: one type code per field (what the converters of the
# spec accept, exactly), and per record type a function of straight-line code (made from the
# spec, as dataclasses make their methods) that checks a well-formed record and gives its
# converted values in field order, or None: then _fields converts it or names the error.
_S, _L, _ON, _OS, _OI, _I, _B, _OL = range(8)
_CODES = {
    _str: _S,
    _strings: _L,
    _opt_number: _ON,
    _opt_str: _OS,
    _opt_int: _OI,
    _int: _I,
    _bool: _B,
    _opt_strings: _OL,
}
#: The check (and conversion) of ``v`` per type code; ``return None`` refuses the record.
#: ``_len`` (``str.__len__``) raises TypeError for an item that is not a string.
_CHECKS = {
    _S: ["if type(v) is not str or not v: return None"],
    _OS: ["if v is not None and (type(v) is not str or not v): return None"],
    _L: ["if type(v) is not list or not all(map(_len, v)): return None", "v = tuple(v)"],
    _OL: [
        "if v is not None:",
        "    if type(v) is not list or not all(map(_len, v)): return None",
        "    v = tuple(v)",
    ],
    _ON: [
        "if v is not None:",
        "    if type(v) is int: v = float(v)",
        "    elif type(v) is not float or not isfinite(v): return None",
    ],
    _OI: ["if v is not None and type(v) is not int: return None"],
    _I: ["if type(v) is not int: return None"],
    _B: ["if type(v) is not bool: return None"],
}


def _row_reader(cls: type, spec: Spec) -> Callable[[Any], tuple[Any, ...] | None]:
    """The function that gives a well-formed record's converted values (in the field order
    of dataclass ``cls``, defaults for left-out keys, as :func:`_fields` converts them), or
    None for a record it does not accept."""
    body = ["if type(d) is not dict: return None", "n = 0"]
    defaults: dict[str, Any] = {}
    names = []
    for i, field in enumerate(fields(cls)):
        convert, default = spec[field.name]
        checks = _CHECKS[_CODES[convert]]
        if default is _REQUIRED:
            body += [f"v = d[{field.name!r}]", "n += 1", *checks]  # KeyError if left out
        else:
            defaults[f"_DEFAULT{i}"] = field.default
            body += [f"v = d.get({field.name!r}, _MISSING)", "if v is _MISSING:"]
            body += [f"    v = _DEFAULT{i}", "else:", "    n += 1"]
            body += [f"    {line}" for line in checks]
        body.append(f"v{i} = v")
        names.append(f"v{i}")
    body.append("if n != len(d): return None")  # an unknown key
    body.append(f"return ({', '.join(names)},)")
    lines = ["def read(d):", "  try:", *(f"    {line}" for line in body)]
    lines += ["  except (KeyError, TypeError):", "    return None"]
    scope = {"_MISSING": _MISSING, "_len": str.__len__, "isfinite": math.isfinite, **defaults}
    exec("\n".join(lines), scope)  # code made above from the spec alone
    return cast(Callable[[Any], tuple[Any, ...] | None], scope["read"])


_MISSING = object()


def _records(key: str, kind: str, spec: Spec, cls: type[T], items: list[Any]) -> tuple[T, ...]:
    """The records of a list of people (mentors or newcomers)."""
    rows = list(map(_READERS[cls], items))
    if None in rows:
        return tuple(cls(**_fields(_name(kind, key, i, x), x, spec)) for i, x in enumerate(items))
    return tuple(starmap(cls, cast(list[tuple[Any, ...]], rows)))


_READERS: dict[type, Callable[[Any], tuple[Any, ...] | None]] = {
    Mentor: _row_reader(Mentor, _MENTOR),
    Newcomer: _row_reader(Newcomer, _NEWCOMER),
}


def problem_from_dict(data: Any) -> Problem:
    """A :class:`Problem` from the parsed JSON of the file contract (types checked only;
    :func:`matching.validate` checks the meaning)."""
    top = _fields("problem", data, _TOP)
    policy = Policy(**_fields("policy", top.get("policy", {}), _POLICY))

    mentors = _records("mentors", "mentor", _MENTOR, Mentor, _list("mentors", top["mentors"]))
    newcomers = _records(
        "newcomers", "newcomer", _NEWCOMER, Newcomer, _list("newcomers", top["newcomers"])
    )
    programmes = DEFAULT_PROGRAMMES
    if top.get("programmes") is not None:
        items = _list("programmes", top["programmes"])
        programmes = tuple(
            Programme(**_fields(f"programmes[{i}]", x, _PROGRAMME)) for i, x in enumerate(items)
        )

    def entries(key: str, spec: Spec) -> list[dict[str, Any]]:
        items = _list(key, top.get(key) or [])
        return [_fields(f"{key}[{i}]", x, spec) for i, x in enumerate(items)]

    households = tuple(
        Household(**_fields(_name("household", "households", i, x), x, _HOUSEHOLD))
        for i, x in enumerate(_list("households", top.get("households") or []))
    )
    return Problem(
        mentors=mentors,
        newcomers=newcomers,
        policy=policy,
        programmes=programmes,
        fixed=tuple(Assignment(**f) for f in entries("fixed", _ASSIGNMENT)),
        previous=tuple(Assignment(**f) for f in entries("previous", _ASSIGNMENT)),
        forbidden=tuple(ForbiddenPair(**f) for f in entries("forbidden", _PAIR)),
        households=households,
    )


def problem_from_json(text: str) -> Problem:
    """A :class:`Problem` from JSON text; malformed JSON is a :class:`ProblemError` too.

    Parsed by orjson (three times faster than :mod:`json`); text it refuses, and a problem
    it gives that is refused, are read again by :mod:`json`, so what is accepted and every
    message are exactly those of :mod:`json` (which also reads ``NaN``, integers beyond 64
    bits, lone surrogates).
    """
    try:
        data = orjson.loads(text)
    except orjson.JSONDecodeError:
        return _problem_from_json(text)
    try:
        return problem_from_dict(data)
    except ProblemError:
        return _problem_from_json(text)


def _problem_from_json(text: str) -> Problem:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProblemError(
            f"malformed JSON at line {error.lineno} column {error.colno}: {error.msg}",
            record="file",
            field=None,
        ) from None
    return problem_from_dict(data)


def problem_to_dict(problem: Problem) -> dict[str, Any]:
    """The file contract's JSON object of a problem (the inverse of :func:`problem_from_dict`)."""
    data = cast(dict[str, Any], _lists(asdict(problem)))
    # Left out at their defaults, so a problem without households or groups is written as
    # before (and read by earlier versions).
    if not data["households"]:
        del data["households"]
    for programme in data["programmes"]:
        if (programme["unit"], programme["group_min"], programme["group_max"]) == (
            "person",
            None,
            None,
        ):
            for key in ("unit", "group_min", "group_max"):
                del programme[key]
    return data


def _lists(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_lists(v) for v in value]
    return value


def _match_dict(m: Match) -> dict[str, Any]:
    out: dict[str, Any] = {
        "newcomer": m.newcomer,
        "programme": m.programme,
        "mentor": m.mentor,
        "score": round(m.score, 4),
        "distance_km": round(m.distance_km, 3),
        "components": {k: round(v, 4) for k, v in asdict(m.components).items()},
        "kept": m.kept,
    }
    if m.household is not None:
        out["household"] = m.household
    return out


def _unmatched_dict(u: Unmatched) -> dict[str, Any]:
    out: dict[str, Any] = {
        "newcomer": u.newcomer,
        "programme": u.programme,
        "reason": u.reason,
        "passed": dict(u.passed),
    }
    if u.group is not None:
        out["group"] = {"waiting": u.group.waiting, "group_min": u.group.group_min}
    return out


def solution_to_dict(solution: Solution) -> dict[str, Any]:
    """The file contract's JSON object of a solution (floats rounded for reading).

    ``household`` appears only on household matches, ``group`` only on ``group_size``
    reasons and ``stats.gap`` only when non-zero; ``groups`` is always present.
    """
    stats = {
        **asdict(solution.stats),
        "objective": round(solution.stats.objective, 4),
        "seconds": round(solution.stats.seconds, 3),
    }
    if solution.stats.gap:
        stats["gap"] = round(solution.stats.gap, 6)
    else:
        del stats["gap"]
    return {
        "matches": [_match_dict(m) for m in solution.matches],
        "unmatched": [_unmatched_dict(u) for u in solution.unmatched],
        "groups": [
            {"programme": g.programme, "mentor": g.mentor, "members": list(g.members)}
            for g in solution.groups
        ],
        "stats": stats,
    }


def solution_from_dict(data: Any) -> Solution:
    """A :class:`Solution` from the JSON object :func:`solution_to_dict` writes (for the
    service, which stores runs as JSON; rounded floats stay rounded)."""
    top = data if isinstance(data, dict) else {}
    stats = dict(top.get("stats") or {})
    return Solution(
        matches=tuple(
            Match(
                newcomer=m["newcomer"],
                programme=m["programme"],
                mentor=m["mentor"],
                score=float(m["score"]),
                distance_km=float(m["distance_km"]),
                components=Components(**m["components"]),
                kept=bool(m["kept"]),
                household=m.get("household"),
            )
            for m in top.get("matches") or []
        ),
        unmatched=tuple(
            Unmatched(
                newcomer=u["newcomer"],
                programme=u["programme"],
                reason=u["reason"],
                passed=MappingProxyType(dict(u["passed"])),
                group=None if u.get("group") is None else GroupShortfall(**u["group"]),
            )
            for u in top.get("unmatched") or []
        ),
        stats=Stats(**{**stats, "gap": float(stats.get("gap", 0.0))}),
        groups=tuple(
            Group(programme=g["programme"], mentor=g["mentor"], members=tuple(g["members"]))
            for g in top.get("groups") or []
        ),
    )


def solution_from_json(text: str) -> Solution:
    """A :class:`Solution` from the JSON text :func:`solution_to_json` writes."""
    return solution_from_dict(json.loads(text))


def solution_to_json(solution: Solution) -> str:
    """Solution JSON with one match or unmatched request per line (fast and diff-friendly).

    Each line is exactly ``json.dumps(x, ensure_ascii=False)`` of its object in
    :func:`solution_to_dict`; matches and unmatched requests are formatted directly (strings
    quoted once each, floats by ``repr`` as :mod:`json` writes them), any row with a value
    of another type by :mod:`json` itself.
    """
    dump = json.dumps

    def q(text: str) -> str:
        # json (ensure_ascii=False) escapes only control characters, quotes and backslashes.
        if text.isprintable() and '"' not in text and "\\" not in text:
            return f'"{text}"'
        return dump(text, ensure_ascii=False)

    def block(key: str, rows: list[str]) -> str:
        body = ",\n    ".join(rows)
        return f'  "{key}": [\n    {body}\n  ]' if body else f'  "{key}": []'

    matches = _match_lines(solution.matches, q)
    unmatched = _unmatched_lines(solution.unmatched, q)
    data = solution_to_dict(replace(solution, matches=(), unmatched=()))
    groups = [dump(x, ensure_ascii=False) for x in data["groups"]]
    stats = dump(data["stats"], ensure_ascii=False)
    body = ",\n".join(
        (block("matches", matches), block("unmatched", unmatched), block("groups", groups))
    )
    return "{\n" + body + f',\n  "stats": {stats}\n}}\n'


_FLOATS = (float,) * 6
_STRINGS = (str,) * 3
#: A match's line from its three strings (escaped), six rounded floats (score, distance_km,
#: the four components), ``kept`` and its end (the ``household`` key and the closing brace).
_MATCH = (
    '{{"newcomer": "{}", "programme": "{}", "mentor": "{}", "score": {}, "distance_km": {}, '
    '"components": {{"language": {}, "distance": {}, "interests": {}, "age": {}}}, '
    '"kept": {}{}'
)
_MATCH_DIGITS = (4, 3, 4, 4, 4, 4)
_UNMATCHED = '{{"newcomer": "{}", "programme": "{}", "reason": "{}", "passed": {{{}}}}}'


def _escaped(texts: Sequence[str], q: Callable[[str], str]) -> Sequence[str]:
    """Each string as :mod:`json` writes it between its quotes (``q`` of
    :func:`solution_to_json` without the quotes): most often the strings themselves."""
    joined = "".join(texts)
    if joined.isprintable() and '"' not in joined and "\\" not in joined:
        return texts
    return [q(text)[1:-1] for text in texts]


def _kinds(values: Iterable[Any]) -> set[type]:
    return set(map(type, values))


def _rounded(values: Sequence[float], digits: int) -> list[str]:
    """``repr(round(v, digits))`` of each finite value (a rounded float as :mod:`json`
    writes it), from a table of the few distinct results.

    ``round(v, digits)`` is the float nearest ``k / 10**digits``, ``k`` the integer nearest
    the exact ``v * 10**digits`` (ties to even), and so is ``k / 10**digits`` (Python's
    integer division is correctly rounded). numpy's ``rint`` of the computed product gives
    that ``k`` unless the product is within its own rounding error of a tie; values near a
    tie, negative ones (``-0.0``) and large ones are rounded by ``round`` itself.
    """
    x = np.array(values, dtype=np.float64)
    with np.errstate(all="ignore"):  # large values: rounded by round below
        scaled = x * float(10**digits)
        k = np.rint(scaled)
        near_tie = np.abs(np.abs(scaled - np.floor(scaled)) - 0.5) <= 1e-6
    exact = ~near_tie & ~np.signbit(x) & (scaled < 2**30)
    keys = np.where(exact, k, -1).astype(np.int64).tolist()
    scale = 10**digits
    table = {key: repr(key / scale) for key in set(keys)}
    texts = list(map(table.__getitem__, keys))
    for i in np.flatnonzero(~exact).tolist():
        texts[i] = repr(round(values[i], digits))
    return texts


def _match_lines(matches: Sequence[Match], q: Callable[[str], str]) -> list[str]:
    """The lines of the matches (each as :func:`_match_line` writes it), made a column at a
    time; row by row if any value is not of its usual type or a float is not finite."""
    if not matches:
        return []
    rows = map(attrgetter("newcomer", "programme", "mentor", "score", "distance_km"), matches)
    newcomer, programme, mentor, score, km = zip(*rows, strict=True)
    parts = map(
        attrgetter("language", "distance", "interests", "age"), _attr(matches, "components")
    )
    floats = (score, km, *zip(*parts, strict=True))
    kept, households = _attr(matches, "kept"), _attr(matches, "household")
    if not (
        _kinds(chain(newcomer, programme, mentor)) <= {str}
        and all(_kinds(column) <= {float} and all(map(math.isfinite, column)) for column in floats)
        and _kinds(kept) <= {bool}
        and _kinds(households) <= {str, type(None)}
    ):
        return [_match_line(m, q) for m in matches]
    ends: Iterable[str] = repeat("}", len(matches))
    if any(h is not None for h in households):
        ends = ["}" if h is None else f', "household": {q(h)}}}' for h in households]
    return list(
        map(
            _MATCH.format,
            *(_escaped(column, q) for column in (newcomer, programme, mentor)),
            *map(_rounded, floats, _MATCH_DIGITS),
            map(("false", "true").__getitem__, kept),
            ends,
        )
    )


def _attr(records: Sequence[Any], name: str) -> list[Any]:
    return list(map(attrgetter(name), records))


def _unmatched_lines(unmatched: Sequence[Unmatched], q: Callable[[str], str]) -> list[str]:
    """The lines of the unmatched requests (each as :func:`_unmatched_line` writes it), made a
    column at a time; row by row if any value is not of its usual type. A row with a
    ``group`` is written by :mod:`json`."""
    if not unmatched:
        return []
    rows = map(attrgetter("newcomer", "programme", "reason", "passed"), unmatched)
    newcomer, programme, reason, passed = zip(*rows, strict=True)
    counts = chain.from_iterable(map(methodcaller("values"), passed))
    if not (_kinds(chain(newcomer, programme, reason)) <= {str} and _kinds(counts) <= {int}):
        return [_unmatched_line(u, q) for u in unmatched]
    # The counts of one list of rules (the keys, in order) are written by one format.
    formats: dict[tuple[str, ...], str] = {}
    bodies = []
    for counted in passed:
        rules = tuple(counted)
        body = formats.get(rules)
        if body is None:
            if not _kinds(rules) <= {str}:
                return [_unmatched_line(u, q) for u in unmatched]
            keys = (q(rule).replace("{", "{{").replace("}", "}}") for rule in rules)
            body = formats[rules] = ", ".join(f"{key}: {{}}" for key in keys)
        bodies.append(body.format(*counted.values()))
    texts = (_escaped(column, q) for column in (newcomer, programme, reason))
    lines = list(map(_UNMATCHED.format, *texts, bodies))
    for i, group in enumerate(_attr(unmatched, "group")):
        if group is not None:
            lines[i] = _unmatched_line(unmatched[i], q)
    return lines


def _float(value: float) -> str:
    """A float as :mod:`json` writes it."""
    return repr(value) if math.isfinite(value) else json.dumps(value)


def _match_line(m: Match, q: Callable[[str], str]) -> str:
    c = m.components
    values = (m.score, m.distance_km, c.language, c.distance, c.interests, c.age)
    texts = (m.newcomer, m.programme, m.mentor)
    if (
        tuple(map(type, values)) != _FLOATS
        or tuple(map(type, texts)) != _STRINGS
        or type(m.kept) is not bool
        or (m.household is not None and type(m.household) is not str)
    ):
        return json.dumps(_match_dict(m), ensure_ascii=False)
    f = _float
    line = (
        f'{{"newcomer": {q(m.newcomer)}, "programme": {q(m.programme)}, '
        f'"mentor": {q(m.mentor)}, "score": {f(round(m.score, 4))}, '
        f'"distance_km": {f(round(m.distance_km, 3))}, '
        f'"components": {{"language": {f(round(c.language, 4))}, '
        f'"distance": {f(round(c.distance, 4))}, "interests": {f(round(c.interests, 4))}, '
        f'"age": {f(round(c.age, 4))}}}, "kept": {"true" if m.kept else "false"}'
    )
    if m.household is not None:
        return f'{line}, "household": {q(m.household)}}}'
    return line + "}"


def _unmatched_line(u: Unmatched, q: Callable[[str], str]) -> str:
    texts = (u.newcomer, u.programme, u.reason)
    if (
        u.group is not None
        or tuple(map(type, texts)) != _STRINGS
        or any(type(k) is not str or type(v) is not int for k, v in u.passed.items())
    ):
        return json.dumps(_unmatched_dict(u), ensure_ascii=False)
    passed = ", ".join(f"{q(k)}: {v}" for k, v in u.passed.items())
    return (
        f'{{"newcomer": {q(u.newcomer)}, "programme": {q(u.programme)}, '
        f'"reason": {q(u.reason)}, "passed": {{{passed}}}}}'
    )


def _write_atomically(path: str, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file, so a failure leaves no partial file."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent or Path("."))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def run_solve(
    problem_path: str,
    output: str | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run ``makker solve PROBLEM.json [--output FILE]``; returns the exit status.

    Writes the Solution JSON to ``output`` (or stdout) and a one-line summary to stderr.
    Bad input, including malformed JSON and missing fields, prints a message naming the record
    and field and returns 2 without writing any output file.
    """
    # The collector would walk the parsed file's millions of objects again and again while
    # the records, matches and lines are made (a third of the command's Python time); a solve
    # makes no garbage cycles to speak of, so it is paused for the command.
    paused = gc.isenabled()
    gc.disable()
    try:
        return _run_solve(problem_path, output, stdout=stdout, stderr=stderr)
    finally:
        if paused:
            gc.enable()


def _run_solve(
    problem_path: str,
    output: str | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    out = sys.stdout if stdout is None else stdout
    err = sys.stderr if stderr is None else stderr
    started = time.perf_counter()
    try:
        text = Path(problem_path).read_text(encoding="utf-8")
        problem = problem_from_json(text)
        read = time.perf_counter()
        solution, timings = solve_with_timings(problem)
        rendered = solution_to_json(solution)
    except ProblemError as error:
        print(f"makker solve: {problem_path}: {error}", file=err)
        return 2
    except (OSError, UnicodeDecodeError) as error:
        print(f"makker solve: cannot read {problem_path}: {error}", file=err)
        return 2
    try:
        if output is None:
            out.write(rendered)
            out.flush()
        else:
            _write_atomically(output, rendered)
    except OSError as error:
        print(f"makker solve: cannot write {output}: {error}", file=err)
        return 1
    done = time.perf_counter()
    s = solution.stats
    print(
        f"makker solve: matched {s.matched}/{s.requests} requests "
        f"({len(solution.unmatched)} unmatched), {s.mentors} mentors, "
        f"{s.candidates} candidates, objective {s.objective:.4f}, "
        f"{'optimal' if s.optimal else f'NOT optimal (group gap {s.gap:.4%})'}, "
        f"{len(solution.groups)} groups; "
        f"read {read - started:.3f} s, build {timings.build:.3f} s, "
        f"flow {timings.flow:.3f} s, groups {timings.groups:.3f} s, "
        f"finish {timings.finish:.3f} s, "
        f"write {done - read - s.seconds:.3f} s, "
        f"total {done - started:.3f} s",
        file=err,
    )
    return 0
