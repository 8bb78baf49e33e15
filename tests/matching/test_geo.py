"""The municipalities and the haversine distance."""

from __future__ import annotations

import math

import pytest

from matching import EARTH_RADIUS_KM, distance_km, municipalities


def test_the_98_municipalities_by_kommunekode() -> None:
    places = municipalities()
    assert len(places) == 98
    assert all(len(code) == 3 and code.isdigit() for code in places)
    assert places["101"].name == "København"
    assert all(54.5 < p.lat < 57.8 and 8.0 < p.lon < 15.3 for p in places.values())


def test_haversine_radius_and_known_distances() -> None:
    assert EARTH_RADIUS_KM == 6371.0088
    quarter = distance_km((0.0, 0.0), (0.0, 90.0))
    assert quarter == pytest.approx(math.pi / 2 * 6371.0088, rel=1e-12)
    assert distance_km((55.676, 12.568), (55.676, 12.568)) == 0.0
    # København - Aarhus is about 156 km as the crow flies.
    assert distance_km((55.676, 12.568), (56.157, 10.211)) == pytest.approx(156, abs=3)
