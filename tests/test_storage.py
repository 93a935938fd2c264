"""Storage against a real SQLite file: migrations, upgrades, refusal, repositories."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain.models import CaseKind, NewCase
from storage import Database, SchemaTooNewError, StorageError
from storage.cases import CaseRepository
from storage.migrations import LATEST_VERSION, MIGRATIONS
from storage.residents import ResidentRepository


async def test_fresh_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "sub" / "db.sqlite3") as db:
        assert await db.user_version() == LATEST_VERSION
        mode = await db.fetchone("PRAGMA journal_mode")
        assert mode is not None
        assert mode[0] == "wal"
        fks = await db.fetchone("PRAGMA foreign_keys")
        assert fks is not None
        assert fks[0] == 1
    assert (tmp_path / "sub" / "db.sqlite3").is_file()


async def test_upgrade_from_older_schema_keeps_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    # A database as version 1 of the schema left it, with data in it.
    async with await Database.open(path, migrations=MIGRATIONS[:1]) as old:
        assert await old.user_version() == 1
        residents = ResidentRepository(old)
        alice = await residents.touch(4242, "fi")
        await residents.add_consent(alice.id, "2026-01-01")
    # The current version opens it, upgrades in place, and the rows are still there.
    async with await Database.open(path) as db:
        assert await db.user_version() == LATEST_VERSION
        residents = ResidentRepository(db)
        again = await residents.get_by_chat(4242)
        assert again is not None
        assert again.id == alice.id
        assert again.language == "fi"
        assert await residents.has_consent(again.id, "2026-01-01")
        case = await CaseRepository(db).create(
            NewCase("jakobsberg", "JKB", CaseKind.IDEA, "Mer ljus", resident_id=again.id)
        )
        assert case.reference == "JKB-0001"


async def test_newer_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "new.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 3}")
    with pytest.raises(SchemaTooNewError) as info:
        await Database.open(path)
    message = str(info.value)
    assert f"schema version {LATEST_VERSION + 3}" in message
    assert "upgrade Trygghetsboten" in message
    assert "\n" not in message


async def test_failed_migration_rolls_back_completely(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    broken = (*MIGRATIONS[:1], "CREATE TABLE half (x INTEGER); INSERT INTO nowhere VALUES (1);")
    with pytest.raises(StorageError, match="migration to schema version 2 failed"):
        await Database.open(path, migrations=broken)
    async with await Database.open(path, migrate=False) as db:
        assert await db.user_version() == 1
        tables = {r[0] for r in await db.fetchall("SELECT name FROM sqlite_master")}
        assert "half" not in tables
        assert "residents" in tables


async def test_migrate_is_idempotent(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite3") as db:
        assert await db.migrate() == []


async def test_case_numbers_are_per_station_and_unique_under_concurrency(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite3") as db:
        cases = CaseRepository(db)

        async def report(station: str, code: str) -> str:
            case = await cases.create(
                NewCase(station, code, CaseKind.REPORT, "Trasig lampa", category="belysning")
            )
            return case.reference

        refs = await asyncio.gather(
            *[report("jakobsberg", "JKB") for _ in range(20)],
            *[report("floda", "FLO") for _ in range(5)],
        )
        assert sorted(r for r in refs if r.startswith("JKB")) == [
            f"JKB-{n:04d}" for n in range(1, 21)
        ]
        assert sorted(r for r in refs if r.startswith("FLO")) == [
            f"FLO-{n:04d}" for n in range(1, 6)
        ]
        assert await cases.count() == 25


async def test_case_round_trip_with_photos(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite3") as db:
        created = await CaseRepository(db).create(
            NewCase(
                "floda",
                "FLO",
                CaseKind.REPORT,
                "Mörkt i tunneln",
                category="passage",
                place_text="Gångtunneln under spåren",
                lat=57.81,
                lon=12.36,
                times=("evening", "night"),
                language="sv",
                photos=("a.jpg", "b.jpg"),
            )
        )
        loaded = await CaseRepository(db).get("FLO-0001")
        assert loaded == created
        assert loaded.times == ("evening", "night")
        assert loaded.photos == ("a.jpg", "b.jpg")


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite3") as db:
        with pytest.raises(sqlite3.IntegrityError):
            async with db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO residents (chat_id, created_at, last_seen_at) VALUES (1, 'x', 'x')"
                )
                await conn.execute(
                    "INSERT INTO residents (chat_id, created_at, last_seen_at) VALUES (1, 'x', 'x')"
                )
        assert await ResidentRepository(db).get_by_chat(1) is None


async def test_bad_paths_give_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="is a directory"):
        await Database.open(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="Cannot create the folder"):
        await Database.open(blocker / "db.sqlite3")
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StorageError, match="Cannot use database"):
        await Database.open(garbage)


def test_migrate_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cli.sqlite3"
    assert main(["migrate", "--database", str(path)]) == 0
    assert f"migrated to schema version {LATEST_VERSION}" in capsys.readouterr().out
    assert main(["migrate", "--database", str(path)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert main(["migrate", "--database", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"Cannot open database {tmp_path}: it is a directory"


async def test_rows_queued_while_the_clock_was_ahead_do_not_stall_their_chat(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wall clock steps back two hours (NTP fixes it): what was queued meanwhile goes out."""
    import datetime as dt

    from storage import outbox as outbox_module
    from storage.outbox import OutboxItem, OutboxRepository

    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)

    def text(chat: str, body: str) -> OutboxItem:
        return OutboxItem("telegram", chat, "text", {"text": body})

    async with await Database.open(tmp_path / "db.sqlite3") as db:
        outbox = OutboxRepository(db)
        with monkeypatch.context() as clock:
            clock.setattr(outbox_module, "utcnow", lambda: ahead.isoformat(timespec="seconds"))
            await outbox.add([text("42", "first"), text("43", "retried")])
        # A failed try while the clock was ahead put 43's row off by a few seconds from then.
        async with db.transaction() as conn:
            await conn.execute(
                "UPDATE outbox SET attempts = 1, next_attempt_at = ? WHERE recipient = '43'",
                ((ahead + dt.timedelta(seconds=4)).isoformat(timespec="seconds"),),
            )
        await outbox.add([text("42", "second")])  # the clock is right again
        due = await outbox.due()
        assert [(r.recipient, r.payload["text"]) for r in due] == [
            ("42", "first"),
            ("43", "retried"),
            ("42", "second"),
        ]
        # A retry the clock did not disturb still waits for its time.
        await outbox.retry(due[2].id, 30, "timed out", 8)
        assert [r.payload["text"] for r in await outbox.due()] == ["first", "retried"]


async def test_a_linked_reporter_without_a_language_is_told_in_their_cases(tmp_path: Path) -> None:
    """A resident who never set a language (a home station set before reporting) hears an
    update on a commitment their case is linked to in the language they wrote the case in."""
    from storage.promises import PromiseRepository

    async with await Database.open(tmp_path / "db.sqlite3") as db:
        silent = await ResidentRepository(db).touch(4242)
        assert silent.language is None
        chosen = await ResidentRepository(db).touch(4343, "ar")
        for resident, language in ((silent, "fi"), (chosen, "fi")):
            await CaseRepository(db).create(
                NewCase(
                    "floda",
                    "FLO",
                    CaseKind.IDEA,
                    "Lisää valoa tunneliin",
                    language=language,
                    resident_id=resident.id,
                )
            )
        async with db.transaction() as conn:
            await conn.execute("UPDATE cases SET commitment_id = 'c1'")
        reporters = await PromiseRepository(db).linked_reporters("c1")
    assert sorted(reporters) == [(4242, "fi", "FLO-0001"), (4343, "ar", "FLO-0002")]
