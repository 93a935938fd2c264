"""The bot and its command line as their own processes, as an operator runs them; and
`cli_here`, the same command line in this process for tests that only read its output."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.emulator import Emulator


def bot_env(emulator: Emulator | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a bot process: no TRYGG_ variable of the developer's, the emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
    env["TRYGG_DATABASE"] = str(tmp_path / "e2e.sqlite3")
    env["TRYGG_LOG_LEVEL"] = "DEBUG"  # the most verbose logs must still hide the token
    if emulator is not None:
        env["TRYGG_BOT_TOKEN"] = emulator.token
        env["TRYGG_API_BASE_URL"] = emulator.base_url
        env["TRYGG_API_FILE_URL"] = emulator.file_url
    env.update(extra)
    return env


async def start_bot(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *(args or ("run",)),
        env=env,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def stop(process: asyncio.subprocess.Process) -> tuple[int, str]:
    """SIGTERM, then collect the exit code and everything logged."""
    if process.returncode is None:
        process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode is not None
    return process.returncode, err.decode()


async def read_until(
    process: asyncio.subprocess.Process,
    seen: list[str],
    done: Callable[[list[str]], bool],
    seconds: float = 30,
) -> None:
    """Collect the process's stderr lines into `seen` until `done(seen)`."""
    assert process.stderr is not None

    async def read() -> None:
        while not done(seen):
            line = await process.stderr.readline()  # type: ignore[union-attr]
            assert line, f"the bot ended early; it logged: {seen[-5:]}"
            seen.append(line.decode().rstrip("\n"))

    try:
        await asyncio.wait_for(read(), seconds)
    except TimeoutError:
        raise AssertionError(f"timed out; the bot logged: {seen[-8:]}") from None


def count(lines: list[str], text: str) -> int:
    """How many of these lines contain `text`."""
    return sum(text in line for line in lines)


async def cli(env: dict[str, str], *args: str, seconds: float = 60) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` to the end: exit code, stdout, stderr."""
    process = await start_bot(env, *args)
    out, err = await asyncio.wait_for(process.communicate(), seconds)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def cli_here(
    env: dict[str, str],
    *args: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    seconds: float = 60,
) -> tuple[int, str, str]:
    """`cli` without a process: `bot.cli.main(ARGS)` with env's TRYGG_ variables (and only
    those) set, in a thread of its own (a command runs its own event loop; this one stays free
    to serve the emulator). Exit code, stdout, stderr (logs included: the command configures
    logging onto the captured stderr; conftest's no_logging_left_configured takes it off)."""
    for name in list(os.environ):
        if name.startswith("TRYGG_") and name not in env:
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith("TRYGG_"):
            monkeypatch.setenv(name, value)
    capsys.readouterr()  # what came before is not this command's
    code = await asyncio.wait_for(asyncio.to_thread(main, list(args)), seconds)
    out, err = capsys.readouterr()
    return code, out, err


def free_port() -> int:
    """A port with nothing listening on it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


@dataclass
class Sink:
    """An SMTP server's handler (aiosmtpd) that keeps every message it is sent."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"
