"""Makker's matching engine: a pure library (numpy, numba, OR-Tools; no I/O, no environment).

The contract is shared/design/MATCHING.md. Typical use::

    from matching import solve, validate
    solution = solve(problem)  # validates first; raises ProblemError on bad input
"""

from matching._index import MentorPool, mentor_pool
from matching.candidates import (
    Candidate,
    PairCheck,
    Suggestions,
    check_pair,
    request_reading,
    suggest,
)
from matching.errors import MatchingError, ProblemError
from matching.geo import EARTH_RADIUS_KM, Municipality, distance_km, municipalities
from matching.io import (
    problem_from_dict,
    problem_from_json,
    problem_to_dict,
    run_solve,
    solution_from_dict,
    solution_from_json,
    solution_to_dict,
    solution_to_json,
)
from matching.languages import is_language, language_problem
from matching.model import (
    DEFAULT_PROGRAMMES,
    PAIR_RULES,
    RULES,
    UNITS,
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
    Unit,
    Unmatched,
    Weights,
)
from matching.solve import solve
from matching.validate import validate

__all__ = [
    "DEFAULT_PROGRAMMES",
    "EARTH_RADIUS_KM",
    "PAIR_RULES",
    "RULES",
    "UNITS",
    "Assignment",
    "Candidate",
    "Components",
    "ForbiddenPair",
    "Gender",
    "Group",
    "GroupShortfall",
    "Household",
    "Match",
    "MatchingError",
    "Mentor",
    "MentorPool",
    "Municipality",
    "Newcomer",
    "PairCheck",
    "Policy",
    "Problem",
    "ProblemError",
    "Programme",
    "Solution",
    "Stats",
    "Suggestions",
    "Unit",
    "Unmatched",
    "Weights",
    "check_pair",
    "distance_km",
    "is_language",
    "language_problem",
    "mentor_pool",
    "municipalities",
    "problem_from_dict",
    "problem_from_json",
    "problem_to_dict",
    "request_reading",
    "run_solve",
    "solution_from_dict",
    "solution_from_json",
    "solution_to_dict",
    "solution_to_json",
    "solve",
    "suggest",
    "validate",
]
