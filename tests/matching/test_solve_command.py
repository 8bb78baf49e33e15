"""The `makker solve` contract through run_solve: output, summary, and every bad input."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matching import run_solve

GOOD: dict[str, Any] = {
    "policy": {
        "default_max_distance_km": 30, "child_certificate_below_age": 15,
        "waiting_weight": 0.2, "keep_bonus": 0.1,
        "weights": {"language": 0.30, "distance": 0.25, "interests": 0.30, "age": 0.15},
    },
    "programmes": [
        {"code": "lets_network", "min_age": None, "max_age": 24, "requires_language": None,
         "requires_first_language": False},
        {"code": "mentor"}, {"code": "homework_help"},
    ],
    "mentors": [
        {"id": "m1", "languages": ["da", "en", "ar"], "municipality": "101", "lat": None,
         "lon": None, "max_distance_km": 20, "capacity": 2,
         "programmes": ["mentor", "lets_network"], "interests": ["football", "cooking"],
         "gender": "female", "age": 34, "accepts_genders": None, "child_certificate": True},
    ],
    "newcomers": [
        {"id": "n1", "languages": ["ar", "en"], "municipality": "101", "lat": None, "lon": None,
         "max_distance_km": None, "programmes": ["lets_network", "homework_help"], "age": 19,
         "gender": "male", "interests": ["football"], "mentor_gender": None,
         "waiting_days": 40},
    ],
    "fixed": [{"newcomer": "n9", "mentor": "m1", "programme": "mentor"}],
    "previous": [{"newcomer": "n1", "mentor": "m1", "programme": "lets_network"}],
    "forbidden": [{"newcomer": "n2", "mentor": "m1"}],
}  # fmt: skip


def run(tmp_path: Path, data: Any, *, raw: str | None = None) -> tuple[int, str, str, Path]:
    source = tmp_path / "problem.json"
    source.write_text(raw if raw is not None else json.dumps(data), encoding="utf-8")
    target = tmp_path / "solution.json"
    out, err = io.StringIO(), io.StringIO()
    status = run_solve(str(source), str(target), stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue(), target


def test_the_contract_example_solves(tmp_path: Path) -> None:
    status, out, err, target = run(tmp_path, GOOD)
    assert status == 0 and out == ""
    solution = json.loads(target.read_text())
    (match,) = solution["matches"]
    assert (match["newcomer"], match["mentor"], match["programme"], match["kept"]) == (
        "n1", "m1", "lets_network", True)  # fmt: skip
    assert set(match["components"]) == {"language", "distance", "interests", "age"}
    (unmatched,) = solution["unmatched"]
    assert unmatched == {"newcomer": "n1", "programme": "homework_help",
                         "reason": "programme", "passed": {"programme": 0}}  # fmt: skip
    stats = solution["stats"]
    assert stats["requests"] == 2 and stats["matched"] == 1 and stats["optimal"] is True
    assert set(stats) == {"requests", "mentors", "candidates", "matched", "objective",
                          "optimal", "seconds"}  # fmt: skip
    assert err.count("\n") == 1 and "matched 1/2" in err


def test_solution_goes_to_stdout_without_output(tmp_path: Path) -> None:
    source = tmp_path / "problem.json"
    source.write_text(json.dumps(GOOD))
    out, err = io.StringIO(), io.StringIO()
    assert run_solve(str(source), None, stdout=out, stderr=err) == 0
    assert json.loads(out.getvalue())["stats"]["matched"] == 1


def test_only_mentors_and_newcomers_are_required(tmp_path: Path) -> None:
    data = {"mentors": GOOD["mentors"], "newcomers": GOOD["newcomers"]}
    status, _, _, target = run(tmp_path, data)
    assert status == 0
    assert json.loads(target.read_text())["stats"]["requests"] == 2


def mutate(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the value at a dotted path replaced (``...=DELETE`` removes the key)."""
    data = copy.deepcopy(GOOD)
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is DELETE:
        del node[last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


DELETE = object()
BAD: dict[str, tuple[Any, str]] = {
    "unknown municipality": (mutate("mentors.0.municipality", "999"), "municipality"),
    "municipality as number": (mutate("mentors.0.municipality", 101), "municipality"),
    "unknown programme": (mutate("newcomers.0.programmes", ["yoga"]), "programmes[0]"),
    "not ISO 639": (mutate("newcomers.0.languages", ["ar", "arabic"]), "languages[1]"),
    "capacity 0": (mutate("mentors.0.capacity", 0), "capacity"),
    "capacity as string": (mutate("mentors.0.capacity", "2"), "capacity"),
    "duplicate id": (mutate("mentors", GOOD["mentors"] * 2), "id"),
    "fixed over capacity": (
        mutate(
            "fixed",
            [{"newcomer": f"n{i}", "mentor": "m1", "programme": "mentor"} for i in range(3)],
        ),
        "capacity",
    ),
    "fixed twice": (mutate("fixed", GOOD["fixed"] * 2), "fixed[1]"),
    "weights sum": (mutate("policy.weights.age", 0.5), "weights"),
    "missing id": (mutate("newcomers.0.id", DELETE), "id"),
    "missing capacity": (mutate("mentors.0.capacity", DELETE), "capacity"),
    "missing mentors": (mutate("mentors", DELETE), "mentors"),
    "unknown field": (mutate("mentors.0.capcity", 2), "capcity"),
    "age as float": (mutate("newcomers.0.age", 19.5), "age"),
    "boolean waiting": (mutate("newcomers.0.waiting_days", True), "waiting_days"),
    "fixed unknown mentor": (mutate("fixed.0.mentor", "mX"), "mentor"),
    "forbidden missing mentor": (mutate("forbidden.0.mentor", DELETE), "mentor"),
    "mentors not a list": (mutate("mentors", {"id": "m1"}), "mentors"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_exits_2_names_the_field_and_writes_nothing(tmp_path: Path, case: str) -> None:
    data, field = BAD[case]
    status, out, err, target = run(tmp_path, data)
    assert status == 2
    assert out == ""
    assert not target.exists()
    assert field in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("raw", ["{", "", "[1, 2]", '{"mentors": [], "newcomers": [}'])
def test_malformed_json_exits_2(tmp_path: Path, raw: str) -> None:
    status, _, err, target = run(tmp_path, None, raw=raw)
    assert status == 2 and not target.exists()
    assert "problem" in err or "JSON" in err


def test_missing_file_exits_2(tmp_path: Path) -> None:
    err = io.StringIO()
    target = tmp_path / "out.json"
    assert run_solve(str(tmp_path / "nope.json"), str(target), stderr=err) == 2
    assert not target.exists()


def test_bad_input_leaves_an_existing_output_file_alone(tmp_path: Path) -> None:
    target = tmp_path / "solution.json"
    target.write_text("yesterday")
    status, *_ = run(tmp_path, mutate("mentors.0.capacity", 0))
    assert status == 2 and target.read_text() == "yesterday"


def _makker(*args: str) -> subprocess.CompletedProcess[str]:
    """The ``makker`` console script's entry point, as a process of its own."""
    return subprocess.run(
        [sys.executable, "-c", "from app.cli import main; main()", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _many_newcomers(count: int) -> dict[str, Any]:
    data = copy.deepcopy(GOOD)
    data["mentors"][0]["capacity"] = count
    data["newcomers"] = [
        {**GOOD["newcomers"][0], "id": f"n{i}", "programmes": ["lets_network"]}
        for i in range(count)
    ]
    return data


def test_the_command_writes_all_of_its_output_before_it_exits(tmp_path: Path) -> None:
    """The process ends without tearing its objects down: everything written must be out."""
    data = _many_newcomers(400)  # stdout beyond one pipe buffer (64 KiB)
    source = tmp_path / "problem.json"
    source.write_text(json.dumps(data), encoding="utf-8")
    expected_status, _, _, written = run(tmp_path, data)
    expected = written.read_text(encoding="utf-8")

    to_stdout = _makker("solve", str(source))
    assert (to_stdout.returncode, expected_status) == (0, 0)
    assert len(to_stdout.stdout) > 65_536
    assert _without_seconds(to_stdout.stdout) == _without_seconds(expected)
    # 398: GOOD forbids n2 the mentor and fixes n9 to it.
    assert to_stdout.stderr.startswith("makker solve: matched 398/400 requests")

    target = tmp_path / "out.json"
    to_file = _makker("solve", str(source), "--output", str(target))
    assert (to_file.returncode, to_file.stdout) == (0, "")
    assert _without_seconds(target.read_text(encoding="utf-8")) == _without_seconds(expected)
    assert "matched 398/400" in to_file.stderr

    source.write_text("{", encoding="utf-8")
    bad = _makker("solve", str(source), "--output", str(tmp_path / "none.json"))
    assert bad.returncode == 2 and "makker solve:" in bad.stderr
    assert not (tmp_path / "none.json").exists()


def _without_seconds(text: str) -> dict[str, Any]:
    solution: dict[str, Any] = json.loads(text)
    del solution["stats"]["seconds"]
    return solution
