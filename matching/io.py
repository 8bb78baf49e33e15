"""The JSON file contract of ``makker solve`` (shared/design/MATCHING.md): parse, write, run.

Parsing is strict: a missing required key, an unknown key or a wrong type is refused with a
:class:`ProblemError` naming the record and the field, before anything is solved.
"""

from __future__ import annotations

import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType
from typing import Any, TextIO, cast

from matching.errors import ProblemError
from matching.model import (
    DEFAULT_PROGRAMMES,
    Assignment,
    Components,
    ForbiddenPair,
    Gender,
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
    "accepts_genders": (_optional(_strings), None),
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


def problem_from_dict(data: Any) -> Problem:
    """A :class:`Problem` from the parsed JSON of the file contract (types checked only;
    :func:`matching.validate` checks the meaning)."""
    top = _fields("problem", data, _TOP)
    policy = Policy(**_fields("policy", top.get("policy", {}), _POLICY))

    def people(key: str, kind: str, spec: Spec) -> list[Any]:
        items = _list(key, top[key])
        return [_fields(_name(kind, key, i, x), x, spec) for i, x in enumerate(items)]

    mentors = tuple(
        Mentor(**{**f, "gender": cast(Gender | None, f.get("gender"))})
        for f in people("mentors", "mentor", _MENTOR)
    )
    newcomers = tuple(Newcomer(**f) for f in people("newcomers", "newcomer", _NEWCOMER))
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
    """A :class:`Problem` from JSON text; malformed JSON is a :class:`ProblemError` too."""
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
    data = asdict(problem)
    return cast(dict[str, Any], _lists(data))


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
    """Solution JSON with one match or unmatched request per line (fast and diff-friendly)."""
    data = solution_to_dict(solution)
    dump = json.dumps

    def block(key: str) -> str:
        rows = ",\n    ".join(dump(x, ensure_ascii=False) for x in data[key])
        return f'  "{key}": [\n    {rows}\n  ]' if rows else f'  "{key}": []'

    stats = dump(data["stats"], ensure_ascii=False)
    body = ",\n".join(block(key) for key in ("matches", "unmatched", "groups"))
    return "{\n" + body + f',\n  "stats": {stats}\n}}\n'


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
