"""The Bot API emulator in a process of its own, as Telegram is, driven over its control API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from pydantic import SecretStr

from bot.settings import Settings

JSON = dict[str, Any]
ROOT = Path(__file__).resolve().parent.parent


class RemoteEmulator:
    """`async with RemoteEmulator() as emu:` runs `trygghetsbot emulator` on a free port."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._http: aiohttp.ClientSession | None = None
        self.values: dict[str, str] = {}

    async def __aenter__(self) -> RemoteEmulator:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
        self._process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "emulator",
            "--port",
            "0",
            "--log-level",
            "WARNING",
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        assert self._process.stdout is not None
        while True:
            line = (await asyncio.wait_for(self._process.stdout.readline(), 30)).decode()
            if not line:
                raise RuntimeError("the emulator exited before it was ready")
            if line.startswith("Control API: "):
                self.values["CONTROL"] = line.split(": ", 1)[1].strip().removesuffix("/control/")
                break
            name, _, value = line.strip().partition("=")
            self.values[name] = value
        self._http = aiohttp.ClientSession(
            base_url=self.values["CONTROL"],
            timeout=aiohttp.ClientTimeout(total=120),
            # no limit: every resident holds a long poll open while it waits for the bot
            connector=aiohttp.TCPConnector(limit=0),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.close()
        if self._process is not None:
            await _stop(self._process)

    @asynccontextmanager
    async def bot(self, mode: str, workdir: Path) -> AsyncIterator[None]:
        """A bot (see bench.botproc) polling this emulator from a process of its own."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
        env |= {
            "TRYGG_BOT_TOKEN": self.token,
            "TRYGG_API_BASE_URL": self.base_url,
            "TRYGG_API_FILE_URL": self.values["TRYGG_API_FILE_URL"],
            "TRYGG_DATABASE": str(workdir / "bench.sqlite3"),
            "TRYGG_MEDIA_DIR": str(workdir / "media"),
            "TRYGG_RATE_PER_SECOND": "1000",  # not Telegram's 30/s: that would be all we see
            "TRYGG_RATE_PER_CHAT": "1000",  # nor its 1 a second per chat (the echo bot has none)
            "TRYGG_LOG_LEVEL": "ERROR",
            "PTB_TIMEDELTA": "true",
            # bench is not installed: the child finds it where this process did
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.botproc",
            mode,
            stdout=asyncio.subprocess.PIPE,
            env=env,
            cwd=workdir,
        )
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), 60)
            if line.strip() != b"ready":
                raise RuntimeError(f"the {mode} bot did not start (exit {process.returncode})")
            yield
        finally:
            await _stop(process)

    def settings(self, workdir: Path, **overrides: Any) -> Settings:
        """Bot settings pointing at this emulator, with the database in `workdir`."""
        values = self.values
        return bench_settings(
            values["TRYGG_BOT_TOKEN"],
            values["TRYGG_API_BASE_URL"],
            values["TRYGG_API_FILE_URL"],
            workdir,
            **overrides,
        )

    @property
    def token(self) -> str:
        return self.values["TRYGG_BOT_TOKEN"]

    @property
    def base_url(self) -> str:
        return self.values["TRYGG_API_BASE_URL"]

    async def get(self, path: str, **params: str | int | float) -> Any:
        assert self._http is not None
        async with self._http.get(path, params={k: str(v) for k, v in params.items()}) as r:
            if r.status != 200:
                raise RuntimeError(f"GET {path}: {r.status} {await r.text()}")
            return await r.json()

    async def post(self, path: str, body: JSON) -> Any:
        assert self._http is not None
        async with self._http.post(path, json=body) as r:
            if r.status != 200:
                raise RuntimeError(f"POST {path}: {r.status} {await r.text()}")
            return await r.json()

    # ------------------------------------------------------------------ conveniences
    async def flood(
        self, enabled: bool, global_per_second: int = 30, *, strict: bool = False
    ) -> None:
        """Flood control on or off; `strict`: Telegram's limits with no burst allowance (a
        sliding second, paid broadcasts at 1,000/s; see bot.emulator.models.FloodPolicy)."""
        await self.post(
            "/control/flood",
            {
                "enabled": enabled,
                "strict": strict,
                "global_per_second": global_per_second,
                "per_chat_per_second": 1,
            },
        )

    async def latency(self, seconds: float) -> None:
        await self.post("/control/latency", {"seconds": seconds})

    async def start_users(self, ids: list[int]) -> None:
        for start in range(0, len(ids), 10_000):
            await self.post("/control/users", {"ids": ids[start : start + 10_000], "started": True})

    async def stats(self) -> JSON:
        result: JSON = await self.get("/control/stats")
        return result

    async def reset(self) -> None:
        await self.post("/control/stats/reset", {})

    async def received(self) -> dict[int, int]:
        """Messages in each chat (users created by `start_users` write none themselves)."""
        chats = await self.get("/control/chats")
        return {int(c["id"]): int(c["messages"]) for c in chats}


async def _stop(process: asyncio.subprocess.Process) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ten seconds."""
    if process.returncode is not None:
        return
    process.terminate()
    try:
        await asyncio.wait_for(process.wait(), 10)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()


def bench_settings(
    token: str, base_url: str, file_url: str, workdir: Path, **overrides: Any
) -> Settings:
    """Bot settings for a benchmark: this emulator, the database and media in `workdir`."""
    values: dict[str, Any] = {
        "bot_token": SecretStr(token),
        "api_base_url": base_url,
        "api_file_url": file_url,
        "database": workdir / "bench.sqlite3",
        "media_dir": workdir / "media",
        "log_level": "WARNING",
        "check_staff_chats": False,  # no staff member opened the bot: a warning for each
        **overrides,
    }
    return Settings(_env_file=None, **values)
