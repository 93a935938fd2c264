"""Storage: reports committed per second by the intake path, against bare aiosqlite inserts.

Ours is `Services.submit`, what the bot calls when a resident presses Send: the resident is
touched, the hourly limit checked, the case numbered and inserted, routed (actors, event,
cards to staff into the outbox) in one transaction, the home station remembered. Residents
submit concurrently, as they do in the bot, and so share commits: the submits waiting for the
write lock at the same moment run in one transaction, each in its own savepoint, with one
COMMIT for the group (storage.database.Database.write; up to 32 a group). The reference does
not: it inserts the same case rows into the same database file, one row and one commit at a
time, through a bare aiosqlite connection with the same settings (WAL, synchronous=NORMAL).
So the ratio compares our submits, commits shared, against single-row commits.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import tempfile
import time
from pathlib import Path

import aiosqlite

from bench.report import Figure, at_least, growth
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings

log = logging.getLogger(__name__)

NAME = "storage"
CONCURRENT_RESIDENTS = 32
DESCRIPTION = "Lamporna vid trappan upp till perrongen har varit trasiga i flera veckor."


def drafts(deployment: Deployment, count: int) -> list[Draft]:
    rng = random.Random(11)
    stations = [s.id for s in deployment.stations]
    categories = [c.id for c in deployment.categories]
    return [
        Draft(
            kind="report",
            station=rng.choice(stations),
            category=rng.choice(categories),
            place_text="Vid trappan upp till perrong 1",
            times=["evening", "night"],
            description=f"{DESCRIPTION} ({n})",
        )
        for n in range(count)
    ]


async def through_intake(settings: Settings, deployment: Deployment, count: int) -> float:
    """Seconds for `count` residents to submit one report each, a few dozen at a time."""
    services = await Services.open(
        settings, deployment, Catalogs.load(deployment.deployment.languages)
    )
    try:
        queue = list(enumerate(drafts(deployment, count)))
        queue.reverse()

        async def resident_desk() -> None:
            while queue:
                n, draft = queue.pop()
                await services.submit(20_000_000 + n, draft, "sv")

        started = time.perf_counter()
        await asyncio.gather(*(resident_desk() for _ in range(CONCURRENT_RESIDENTS)))
        seconds = time.perf_counter() - started
        stored = await services.db.fetchone("SELECT COUNT(*) FROM cases")
        if stored is None or stored[0] != count:
            raise RuntimeError(f"{count} reports submitted, {stored and stored[0]} stored")
        return seconds
    finally:
        await services.close()


async def bare_inserts(database: Path, count: int) -> float:
    """Seconds for `count` single-row transactions into the same file's cases table."""
    rows = [
        (
            f"BNC-{n:06d}",
            "bare-inserts",  # a station of its own: its numbers do not meet the intake's
            n,
            "report",
            "belysning",
            "Vid trappan upp till perrong 1",
            json.dumps(["evening", "night"]),
            f"{DESCRIPTION} ({n})",
            "sv",
            "2026-01-01T00:00:00+00:00",
        )
        for n in range(1, count + 1)
    ]
    async with aiosqlite.connect(database, isolation_level=None) as conn:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
        await conn.execute("PRAGMA foreign_keys = ON")
        started = time.perf_counter()
        for row in rows:
            await conn.execute("BEGIN IMMEDIATE")
            await conn.execute(
                "INSERT INTO cases (reference, station_id, number, kind, category, place_text,"
                " times, description, language, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
            await conn.execute("COMMIT")
        return time.perf_counter() - started


async def measure(deployment: Deployment, count: int) -> tuple[Figure, float]:
    with tempfile.TemporaryDirectory(prefix="bench-storage-") as tmp:
        settings = Settings(
            _env_file=None, database=Path(tmp) / "bench.sqlite3", media_dir=Path(tmp) / "media"
        )
        ours = await through_intake(settings, deployment, count)
        reference = await bare_inserts(settings.database, count)
    log.info("storage: %d reports in %.2f s; bare inserts %.2f s", count, ours, reference)
    figure = at_least(
        NAME,
        "reports committed/s vs bare inserts",
        f"{count:,} reports",
        f"{count / ours:,.0f}/s",
        f"{count / reference:,.0f}/s",
        reference / ours,
        0.5,
    )
    return figure, ours / count


async def _run(deployment: Deployment, quick: bool) -> list[Figure]:
    small, large = (100, 1_000) if quick else (1_000, 10_000)
    first, cost_small = await measure(deployment, small)
    second, cost_large = await measure(deployment, large)
    return [
        first,
        second,
        growth(NAME, "time per report", f"{small:,}", f"{large:,}", cost_large / cost_small),
    ]


def run(deployment: Deployment, quick: bool) -> list[Figure]:
    return asyncio.run(_run(deployment, quick))
