"""Issue 17, item 4: writes waiting for the lock at once share one transaction and one COMMIT.

`Database.write` runs the writes queued behind the lock in order, each in its own savepoint,
and commits them together: a write that fails is rolled back alone, a COMMIT that fails fails
every caller of its group, and nobody hears "done" before the COMMIT.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from storage.database import Database
from storage.submit import touch_resident
from tests.crash import until

T = TypeVar("T")


def draft(n: int) -> Draft:
    return Draft(
        kind="report",
        station="jakobsberg",
        category="belysning",
        place_text="Vid trappan upp till perrong 1",
        times=["evening"],
        description=f"Lampan vid trappan är trasig ({n}).",
    )


@pytest.fixture
async def services(
    tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[Services]:
    settings = Settings(_env_file=None, database=tmp_path / "t.sqlite3", media_dir=tmp_path / "m")
    services = await Services.open(settings, deployment, catalogs)
    try:
        yield services
    finally:
        await services.close()


async def traced(db: Database) -> list[str]:
    statements: list[str] = []
    await db.conn.set_trace_callback(statements.append)
    return statements


async def queued_together(db: Database, writes: list[Awaitable[T]]) -> list[T | BaseException]:
    """Start `writes` while the write lock is held, so that they queue up behind it at once."""
    async with db.transaction():
        tasks = [asyncio.ensure_future(w) for w in writes]
        await until(lambda: len(db._queued) == len(writes))  # all queued, none run yet
    return list(await asyncio.gather(*tasks, return_exceptions=True))


async def test_concurrent_submits_share_commits_and_every_case_is_stored_once(
    services: Services,
) -> None:
    statements = await traced(services.db)
    drafts = [draft(n) for n in range(40)]
    sent = await asyncio.gather(
        *(services.submit_draft(3000 + n, d, "sv") for n, d in enumerate(drafts))
    )
    assert all(s.new for s in sent)
    commits = statements.count("COMMIT")
    assert 2 <= commits < len(drafts), statements  # 40 submits, at most 32 in a group
    rows = await services.db.fetchall("SELECT draft_id, reference FROM cases")
    assert sorted(r["draft_id"] for r in rows) == sorted(d.id for d in drafts)
    assert {r["reference"] for r in rows} == {s.case.reference for s in sent}
    # Every case's card went out once per officer: no group lost or repeated its outbox rows.
    per_case = await services.db.fetchall(
        "SELECT case_id, COUNT(*) AS n FROM outbox GROUP BY case_id"
    )
    assert len(per_case) == len(drafts)
    assert len({r["n"] for r in per_case}) == 1


async def test_a_draft_sent_twice_in_one_group_is_one_case(services: Services) -> None:
    statements = await traced(services.db)
    twice = draft(1)
    first, second = await queued_together(
        services.db,
        [services.submit_draft(4001, twice, "sv"), services.submit_draft(4001, twice, "sv")],
    )
    assert not isinstance(first, BaseException)
    assert not isinstance(second, BaseException)
    assert statements.count("COMMIT") == 2  # the lock holder's, then the group's one
    assert first.new
    assert not second.new
    assert second.case.reference == first.case.reference
    rows = await services.db.fetchall("SELECT id FROM cases WHERE draft_id = ?", (twice.id,))
    assert len(rows) == 1


def resident(chat_id: int) -> Callable[[sqlite3.Connection], int]:
    return lambda conn: touch_resident(conn, chat_id, "sv", None).id


def resident_then(chat_id: int, error: Exception) -> Callable[[sqlite3.Connection], int]:
    def work(conn: sqlite3.Connection) -> int:
        touch_resident(conn, chat_id, "sv", None)
        raise error

    return work


async def chat_ids(db: Database) -> list[int]:
    return [r["chat_id"] for r in await db.fetchall("SELECT chat_id FROM residents ORDER BY 1")]


async def test_a_failing_write_is_rolled_back_alone_and_its_caller_gets_the_error(
    services: Services,
) -> None:
    db = services.db
    statements = await traced(db)
    broken = ValueError("this one fails")
    outcomes = await queued_together(
        db,
        [
            db.write(resident(5001)),
            db.write(resident_then(5002, broken)),
            db.write(resident(5003)),
        ],
    )
    assert isinstance(outcomes[0], int)
    assert isinstance(outcomes[2], int)
    assert outcomes[1] is broken
    assert statements.count("COMMIT") == 2  # the lock holder's, then the group's one
    assert statements.count("ROLLBACK TO grouped") == 1
    assert await chat_ids(db) == [5001, 5003]


def orphan_actor(conn: sqlite3.Connection) -> None:
    """A row whose foreign key fails only at COMMIT (the check deferred until then)."""
    conn.execute("PRAGMA defer_foreign_keys = ON")
    conn.execute("INSERT INTO case_actors (case_id, actor_id) VALUES (999999, 'polisen')")


async def test_a_failed_commit_fails_every_caller_of_the_group_and_stores_nothing(
    services: Services,
) -> None:
    db = services.db
    outcomes = await queued_together(
        db, [db.write(resident(6001)), db.write(orphan_actor), db.write(resident(6003))]
    )
    assert all(isinstance(o, sqlite3.IntegrityError) for o in outcomes), outcomes
    assert await chat_ids(db) == []
    # The failed transaction was rolled back: the next writes, alone and grouped, work.
    with pytest.raises(sqlite3.IntegrityError):
        await db.write(orphan_actor)
    assert isinstance(await db.write(resident(6004)), int)
    await queued_together(db, [db.write(resident(6005)), db.write(resident(6006))])
    assert await chat_ids(db) == [6004, 6005, 6006]


async def test_a_caller_cancelled_while_queued_is_not_written(services: Services) -> None:
    db = services.db
    async with db.transaction():
        kept = asyncio.ensure_future(db.write(resident(7001)))
        dropped = asyncio.ensure_future(db.write(resident(7002)))
        await until(lambda: len(db._queued) == 2)
        dropped.cancel()
        with pytest.raises(asyncio.CancelledError):
            await dropped
    await kept
    assert await chat_ids(db) == [7001]


async def rolling_back_trigger(db: Database) -> None:
    """A resident with chat id 0 makes SQLite end the whole transaction itself, as it does on
    a full disk or an I/O error (RAISE(ROLLBACK) in a trigger)."""
    await db.write(
        lambda conn: conn.execute(
            "CREATE TRIGGER ends_it BEFORE INSERT ON residents WHEN NEW.chat_id = 0 "
            "BEGIN SELECT RAISE(ROLLBACK, 'the disk is full'); END"
        )
    )


async def test_when_sqlite_rolled_back_itself_the_caller_gets_the_real_error(
    services: Services,
) -> None:
    """ROLLBACK after SQLite ended the transaction raises 'no transaction is active', which
    hid the real error from the caller of write() and of transaction()."""
    db = services.db
    await rolling_back_trigger(db)
    with pytest.raises(sqlite3.IntegrityError, match="the disk is full"):
        await db.write(resident(0))
    with pytest.raises(sqlite3.IntegrityError, match="the disk is full"):
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO residents (chat_id, created_at, last_seen_at) VALUES (0, '', '')"
            )
    # Nothing is left half done: the next writes, alone, grouped and in transaction(), work.
    assert isinstance(await db.write(resident(8001)), int)
    await queued_together(db, [db.write(resident(8002)), db.write(resident(8003))])
    async with db.transaction():
        pass
    assert await chat_ids(db) == [8001, 8002, 8003]
    assert not db.conn.in_transaction
