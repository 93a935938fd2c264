"""Answers seeded straight into the database, as the pulse stores them: under the month's
keyed pseudonym of each resident's chat id (no chat id, no time)."""

from __future__ import annotations

from bot.domain.pulse import pseudonym
from storage.pulse import PulseRepository


async def seed(
    repo: PulseRepository, month: str, station: str, scores: list[int], base: int
) -> None:
    """`scores` at `station` in `month`, each from another resident (chat ids base, base + 1,
    ...)."""
    key = await repo.key(month)
    for n, score in enumerate(scores):
        assert await repo.answer(pseudonym(key, base + n), station, month, score)
