"""The monthly lägesbild's parts as data, and its pure rules: the map's grid cells (no exact
point, small counts hidden), the day's hours in blocks, the ISO weeks of a month. Pure: no
storage, no text."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from bot.domain.deployment import CommitmentStatus
from bot.domain.promises import DEFAULT_PROGRESS, CommitmentState
from bot.domain.public_map import cell_key, centre
from bot.domain.stats import Durations, iso_week
from bot.domain.trygghet import BeforeAfter, Share

#: A map cell, a category in "ni sa" with fewer cases than this shows "färre än 3".
FEW = 3
#: The day's hours in blocks (local time): 00–06, 06–09, 09–12, 12–15, 15–18, 18–21, 21–24.
HOUR_BLOCKS = ((0, 6), (6, 9), (9, 12), (12, 15), (15, 18), (18, 21), (21, 24))


@dataclass(frozen=True)
class MapCell:
    """A grid cell of the map (bot.domain.public_map's grid, about 550 m a side)."""

    lat: float
    """The cell's centre (never a case's own place)."""
    lon: float
    """The cell's centre."""
    count: int | None
    """The month's cases with a place in the cell; None when fewer than FEW ("färre än 3")."""


@dataclass(frozen=True)
class MapStation:
    """A station drawn on the map."""

    id: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class ActorTimes:
    """How fast one actor's cases (those routed to it) were handled."""

    actor_id: str
    """The actor's id; "" for the row of all cases together."""
    name: str
    """The actor's name as in the deployment file ("" for all cases)."""
    to_acknowledge: Durations
    """From the case's creation to its first acknowledgement: count, median and p90 hours."""
    to_resolve: Durations
    """From the case's creation to its resolution: count, median and p90 hours."""


@dataclass(frozen=True)
class CommitmentRow:
    """One commitment of a promise running at the scope's stations during the month."""

    promise_id: str
    commitment_id: str
    title: str
    """The commitment's title in the Swedish source."""
    actor: str
    """The responsible actor's name."""
    status: str
    """The stored status (a CommitmentStatus value: planned, in_progress, done, ...)."""
    progress: int
    """The stored progress in percent."""


@dataclass(frozen=True)
class PromiseRow:
    """A promise running at the scope's stations during the month."""

    id: str
    title: str
    start: dt.date
    end: dt.date
    progress: int
    """promise_progress: the commitments' weighted mean, in whole percent."""


@dataclass(frozen=True)
class UpdateRow:
    """A commitment update published during the month ("vi gjorde")."""

    commitment: str
    """The commitment's title."""
    status: str | None
    progress: int | None
    text: str
    day: dt.date
    """The local day it was published."""


@dataclass(frozen=True)
class PromiseTrygghet:
    """One promise running in the month, measured at the scope's stations that belong to it."""

    promise_id: str
    title: str
    trend: tuple[tuple[str, Share], ...]
    """Each month of the promise from its start month up to the month, with its share."""
    comparison: BeforeAfter
    """The promise's months so far against the 12 before it."""


@dataclass(frozen=True)
class TrygghetPart:
    """The trygghetsmätning for the scope's stations, pooled."""

    month: Share
    """The month's answers (suppressed when under MIN_ANSWERS: "färre än 5 svar"); empty
    while the month has not ended."""
    previous: Share
    """The month before's answers."""
    promises: tuple[PromiseTrygghet, ...] = ()
    """One per promise running in the month at the scope's stations."""
    ended: bool = True
    """False for the running month: its answers are shown when it has ended."""


NO_TIMES = ActorTimes("", "", Durations(0, None, None), Durations(0, None, None))
NO_TRYGGHET = TrygghetPart(Share(), Share())


def states_as_of(
    initial: Mapping[str, CommitmentStatus], updates: Iterable[tuple[str, str | None, int | None]]
) -> dict[str, CommitmentState]:
    """Each commitment's state after `updates` ((commitment, status, progress), oldest first),
    as storage.promises.publish keeps it: an update with a status sets status and progress
    (its own or the status's default); one without a status changes nothing. Before any
    update: the deployment file's status."""
    states = {c: CommitmentState(c, s, DEFAULT_PROGRESS[s]) for c, s in initial.items()}
    for commitment, status, progress in updates:
        if status is not None and commitment in states:
            value = CommitmentStatus(status)
            shown = progress if progress is not None else DEFAULT_PROGRESS[value]
            states[commitment] = CommitmentState(commitment, value, shown)
    return states


def hidden_runs(
    trend: Sequence[tuple[str, Share]],
) -> list[tuple[str, str, Share | None]]:
    """The trend as (first month, last month, share): a run of suppressed months becomes one
    entry (share None); a shown month is its own entry."""
    out: list[tuple[str, str, Share | None]] = []
    for month, share in trend:
        if share.suppressed:
            if out and out[-1][2] is None:
                out[-1] = (out[-1][0], month, None)
            else:
                out.append((month, month, None))
        else:
            out.append((month, month, share))
    return out


def top_categories(categories: Mapping[str, int]) -> tuple[list[str], int]:
    """The most reported categories (all of those tied at the top) and their count."""
    if not categories:
        return [], 0
    most = max(categories.values())
    return [c for c, n in categories.items() if n == most], most


def month_weeks(start: dt.date, end: dt.date) -> tuple[str, ...]:
    """The ISO weeks ('2026-v44') with at least one day in [start, end)."""
    weeks: list[str] = []
    day = start
    while day < end:
        week = iso_week(day)
        if week not in weeks:
            weeks.append(week)
        day += dt.timedelta(days=1)
    return tuple(weeks)


def map_cells(places: Iterable[tuple[float, float]]) -> tuple[MapCell, ...]:
    """The places counted in grid cells, shown at the cells' centres; a count under FEW is
    None. The most cases first, then north to south, west to east."""
    counts = Counter(cell_key(lat, lon) for lat, lon in places)
    cells = [MapCell(*centre(key), few(count)) for key, count in counts.items()]
    return tuple(sorted(cells, key=lambda c: (-(c.count or 0), -c.lat, c.lon)))


def hour_blocks(hours: Sequence[int]) -> tuple[tuple[int, int, int], ...]:
    """(first hour, end hour, cases) per HOUR_BLOCKS from 24 counts per local hour."""
    return tuple((a, b, sum(hours[a:b])) for a, b in HOUR_BLOCKS)


def few(count: int) -> int | None:
    """A count shown only from FEW up (None: "färre än 3")."""
    return count if count >= FEW else None
