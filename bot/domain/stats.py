"""Statistics for a lägesbild: counts per station × category × status, response times, weeks.

Pure: the numbers come from storage as plain tuples, the text and chart are made elsewhere.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

IDEA = "idea"  # ideas have no category; they are counted under this pseudo-category
PERIODS = ("30d", "90d", "year", "all")


@dataclass(frozen=True)
class Period:
    """Local calendar days, `until` exclusive; None means open-ended."""

    since: dt.date | None
    until: dt.date | None

    def utc_bounds(self, zone: str) -> tuple[str | None, str | None]:
        """The bounds as stored in the database: ISO 8601 UTC at local midnight."""
        return local_midnight_utc(self.since, zone), local_midnight_utc(self.until, zone)

    def label(self) -> str:
        start = self.since.isoformat() if self.since else "…"
        end = (self.until - dt.timedelta(days=1)).isoformat() if self.until else "…"
        return f"{start} – {end}"


def local_midnight_utc(day: dt.date | None, zone: str) -> str | None:
    if day is None:
        return None
    local = dt.datetime.combine(day, dt.time(), ZoneInfo(zone))
    return local.astimezone(dt.UTC).isoformat(timespec="seconds")


def named_period(name: str, today: dt.date) -> Period:
    """The periods offered as buttons: last 30 or 90 days, this calendar year, everything."""
    tomorrow = today + dt.timedelta(days=1)
    if name == "30d":
        return Period(tomorrow - dt.timedelta(days=30), tomorrow)
    if name == "90d":
        return Period(tomorrow - dt.timedelta(days=90), tomorrow)
    if name == "year":
        return Period(dt.date(today.year, 1, 1), tomorrow)
    if name == "all":
        return Period(None, None)
    raise ValueError(f"unknown period {name!r}")


@dataclass(frozen=True)
class Durations:
    """How long cases waited, in hours: how many were measured, the median and the 90th pct."""

    count: int
    median_hours: float | None
    p90_hours: float | None


def summarise(seconds: Iterable[float]) -> Durations:
    hours = sorted(s / 3600 for s in seconds if s >= 0)
    if not hours:
        return Durations(0, None, None)
    p90 = hours[math.ceil(0.9 * len(hours)) - 1]  # nearest rank
    return Durations(len(hours), statistics.median(hours), p90)


def iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-v{week:02d}"


def weekly(
    day_counts: Iterable[tuple[dt.date, str, int]],
    first: dt.date | None = None,
    last: dt.date | None = None,
) -> tuple[list[str], dict[str, list[int]]]:
    """Cases per ISO week per category, with empty weeks filled with zeros, from the week of
    `first` to the week of `last` (default: the first and last day with cases)."""
    per: dict[tuple[str, str], int] = defaultdict(int)
    days: list[dt.date] = []
    categories: set[str] = set()
    for day, category, n in day_counts:
        per[(iso_week(day), category)] += n
        days.append(day)
        categories.add(category)
    if not days:
        return [], {}
    start, end = first or min(days), last or max(days)
    weeks: list[str] = []
    monday = start - dt.timedelta(days=start.weekday())
    while monday <= end:
        weeks.append(iso_week(monday))
        monday += dt.timedelta(days=7)
    series = {c: [per.get((w, c), 0) for w in weeks] for c in sorted(categories)}
    return weeks, series


@dataclass
class StatsReport:
    """Everything /statistik and `trygghetsbot stats` show for one period and set of stations."""

    period: Period
    stations: list[str]
    # (station, category, status) -> count
    counts: dict[tuple[str, str, str], int] = field(default_factory=dict)
    to_acknowledge: Durations = Durations(0, None, None)
    to_resolve: Durations = Durations(0, None, None)
    weeks: list[str] = field(default_factory=list)
    per_week: dict[str, list[int]] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def by_station(self) -> dict[str, int]:
        out: dict[str, int] = defaultdict(int)
        for (station, _, _), n in self.counts.items():
            out[station] += n
        return dict(out)

    def by_station_category(self, station: str) -> dict[str, dict[str, int]]:
        """category -> status -> count for one station."""
        out: dict[str, dict[str, int]] = defaultdict(dict)
        for (s, category, status), n in sorted(self.counts.items()):
            if s == station:
                out[category][status] = n
        return dict(out)
