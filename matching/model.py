"""The matching contract as frozen dataclasses (see shared/design/MATCHING.md).

Everything the solver reads and writes is here; nothing in this module does I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

Gender = Literal["female", "male", "other"]
Unit = Literal["person", "household", "group"]
UNITS: tuple[str, ...] = ("person", "household", "group")

#: The hard rules, in the contract's order; also the names of unmatched reasons.
RULES: tuple[str, ...] = (
    "programme",
    "language",
    "distance",
    "gender",
    "child_safety",
    "forbidden",
    "capacity",
    "group_size",
)

#: The rules every request is held to; ``group_size`` is a reason of group programmes only.
PAIR_RULES: tuple[str, ...] = RULES[:-1]


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the score components; they must sum to 1."""

    language: float = 0.30
    distance: float = 0.25
    interests: float = 0.30
    age: float = 0.15


@dataclass(frozen=True, slots=True)
class Policy:
    """Tunable parameters of the rules and the objective."""

    default_max_distance_km: float = 30.0
    child_certificate_below_age: int = 15
    waiting_weight: float = 0.2
    keep_bonus: float = 0.1
    weights: Weights = field(default_factory=Weights)


@dataclass(frozen=True, slots=True)
class Programme:
    """A programme a newcomer can ask for and a mentor can volunteer for."""

    code: str
    min_age: int | None = None
    max_age: int | None = None
    requires_language: str | None = None
    requires_first_language: bool = False
    #: ``person``: one newcomer, one mentor; ``household``: one request per household;
    #: ``group``: a trainer leads one group of ``group_min``..``group_max`` participants.
    unit: Unit = "person"
    group_min: int | None = None  # set iff unit == "group"
    group_max: int | None = None  # set iff unit == "group"


DEFAULT_PROGRAMMES: tuple[Programme, ...] = (
    Programme("mentor"),
    Programme("lets_network", max_age=24),
    Programme("language_buddy", requires_language="da"),
    Programme("network_family", unit="household"),
    Programme("homework_help"),
    Programme("leisure_guide"),
    Programme("mindspring", requires_first_language=True, unit="group", group_min=6, group_max=10),
)


@dataclass(frozen=True, slots=True)
class Mentor:
    """A volunteer. ``municipality`` is a three-digit kommunekode."""

    id: str
    languages: tuple[str, ...]
    municipality: str
    programmes: tuple[str, ...]
    capacity: int = 1
    lat: float | None = None
    lon: float | None = None
    max_distance_km: float | None = None
    interests: tuple[str, ...] = ()
    gender: Gender | None = None
    age: int | None = None
    accepts_genders: tuple[str, ...] | None = None
    child_certificate: bool = False


@dataclass(frozen=True, slots=True)
class Newcomer:
    """A newcomer with open requests; ``languages[0]`` is the first (primary) language."""

    id: str
    languages: tuple[str, ...]
    municipality: str
    programmes: tuple[str, ...]
    lat: float | None = None
    lon: float | None = None
    max_distance_km: float | None = None
    age: int | None = None
    gender: Gender | None = None
    interests: tuple[str, ...] = ()
    mentor_gender: Gender | None = None
    waiting_days: int = 0


@dataclass(frozen=True, slots=True)
class Assignment:
    """A (newcomer, mentor, programme) triple: an accepted match or last run's proposal."""

    newcomer: str
    mentor: str
    programme: str


@dataclass(frozen=True, slots=True)
class ForbiddenPair:
    """A pair that was rejected before and must not be proposed again."""

    newcomer: str
    mentor: str


@dataclass(frozen=True, slots=True)
class Household:
    """Newcomers who live together; ``members[0]`` is the contact person, who lists the
    household's ``unit: household`` programmes. A newcomer in no household is a household of
    one."""

    id: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """One solver input: open requests, mentors, and what is already decided."""

    mentors: tuple[Mentor, ...]
    newcomers: tuple[Newcomer, ...]
    policy: Policy = field(default_factory=Policy)
    programmes: tuple[Programme, ...] = DEFAULT_PROGRAMMES
    fixed: tuple[Assignment, ...] = ()
    previous: tuple[Assignment, ...] = ()
    forbidden: tuple[ForbiddenPair, ...] = ()
    households: tuple[Household, ...] = ()


@dataclass(frozen=True, slots=True)
class Components:
    """The score components of a pair, each in [0, 1]."""

    language: float
    distance: float
    interests: float
    age: float


@dataclass(frozen=True, slots=True)
class Match:
    """A proposed match with its score, explained by its components."""

    newcomer: str
    programme: str
    mentor: str
    score: float
    distance_km: float
    components: Components
    kept: bool
    household: str | None = None  # the household of a household-programme match


@dataclass(frozen=True, slots=True)
class Group:
    """A trainer's group in a group programme: ``members`` are newcomer ids, sorted, fixed
    participants included."""

    programme: str
    mentor: str
    members: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class GroupShortfall:
    """Why a group request found no group: the most participants any one of its candidate
    trainers could have had (fixed ones included), and the programme's minimum."""

    waiting: int
    group_min: int


@dataclass(frozen=True, slots=True)
class Unmatched:
    """An unmatched request, the rule that removed its last mentor, and counts per rule."""

    newcomer: str
    programme: str
    reason: str
    passed: MappingProxyType[str, int]
    group: GroupShortfall | None = None  # set for reason "group_size"


@dataclass(frozen=True, slots=True)
class Stats:
    """Figures of one solve."""

    requests: int
    mentors: int
    candidates: int
    matched: int
    objective: float
    optimal: bool
    seconds: float
    gap: float = 0.0  # relative gap of the group stage when its time limit stopped the proof


@dataclass(frozen=True, slots=True)
class Solution:
    """The solver's output: matches, unmatched requests and groups, in a deterministic order
    (groups by programme, mentor)."""

    matches: tuple[Match, ...]
    unmatched: tuple[Unmatched, ...]
    stats: Stats
    groups: tuple[Group, ...] = ()
