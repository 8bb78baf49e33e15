"""Charts and the map of Denmark, drawn by the server as SVG (no script, no external service).

Each drawing has a ``<title>`` and ``<desc>`` and is shown beside a table of the same figures.
Colours and sizes are SVG presentation attributes (the CSP allows no inline style).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from app.domain import municipalities

#: Denmark's extent, in degrees (Bornholm included).
_WEST, _EAST, _SOUTH, _NORTH = 8.0, 15.3, 54.5, 57.8
#: Degrees of longitude are shorter this far north.
_LON_SCALE = 0.56


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value (None when withheld) and the value in words."""

    label: str
    value: float | None
    shown: str


def bar_chart(title: str, desc: str, bars: Sequence[Bar], *, maximum: float = 100.0) -> str:
    """A horizontal bar chart."""
    row, label_width, width = 24, 190, 560
    height = row * len(bars) + 10
    plot = width - label_width - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="desk-chart" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-labelledby="chart-title '
        'chart-desc">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(desc)}</desc>',
    ]
    for i, bar in enumerate(bars):
        y = 5 + i * row
        length = 0.0 if bar.value is None else plot * max(0.0, min(bar.value, maximum)) / maximum
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 16}" text-anchor="end" font-size="13" '
            f'fill="#1a1a1a">{escape(bar.label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" '
            'fill="#0059b3"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + 16}" font-size="13" '
            f'fill="#1a1a1a">{escape(bar.shown)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _point(lat: float, lon: float, scale: float) -> tuple[float, float]:
    return (lon - _WEST) * _LON_SCALE * scale + 10, (_NORTH - lat) * scale + 10


def denmark_map(title: str, desc: str, counts: dict[str, tuple[float, str]]) -> str:
    """Denmark's municipalities as dots at their centre points; a circle sized by the count
    (``code -> (size, count in words)``) where there are shortages."""
    scale = 150.0
    width = (_EAST - _WEST) * _LON_SCALE * scale + 20
    height = (_NORTH - _SOUTH) * scale + 20
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="desk-chart" viewBox="0 0 {width:.0f} '
        f'{height:.0f}" width="{width:.0f}" height="{height:.0f}" role="img" '
        'aria-labelledby="map-title map-desc">',
        f'<title id="map-title">{escape(title)}</title>',
        f'<desc id="map-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#eef4fa"/>',
    ]
    biggest = max((size for size, _ in counts.values()), default=1.0) or 1.0
    places = municipalities()
    for _code, place in sorted(places.items()):
        x, y = _point(place.lat, place.lon, scale)
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#7a7a7a"/>')
    for code, (size, shown) in sorted(counts.items()):
        found = places.get(code)
        if found is None:
            continue
        x, y = _point(found.lat, found.lon, scale)
        radius = 5 + 20 * (size / biggest) ** 0.5
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="#b0000f" '
            f'fill-opacity="0.55" stroke="#6b0009"><title>{escape(found.name)}: '
            f"{escape(shown)}</title></circle>"
        )
        parts.append(
            f'<text x="{x + radius + 3:.1f}" y="{y + 4:.1f}" font-size="12" fill="#1a1a1a">'
            f"{escape(found.name)} {escape(shown)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
