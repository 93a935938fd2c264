"""Promises: progress (statuses set a default progress; a promise is the weighted mean), a
station's promises in time (the current one, the next, the ended ones), and their texts in
the resident's language."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.deployment import Commitment, CommitmentStatus, Promise
from bot.domain.trygghet import first_day

DEFAULT_PROGRESS = {
    CommitmentStatus.PLANNED: 0,
    CommitmentStatus.IN_PROGRESS: 50,
    CommitmentStatus.DONE: 100,
    CommitmentStatus.DELAYED: 25,
    CommitmentStatus.NOT_DONE: 0,
}


@dataclass(frozen=True)
class CommitmentState:
    commitment_id: str
    status: CommitmentStatus
    progress: int


def promise_progress(promise: Promise, states: Mapping[str, CommitmentState]) -> int:
    """Weighted mean of the commitments' progress, in whole percent."""
    total = sum(c.weight for c in promise.commitments)
    if not total:
        return 0
    done = sum(
        c.weight * (states[c.id].progress if c.id in states else DEFAULT_PROGRESS[c.status])
        for c in promise.commitments
    )
    return round(done / total)


def bar(percent: int, width: int = 10) -> str:
    """A simple text bar: ▰▰▰▱▱▱▱▱▱▱ for 30%."""
    filled = max(0, min(width, round(percent * width / 100)))
    return "▰" * filled + "▱" * (width - filled)


def has_ended(promise: Promise, today: dt.date) -> bool:
    """The promise's last day (`end`, in the deployment's time zone) is before `today`."""
    return promise.end < today


def today_in(zone: dt.tzinfo) -> dt.date:
    """Today where the deployment is (its time zone): a promise runs to the end of its last
    day there."""
    return dt.datetime.now(zone).date()


def has_started(promise: Promise, today: dt.date) -> bool:
    return promise.start <= today


@dataclass(frozen=True)
class Timeline:
    """A station's promises on a day: the one running (at most one: check-config refuses
    overlapping promises), the next to start, and the ended ones, the latest first."""

    current: Promise | None
    upcoming: Promise | None
    ended: tuple[Promise, ...]

    @property
    def shown(self) -> tuple[Promise, ...]:
        """What a resident sees: the current promise; without one, the next (as upcoming)
        and the latest ended one (as ended)."""
        if self.current is not None:
            return (self.current,)
        return tuple(p for p in (self.upcoming, self.latest_ended) if p is not None)

    @property
    def announced(self) -> Promise | None:
        """The next promise, named in one line under the current one (without a current
        promise, the next is shown in full: `shown`)."""
        return self.upcoming if self.current is not None else None

    @property
    def latest_ended(self) -> Promise | None:
        return self.ended[0] if self.ended else None

    @property
    def in_force(self) -> Promise | None:
        """The promise that speaks for the station now: the current, else the next, else the
        latest ended one (whose parties the privacy notice names, for example)."""
        return self.current or self.upcoming or self.latest_ended

    @property
    def history(self) -> tuple[Promise, ...]:
        """Ended promises not shown in full (`shown`), the latest first."""
        return tuple(p for p in self.ended if p not in self.shown)


def timeline(promises: Sequence[Promise], today: dt.date) -> Timeline:
    """The station's `promises` (the file's order) as they stand on `today`."""
    running = [p for p in promises if has_started(p, today) and not has_ended(p, today)]
    future = sorted((p for p in promises if not has_started(p, today)), key=lambda p: p.start)
    ended = sorted((p for p in promises if has_ended(p, today)), key=lambda p: p.end)
    return Timeline(
        running[0] if running else None, future[0] if future else None, tuple(reversed(ended))
    )


def running_during(promises: Sequence[Promise], start: dt.date, end: dt.date) -> list[Promise]:
    """The promises whose period shares a day with [start, end) (a month's digest)."""
    return [p for p in promises if p.start < end and start <= p.end]


def linkable(
    promises: Sequence[Promise], station_id: str, today: dt.date
) -> list[tuple[int, Commitment]]:
    """The commitments at a station that a case may be linked to, each with its position
    among all the station's commitments (a link button carries it, and it stays when a
    promise ends): those of promises that have not ended, which still get updates."""
    at_station = [
        (promise, c)
        for promise in promises
        for c in promise.commitments
        if not c.stations or station_id in c.stations
    ]
    return [(n, c) for n, (p, c) in enumerate(at_station) if not has_ended(p, today)]


@dataclass(frozen=True)
class Localized:
    """A promise's text in the language asked for, or its Swedish (`swedish`: marked as
    such, so a resident reading another language sees why)."""

    text: str
    swedish: bool


def _localized(source: str, lang: str, translations: Mapping[str, str | None]) -> Localized:
    if lang == "sv":
        return Localized(source, swedish=False)
    translated = translations.get(lang)
    return Localized(translated, False) if translated else Localized(source, swedish=True)


def title_in(promise: Promise, lang: str) -> Localized:
    return _localized(promise.title, lang, {k: v.title for k, v in promise.translations.items()})


def summary_in(promise: Promise, lang: str) -> Localized:
    return _localized(
        promise.summary, lang, {k: v.summary for k, v in promise.translations.items()}
    )


def commitment_in(commitment: Commitment, lang: str) -> Localized:
    return _localized(commitment.text, lang, commitment.translations)


def outcome(promise: Promise, states: Mapping[str, CommitmentState]) -> tuple[int, int]:
    """(commitments done, commitments in all) for an ended promise."""
    done = sum(
        1
        for c in promise.commitments
        if (states[c.id].status if c.id in states else c.status) is CommitmentStatus.DONE
    )
    return done, len(promise.commitments)


def small_count(count: int) -> int | None:
    """Digest counts under 3 are not shown exactly (None), so no one can be singled out."""
    return count if count >= 3 else None


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    """'2026-10' -> (2026-10-01, 2026-11-01)."""
    start = first_day(month)
    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


def ordered(states: Sequence[CommitmentState]) -> dict[str, CommitmentState]:
    return {s.commitment_id: s for s in states}
