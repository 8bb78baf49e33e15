"""A person's point as the matching library places them."""

from __future__ import annotations

from matching import municipalities


def point_of(lat: float | None, lon: float | None, municipality: str) -> tuple[float, float]:
    """Own coordinates when both are given, else the municipality's centre (as ``matching``
    does)."""
    if lat is not None and lon is not None:
        return lat, lon
    place = municipalities()[municipality]
    return place.lat, place.lon
