"""Promise progress: statuses set a default progress; a promise is the weighted mean."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.domain.deployment import CommitmentStatus, Promise

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
    return promise.end < today


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
    start = dt.date.fromisoformat(f"{month}-01")
    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return start, end


def ordered(states: Sequence[CommitmentState]) -> dict[str, CommitmentState]:
    return {s.commitment_id: s for s in states}
