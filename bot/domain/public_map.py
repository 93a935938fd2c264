"""The public map's rule: reports are shown only as counts in grid cells, never one by one.

A report's place falls in a cell of a fixed grid (about 550 m a side in Sweden); a cell is
shown at its centre with its count, and only when at least `MINIMUM` reports from at least
`MINIMUM` residents fall in it. Cells with fewer are left out, so no single report (or pair),
and no one resident's reports, can be picked out; no report's own coordinates are ever
shown: only the centre of its cell. Pure: no storage.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

#: The fewest reports a cell needs to be shown.
MINIMUM = 3
#: A cell's height in degrees of latitude (0.005° ≈ 556 m); its width is as many metres.
CELL_DEGREES = 0.005
#: Decimals of a centre's coordinates (about a metre: the centre is the grid's, not a place).
DECIMALS = 5


@dataclass(frozen=True)
class Cell:
    """A grid cell shown on the map: its centre and how many reports fall in it."""

    lat: float
    lon: float
    count: int


def _width(row: int, size: float) -> float:
    """A row's cell width in degrees of longitude: as many metres as the cell is high."""
    centre = (row + 0.5) * size
    return size / max(math.cos(math.radians(centre)), 0.05)


def cell_key(lat: float, lon: float, size: float = CELL_DEGREES) -> tuple[int, int]:
    """The (row, column) of the grid cell a place falls in."""
    row = math.floor(lat / size)
    return row, math.floor(lon / _width(row, size))


def centre(key: tuple[int, int], size: float = CELL_DEGREES) -> tuple[float, float]:
    """The centre (lat, lon) of a grid cell."""
    row, column = key
    width = _width(row, size)
    return round((row + 0.5) * size, DECIMALS), round((column + 0.5) * width, DECIMALS)


@dataclass(frozen=True)
class Place:
    """A report's place and who sent it (an opaque id; None when no longer known: all such
    reports count as one resident's, to be safe)."""

    lat: float
    lon: float
    reporter: int | None = None


def aggregate(
    places: Iterable[Place], size: float = CELL_DEGREES, minimum: int = MINIMUM
) -> list[Cell]:
    """The cells holding at least `minimum` of `places` from at least `minimum` reporters,
    the most reports first (then north to south, west to east); the other places are left
    out."""
    counts: Counter[tuple[int, int]] = Counter()
    reporters: dict[tuple[int, int], set[int | None]] = {}
    for place in places:
        key = cell_key(place.lat, place.lon, size)
        counts[key] += 1
        reporters.setdefault(key, set()).add(place.reporter)
    cells = [
        Cell(*centre(key, size), count)
        for key, count in counts.items()
        if count >= minimum and len(reporters[key]) >= minimum
    ]
    return sorted(cells, key=lambda c: (-c.count, -c.lat, c.lon))
