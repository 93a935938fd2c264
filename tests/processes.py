"""The bot and its command line as their own processes, as an operator runs them."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message as EmailMessage
from pathlib import Path
from typing import Any

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


async def cli(env: dict[str, str], *args: str, seconds: float = 60) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` to the end: exit code, stdout, stderr."""
    process = await start_bot(env, *args)
    out, err = await asyncio.wait_for(process.communicate(), seconds)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


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
