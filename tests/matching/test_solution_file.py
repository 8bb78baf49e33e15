"""The solution file: one match or unmatched request per line, each line exactly what
:mod:`json` writes for its object (``ensure_ascii=False``), whatever the ids and floats."""

from __future__ import annotations

import json
import math
from types import MappingProxyType
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from matching import (
    RULES,
    Components,
    GroupShortfall,
    Match,
    Solution,
    Stats,
    Unmatched,
    solution_to_dict,
    solution_to_json,
)

#: Ids as people write them, and ones json must escape (quotes, backslashes, control
#: characters, line separators) or may leave (non-ASCII letters).
ids = st.one_of(
    st.sampled_from(["n1", "m-0042", "Åse", "O'Brien", 'say "hi"', "a\\b", "tab\there", "\u2028"]),
    st.text(min_size=1, max_size=6),
)


def _tie(digits: int) -> st.SearchStrategy[float]:
    """Values at or next to a rounding tie of ``digits`` decimals."""
    return st.builds(
        lambda k, step: math.nextafter((k + 0.5) / 10**digits, step),
        st.integers(0, 10**digits),
        st.sampled_from([0.0, 1.0, 2.0, math.inf]),  # below, above or at the tie
    )


def unit_floats(digits: int, top: float) -> st.SearchStrategy[float]:
    return st.one_of(
        st.floats(0, top),
        _tie(digits),
        st.sampled_from([0.0, -0.0, 1.0, 5e-5, 1e-9, -1e-9, top]),
        st.floats(allow_nan=True, allow_infinity=True),
    )


matches = st.builds(
    Match,
    newcomer=ids,
    programme=ids,
    mentor=ids,
    score=unit_floats(4, 1.0),
    distance_km=unit_floats(3, 20_000.0),
    components=st.builds(
        Components,
        language=unit_floats(4, 1.0),
        distance=unit_floats(4, 1.0),
        interests=unit_floats(4, 1.0),
        age=unit_floats(4, 1.0),
    ),
    kept=st.booleans(),
    household=st.none() | ids,
)
unmatched = st.builds(
    Unmatched,
    newcomer=ids,
    programme=ids,
    reason=st.sampled_from(RULES),
    passed=st.builds(
        lambda n, counts: MappingProxyType(dict(zip(RULES[:n], counts, strict=False))),
        st.integers(1, len(RULES)),
        st.lists(st.integers(0, 10**6), min_size=len(RULES), max_size=len(RULES)),
    ),
    group=st.none() | st.builds(GroupShortfall, st.integers(0, 9), st.integers(1, 9)),
)
STATS = Stats(requests=3, mentors=2, candidates=4, matched=1, objective=0.5, optimal=True,
              seconds=0.25)  # fmt: skip


def lines(text: str, key: str) -> list[str]:
    """The rows of one block of the file, as written."""
    block = text.split(f'  "{key}": [\n', 1)[1].split("\n  ]", 1)[0]
    return [line.strip().removesuffix(",") for line in block.split("\n")]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(matches, min_size=1, max_size=12),
    st.lists(unmatched, min_size=1, max_size=12),
    st.booleans(),
)
def test_each_row_is_what_json_writes_for_it(
    found: list[Match], left: list[Unmatched], same_types: bool
) -> None:
    if same_types:  # every float finite, no escapes: the common case
        found = [m for m in found if all(map(math.isfinite, _floats(m)))]
    solution = Solution(matches=tuple(found), unmatched=tuple(left), stats=STATS)
    text = solution_to_json(solution)
    data = solution_to_dict(solution)
    for key in ("matches", "unmatched"):
        expected = [json.dumps(row, ensure_ascii=False) for row in data[key]]
        assert (lines(text, key) if expected else []) == expected
    assert text.endswith("}\n")


def _floats(m: Match) -> tuple[float, ...]:
    c = m.components
    return (m.score, m.distance_km, c.language, c.distance, c.interests, c.age)


def test_an_empty_solution_has_empty_blocks() -> None:
    text = solution_to_json(Solution(matches=(), unmatched=(), stats=STATS))
    data: dict[str, Any] = json.loads(text)
    assert data["matches"] == data["unmatched"] == data["groups"] == []
    assert '  "matches": [],\n  "unmatched": [],\n' in text
