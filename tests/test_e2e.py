"""End to end: the bot as its own process, talking HTTP to the emulator in this process; the
command line's refusals of bad input (in this process but one, as its own process)."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.emulator import Emulator
from storage.migrations import LATEST_VERSION
from tests.processes import bot_env, cli_here, count, read_until, start_bot, stop

ALICE = 1001
REACH = "The Bot API cannot be reached"


@pytest.fixture
async def bot_process(
    emulator: Emulator, tmp_path: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    process = await start_bot(bot_env(emulator, tmp_path))
    yield process
    if process.returncode is None:
        process.kill()
        await process.wait()


async def test_bot_process_answers_start_and_stops_cleanly(
    emulator: Emulator, bot_process: asyncio.subprocess.Process, tmp_path: Path
) -> None:
    world = emulator.world
    world.user(ALICE, "Alice")
    world.send_text(ALICE, "/start")
    reply = await world.wait_for(ALICE, timeout=30)
    assert "Ring 112" in reply.text
    assert "getupdates" in world.method_calls
    assert "setmycommands" in world.method_calls
    # The database was created and migrated at start-up.
    with sqlite3.connect(tmp_path / "e2e.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
    code, logs = await stop(bot_process)
    assert code == 0
    assert "Trygghetsboten started" in logs
    assert emulator.token not in logs
    assert emulator.token.split(":")[1] not in logs


async def test_bot_retries_until_the_api_is_reachable(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a free port with nothing listening on it yet
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    emulator = Emulator(port=port)
    process = await start_bot(bot_env(emulator, tmp_path))
    seen: list[str] = []
    try:
        # The bot has failed to connect and says it will try again.
        await read_until(process, seen, lambda lines: count(lines, REACH) > 0)
        assert process.returncode is None
        async with emulator:
            emulator.world.user(ALICE)
            emulator.world.send_text(ALICE, "/start")
            reply = await emulator.world.wait_for(ALICE, timeout=30)
            assert "112" in reply.text
            code, rest = await stop(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    logs = "\n".join([*seen, rest])
    assert code == 0
    assert emulator.token not in logs


def run_cli(*args: str, env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_shell_without_token_gets_the_welcome(tmp_path: Path) -> None:
    env = bot_env(None, tmp_path)
    result = run_cli("start", env=env, stdin="/start\n/as kommunpolis\n/who\n")
    assert result.returncode == 0, result.stderr
    assert "local shell" in result.stderr
    out = result.stdout
    assert "Invånare (du)> /start" in out
    assert "Ring 112" in out
    assert "Du är nu: Kommunpolis Järfälla (platshållare)" in out
    assert "Traceback" not in out + result.stderr


@pytest.mark.parametrize(
    ("extra", "expected", "process"),
    [
        ({}, "TRYGG_BOT_TOKEN is not set", False),
        (
            {"TRYGG_BOT_TOKEN": "1:x", "TRYGG_LOG_LEVEL": "LOUD"},
            "Invalid setting TRYGG_LOG_LEVEL",
            False,
        ),
        (
            {"TRYGG_BOT_TOKEN": "1:x", "TRYGG_DEPLOYMENT": "/nonexistent.toml"},
            "deployment file not found",
            False,
        ),
        (
            # As its own process: the furthest into start-up, where anything Python prints
            # as the process ends would show too.
            {"TRYGG_BOT_TOKEN": "1:x", "TRYGG_DATABASE": "/"},
            "Cannot open database /: it is a directory",
            True,
        ),
    ],
)
async def test_run_bad_input_is_one_line(
    tmp_path: Path,
    extra: dict[str, str],
    expected: str,
    process: bool,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = bot_env(None, tmp_path, **{"TRYGG_LOG_LEVEL": "INFO", **extra})
    if process:
        result = await asyncio.to_thread(run_cli, "run", env=env)
        code, stderr = result.returncode, result.stderr
    else:
        code, _, stderr = await cli_here(env, "run", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert expected in lines[0]
    assert "Traceback" not in stderr


#: What a newcomer types in the shell from /start to a report's summary.
TO_SUMMARY = [
    "/start",
    "1",  # 📍 Rapportera en otrygg plats
    "jakan",  # typed station alias
    "1",  # ✅ Jag godkänner
    "1",  # Belysning
    "Vid trappan upp till perrong 1",
    "1",  # Fortsätt
    "3",  # Kväll
    "7",  # Klar
    "Lamporna vid trappan har varit trasiga länge.",
]


def test_shell_report_and_idea_as_a_new_user(tmp_path: Path) -> None:
    """The lines a newcomer would type, reading only what the shell shows."""
    lines = [
        *TO_SUMMARY,
        "1",  # Hoppa över (photos)
        "1",  # Skicka
        "/ide",
        "floda",
        "Fler bänkar och bättre ljus vid busshållplatsen.",
        "1",  # Hoppa över (photo)
        "1",  # Skicka
    ]
    result = run_cli("shell", env=bot_env(None, tmp_path), stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Tack! Din rapport har nummer JKB-0001." in out
    assert "Tack för din idé! Den har nummer FLO-0001" in out
    assert "Traceback" not in out + result.stderr
