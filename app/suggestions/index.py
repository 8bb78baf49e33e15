"""An in-process index of the active mentors, kept current between suggestion calls.

Reading and converting 15,000 mentors costs a few hundred milliseconds; a suggestion needs
only the few hundred near one newcomer, but the first two ``passed`` counts are over every
mentor of the programme. So each process keeps the mentors (as ``matching.Mentor``, from the
bridge) with arrays to narrow and count them, and the engine's own arrays of them
(``matching.mentor_pool``: checked once; ``matching.suggest`` slices the narrowed mentors'
rows instead of checking and converting them on every call), and checks on every call that
the table has not changed: the ``mentors`` table's token (``app.models.table_version``: the
database's triggers set a new random one with every insert, update and delete, whoever
writes), one primary-key read in the caller's transaction, before the mentors are read, so a
stale index is never used (at worst one is rebuilt once more than needed); the index and its
pool are rebuilt from that same transaction's view. Accepted matches (load), the newcomer's
own pairs and the programmes are read fresh on every call, never cached.

The narrowing is a pre-filter with slack: it may keep a mentor a little too far away, never
drop one the library would accept. The counts apply the programme and language rules as
``matching`` states them (a mentor of the programme; a shared language, the programme's
required language, the newcomer's first language when asked), compared with the library on
random data in tests/app/test_suggestions_narrowed.py.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.orm import Session

import matching
from app.matches.mapping import mentor_id_of, read_mentors
from app.models import Mentor as MentorRow
from app.models import TableVersion
from app.suggestions.nearby import point_of
from matching.geo import haversine_km

#: Slack on the distance pre-filter (km): the library's distance rule decides exactly.
_SLACK_KM = 0.5

Fingerprint = tuple[Any, ...]


_TOKEN = select(TableVersion.token).where(TableVersion.table_name == "mentors")


def fingerprint(session: Session) -> Fingerprint:
    """What changes whenever any mentor row is inserted, updated or deleted: the table's
    token, which the database's triggers change with every write (``None`` if its row is
    gone, which only a test's clean-up does; any write gives a new token)."""
    return (session.execute(_TOKEN).scalar_one_or_none(),)


@dataclass(frozen=True, slots=True)
class Counts:
    """Active mentors of a programme, those of them passing the language rule, and one of
    them (``None`` when there are none)."""

    in_programme: int
    speaking: int
    first: matching.Mentor | None
    #: ``first``'s row in the index (-1 when there is none).
    first_row: int = -1


class MentorIndex:
    """The active mentors of one database snapshot, with arrays to narrow and count them."""

    def __init__(
        self,
        mentors: Sequence[matching.Mentor],
        key: Fingerprint,
        policy: Any,
        associations: dict[int, int] | None = None,
    ) -> None:
        self.key = key
        self.mentors = tuple(mentors)
        #: Each mentor's association (by database id), read with the mentors: what an
        #: answer shows beside a candidate (its municipality is the mentor's own).
        self.associations = dict(associations or {})
        #: Each mentor's database id, row by row (the rows are in id order: read_mentors).
        self.ids = np.array([mentor_id_of(m.id) for m in self.mentors], dtype=np.int64)
        #: Every programme some mentor lists, and whether every capacity is at least 1:
        #: with every one of these programmes active, only mentors with accepted load can
        #: come out of suggestion_problem changed (mapping._with_load).
        self.listed = frozenset(code for m in self.mentors for code in m.programmes)
        self.capacities_ok = all(m.capacity >= 1 for m in self.mentors)
        #: The engine's arrays of these mentors, checked once (matching.suggest's pool).
        self.pool = matching.mentor_pool(self.mentors, policy)
        points = [point_of(m.lat, m.lon, m.municipality) for m in self.mentors]
        self.lat = np.array([p[0] for p in points], dtype=np.float64)
        self.lon = np.array([p[1] for p in points], dtype=np.float64)
        default = float(policy.default_max_distance_km)
        self.limit_km = np.array(
            [default if m.max_distance_km is None else m.max_distance_km for m in self.mentors],
            dtype=np.float64,
        )
        vocabulary = sorted({code for m in self.mentors for code in m.languages})
        self.language_bit = {code: i for i, code in enumerate(vocabulary)}
        words = max(1, (len(vocabulary) + 63) // 64)
        self.languages = np.zeros((len(self.mentors), words), dtype=np.uint64)
        members: defaultdict[str, list[int]] = defaultdict(list)
        for i, m in enumerate(self.mentors):
            for code in m.languages:
                bit = self.language_bit[code]
                self.languages[i, bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
            for code in dict.fromkeys(m.programmes):
                members[code].append(i)
        self.members = {code: np.array(rows, dtype=np.int64) for code, rows in members.items()}

    def facts(self, mentor_ids: Sequence[int]) -> dict[int, tuple[int, str]] | None:
        """``{mentor id: (association id, municipality)}`` of these mentors of the index
        (``None`` if one is not among them)."""
        out: dict[int, tuple[int, str]] = {}
        for mentor_id in mentor_ids:
            association = self.associations.get(mentor_id)
            row = int(np.searchsorted(self.ids, mentor_id))
            if association is None or row >= len(self.ids) or self.ids[row] != mentor_id:
                return None
            out[mentor_id] = (association, self.mentors[row].municipality)
        return out

    def _mask(self, codes: Sequence[str]) -> npt.NDArray[np.uint64]:
        mask = np.zeros(self.languages.shape[1], dtype=np.uint64)
        for code in codes:
            bit = self.language_bit.get(code)
            if bit is not None:
                mask[bit >> 6] |= np.uint64(1) << np.uint64(bit & 63)
        return mask

    def _speaks(self, rows: npt.NDArray[np.int64], codes: Sequence[str]) -> npt.NDArray[np.bool_]:
        """Whether each mentor speaks one of ``codes``."""
        return np.asarray((self.languages[rows] & self._mask(codes)).any(axis=1))

    def counts(
        self,
        programme: str,
        languages: Sequence[str],
        requires_language: str | None,
        requires_first_language: bool,
    ) -> Counts:
        """The programme and language rules' counts over every mentor of ``programme``."""
        rows = self.members.get(programme, np.zeros(0, dtype=np.int64))
        ok = self._speaks(rows, languages)
        if requires_language is not None:
            ok &= self._speaks(rows, [requires_language])
        if requires_first_language:
            ok &= self._speaks(rows, languages[:1])
        first = int(rows[0]) if len(rows) else -1
        return Counts(
            len(rows),
            int(np.count_nonzero(ok)),
            self.mentors[first] if first >= 0 else None,
            first,
        )

    def near(
        self,
        programme: str,
        languages: Sequence[str],
        point: tuple[float, float],
        limit_km: float,
    ) -> list[matching.Mentor]:
        """Mentors of ``programme`` sharing a language with the newcomer, within the pair's
        distance limit (with slack) of ``point``: every one who can pass the first three
        rules, and perhaps a few who cannot."""
        return [self.mentors[int(i)] for i in self.near_rows(programme, languages, point, limit_km)]

    def near_rows(
        self,
        programme: str,
        languages: Sequence[str],
        point: tuple[float, float],
        limit_km: float,
    ) -> npt.NDArray[np.int64]:
        """The rows (ascending: id order) of :meth:`near`'s mentors."""
        rows = self.members.get(programme, np.zeros(0, dtype=np.int64))
        rows = rows[self._speaks(rows, languages)]
        distance = haversine_km(point[0], point[1], self.lat[rows], self.lon[rows])
        reach = np.minimum(self.limit_km[rows], limit_km)
        return rows[distance <= reach * (1 + 1e-9) + _SLACK_KM]


def _associations(session: Session) -> dict[int, int]:
    """Every active mentor's association, by mentor id."""
    rows = session.execute(
        select(MentorRow.id, MentorRow.association_id).where(MentorRow.active.is_(True))
    )
    return {mentor_id: association_id for mentor_id, association_id in rows}


_lock = threading.Lock()
_indexes: dict[str, MentorIndex] = {}


def current(session: Session, *, today: date, policy: Any) -> MentorIndex:
    """This process's index of the mentors as the session's transaction sees them."""
    key = (*fingerprint(session), today.year)  # mentors' ages count from the year
    slot = session.get_bind().engine.url.render_as_string()
    found = _indexes.get(slot)
    if found is not None and found.key == key:
        return found
    with _lock:
        found = _indexes.get(slot)
        if found is None or found.key != key:
            found = MentorIndex(
                read_mentors(session, today=today), key, policy, _associations(session)
            )
            _indexes[slot] = found
    return found
