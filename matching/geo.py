"""Geography: the haversine distance and the 98 Danish municipalities.

The municipality points (``municipalities.csv`` beside this module) are approximate seats of
the municipalities, good for "within 30 km", not for addresses.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from matching._jit import pair_jit

#: Mean Earth radius (IUGG), the contract's R.
EARTH_RADIUS_KM = 6371.0088

#: Distances within this many km of a limit count as at the limit (float rounding only).
DISTANCE_EPS_KM = 1e-9

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Municipality:
    """A Danish municipality by official three-digit kommunekode."""

    code: str
    name: str
    region: str
    lat: float
    lon: float
    population_thousands: float


@cache
def municipalities() -> MappingProxyType[str, Municipality]:
    """The 98 municipalities keyed by kommunekode (read once from the packaged CSV)."""
    text = resources.files("matching").joinpath("municipalities.csv").read_text("utf-8")
    rows = csv.DictReader(io.StringIO(text))
    found = {
        row["code"]: Municipality(
            code=row["code"],
            name=row["name"],
            region=row["region"],
            lat=float(row["lat"]),
            lon=float(row["lon"]),
            population_thousands=float(row["population_thousands"]),
        )
        for row in rows
    }
    return MappingProxyType(found)


def haversine_km(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> FloatArray:
    """Great-circle distance in km between points given in degrees (numpy broadcasting).

    Scalars work too; the result is then a 0-d array (use ``float(...)``).
    """
    p1 = np.radians(np.asarray(lat1, dtype=np.float64))
    p2 = np.radians(np.asarray(lat2, dtype=np.float64))
    dp = p2 - p1
    dl = np.radians(np.asarray(lon2, dtype=np.float64) - np.asarray(lon1, dtype=np.float64))
    h = np.sin(dp / 2.0) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2.0) ** 2
    return np.asarray(2.0 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(h, 1.0))))


@pair_jit
def haversine_pair_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """:func:`haversine_km` of one pair of points, for the compiled kernels."""
    return haversine_cos_km(lat1, lon1, cos_lat(lat1), lat2, lon2, cos_lat(lat2))


@pair_jit
def cos_lat(lat: float) -> float:
    """The cosine of a latitude in degrees: one point's factor in :func:`haversine_cos_km`."""
    return math.cos(math.radians(lat))


@pair_jit
def haversine_cos_km(
    lat1: float, lon1: float, cos1: float, lat2: float, lon2: float, cos2: float
) -> float:
    """:func:`haversine_pair_km` with each point's :func:`cos_lat` given (the same value, bit
    for bit: a loop over many pairs of few points computes each cosine once)."""
    dp = math.radians(lat2) - math.radians(lat1)
    dl = math.radians(lon2 - lon1)
    h = math.sin(dp / 2.0) ** 2 + cos1 * cos2 * math.sin(dl / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_KM * math.asin(math.sqrt(min(h, 1.0)))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Haversine distance in km between two ``(lat, lon)`` points."""
    return float(haversine_km(a[0], a[1], b[0], b[1]))


def unit_vectors(lat: FloatArray, lon: FloatArray) -> FloatArray:
    """Points on the unit sphere, shape ``(n, 3)``, for spatial bucketing."""
    p = np.radians(lat)
    lam = np.radians(lon)
    return np.stack([np.cos(p) * np.cos(lam), np.cos(p) * np.sin(lam), np.sin(p)], axis=1)


def chord_for_km(km: float) -> float:
    """The straight-line chord on the unit sphere of a great-circle distance of ``km``."""
    angle = min(km / EARTH_RADIUS_KM, np.pi)
    return float(2.0 * np.sin(angle / 2.0))
