"""Backup while the bot writes, restore refused while it runs, and every committed report back."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.emulator import Emulator
from bot.settings import Settings
from storage import backup as backups_module
from storage.backup import DatabaseInUse, DatabaseLock, in_use
from tests.bots import build, in_process, serving
from tests.processes import bot_env, cli_here

Cli = Callable[..., Awaitable[tuple[int, str, str]]]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Cli:
    """`cli(database, *args)`: `trygghetsbot ARGS` on this database, as an operator types it,
    run in this process (in a thread of its own, so the bot in this loop goes on writing)."""

    async def run(database: Path, *args: str) -> tuple[int, str, str]:
        env = bot_env(None, database.parent, TRYGG_DATABASE=str(database))
        return await cli_here(env, *args, capsys=capsys, monkeypatch=monkeypatch)

    return run


def newest(directory: Path, pattern: str) -> Path:
    return max(directory.glob(pattern))


def references(database: Path) -> set[str]:
    with contextlib.closing(sqlite3.connect(database)) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        return {row[0] for row in conn.execute("SELECT reference FROM cases")}


async def test_backup_under_write_load_restores_every_committed_report(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    tmp_path: Path,
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = bot_settings.database
    committed: list[str] = []
    stop, fifty = asyncio.Event(), asyncio.Event()
    wrote = threading.Event()  # a report was committed (the backup runs in another thread)
    copy = backups_module._copy

    def copy_under_load(source: Path, target: Path) -> None:
        """The backup command copies once the bot has committed a report since it began:
        the load overlaps the backup, exactly (in-process, the command is quick)."""
        wrote.clear()
        assert wrote.wait(30), "the bot wrote nothing while the backup ran"
        copy(source, target)

    app = build(emulator, bot_settings, deployment)
    async with serving(app, emulator):
        services = app.bot_data.services
        assert services is not None

        async def write() -> None:
            chat = 5000
            while not stop.is_set():
                chat += 1  # one resident per report: the hourly limit is per resident
                draft = Draft(
                    kind="report",
                    station="jakobsberg" if chat % 2 else "floda",
                    category="belysning",
                    place_text="Perrongen",
                    times=["night"],
                    description=f"Rapport nummer {chat}",
                )
                case = await services.submit(chat, draft, "sv")
                committed.append(case.reference)
                wrote.set()
                if len(committed) == 50:
                    fifty.set()
                await asyncio.sleep(0)

        writer = asyncio.create_task(write())
        try:
            await asyncio.wait_for(fifty.wait(), 30)
            before = list(committed)
            code, out, err = await cli(database, "backup", str(tmp_path / "no" / "b.sqlite3"))
            assert code == 2  # the directory does not exist: one line, no traceback
            assert "Traceback" not in err
            code, out, err = await cli(database, "backup", f"{tmp_path / 'backups'}/")
            assert code == 2
            assert "does not exist: create it first" in err
            backups = tmp_path / "backups"
            await asyncio.to_thread(backups.mkdir)
            with monkeypatch.context() as patch:
                patch.setattr(backups_module, "_copy", copy_under_load)
                code, out, err = await cli(database, "backup", str(backups))
            during = len(committed)
            assert code == 0, err
            assert "integrity ok" in out
            backup_file = newest(backups, "trygghetsbot-*.sqlite3")
            # Writing went on while the backup ran; a restore now is refused.
            code, out, err = await cli(database, "restore", str(backup_file))
            assert code == 2
            assert "in use by another running bot" in err
            assert "Traceback" not in err
        finally:
            stop.set()
            await writer
    assert during > len(before)  # the load really overlapped the backup
    in_backup = references(backup_file)
    assert set(before) <= in_backup  # every report committed before the backup began
    assert len(in_backup) < len(committed)  # and it is a snapshot, not the live file

    code, out, err = await cli(database, "restore", str(backup_file))
    assert code == 0, err
    assert f"{len(in_backup)} cases" in out
    assert references(database) == in_backup
    kept = newest(tmp_path, "bot.sqlite3.before-restore-*")
    assert references(kept) == set(committed)  # the replaced database is kept, complete
    # The bot starts on the restored database.
    async with in_process(emulator, bot_settings, deployment) as again:
        assert again.bot_data.services is not None
        assert await again.bot_data.services.cases.get(before[0]) is not None


async def test_restore_refuses_bad_backups(tmp_path: Path, cli: Cli) -> None:
    database = tmp_path / "live.sqlite3"
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    code, _, err = await cli(database, "restore", str(junk))
    assert code == 2
    assert "not a usable Trygghetsboten database" in err
    newer = tmp_path / "newer.sqlite3"
    with contextlib.closing(sqlite3.connect(newer)) as conn:
        conn.execute("PRAGMA user_version = 999")
    code, _, err = await cli(database, "restore", str(newer))
    assert code == 2
    assert "newer than this program" in err
    code, _, err = await cli(database, "restore", str(tmp_path / "missing.sqlite3"))
    assert code == 2
    assert "does not exist" in err
    assert not database.exists()  # nothing was touched


def test_one_bot_per_database(tmp_path: Path) -> None:
    database = tmp_path / "x.sqlite3"
    lock = DatabaseLock.acquire(database)
    try:
        assert in_use(database)
        with pytest.raises(DatabaseInUse, match="stop it first"):
            DatabaseLock.acquire(database)
    finally:
        lock.release()
    assert not in_use(database)
