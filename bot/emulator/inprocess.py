"""The in-process test level: the real Application and the emulator in one event loop, no
sockets. Modelled on python-telegram-bot's own `OfflineRequest` (tests/auxil/networking.py)
and httpx's `MockTransport`: the bot's Bot API requests go straight to the emulator's method
table, with the same parameter decoding, checks and error envelopes as over HTTP.

`InProcessBot` feeds the world's updates to the Application's update queue as Telegram's
getUpdates would, and `drain()` waits until the bot is done, exactly: every update processed,
every task it started finished, and the outbox with nothing due. The world's `settle` and
`wait_idle` use it, so a test needs no quiet window and no sleep.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from typing import Any
from urllib.parse import unquote, urlsplit

from telegram import Update
from telegram.request import BaseRequest, RequestData

from bot.app import shut_down, stop
from bot.context import BotApp
from bot.emulator.api import METHODS, Params
from bot.emulator.state import JSON, ApiError, World

log = logging.getLogger(__name__)

#: One-off jobs (an album's collecting window) due within this many seconds are part of
#: "done": drain waits for them to run. Repeating jobs (escalation, digest) are not.
JOB_HORIZON = 5.0


def _envelope(status: int, body: JSON) -> tuple[int, bytes]:
    return status, json.dumps(body).encode("utf-8")


class EmulatorRequest(BaseRequest):
    """A `BaseRequest` that hands each call to the emulator's method table in this loop."""

    def __init__(self, world: World, token: str) -> None:
        self.world = world
        self.token = token

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        path = unquote(urlsplit(url).path)
        if path.startswith("/file/bot"):
            return self._file(path.removeprefix("/file/bot"))
        token, _, name = path.removeprefix("/bot").partition("/")
        if token != self.token:
            return _envelope(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        name = name.lower()
        handler = METHODS.get(name)
        if handler is None:
            return _envelope(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        world = self.world
        world.method_calls.append(name)
        if world.latency:
            await asyncio.sleep(world.latency)
        values: dict[str, Any] = dict(request_data.json_parameters) if request_data else {}
        files: dict[str, tuple[str, bytes, str]] = {}
        if request_data is not None and request_data.contains_files:
            for part, (filename, content, mime) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                files[part] = (filename or part, data, mime)
        try:
            result = await handler(world, Params(values, files))
        except ApiError as exc:
            body: JSON = {"ok": False, "error_code": exc.status, "description": exc.description}
            if exc.parameters:
                body["parameters"] = exc.parameters
            return _envelope(exc.status, body)
        except Exception:
            log.exception("Emulator failed in %s", name)
            return _envelope(500, {"ok": False, "error_code": 500, "description": "Internal"})
        return _envelope(200, {"ok": True, "result": result})

    def _file(self, rest: str) -> tuple[int, bytes]:
        token, _, file_path = rest.partition("/")
        if token != self.token:
            return 401, b"Unauthorized"
        for stored in self.world.files.values():
            if stored.path == file_path:
                return 200, stored.content
        return 404, b"Not Found"


class InProcessBot:
    """Run a built Application (bot.app.build_application with an EmulatorRequest) in this
    loop: the same start-up and shut-down sequence as `bot.app.running`, updates fed from
    the world instead of long polling.

        async with InProcessBot(app, world) as bot:
            world.send_text(1, "/start")
            await bot.drain()
    """

    def __init__(
        self, app: BotApp, world: World, allowed_updates: list[str], *, wait_outbox: bool = True
    ) -> None:
        self.app = app
        self.world = world
        self.allowed_updates = allowed_updates
        #: False: "done" does not wait for the outbox (a test stopping the bot in the middle
        #: of a delivery waits for the message it wants with `world.wait_for`).
        self.wait_outbox = wait_outbox
        self._pump: asyncio.Task[None] | None = None
        self._stopping = False

    async def __aenter__(self) -> InProcessBot:
        app = self.app
        # What `start_polling(allowed_updates=...)` tells Telegram at its first getUpdates.
        self.world.allowed_updates = list(self.allowed_updates)
        await app.initialize()
        try:
            if app.post_init:
                await app.post_init(app)
            await app.start()
        except BaseException:
            await shut_down(app)
            raise
        self._pump = asyncio.get_running_loop().create_task(self._feed(), name="in-process feed")
        self.world.drainer = self.drain
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.world.drainer = None
        if self._pump is not None:
            # A flag, not cancel(): Python 3.11's wait_for can swallow a cancellation that
            # comes as its own time-out fires, and the feed would run on for ever.
            self._stopping = True
            self.world.changed()
            await self._pump
        try:
            await stop(self.app)
        finally:
            await shut_down(self.app)

    def _move(self) -> int:
        """Every queued update to the Application, as one getUpdates batch (no await inside:
        the feed and `drain` never hand the same update twice)."""
        taken = self.world.take_pending()
        for raw in taken:
            self.app.update_queue.put_nowait(Update.de_json(raw, self.app.bot))
        return len(taken)

    async def _feed(self) -> None:
        """Updates that come while nobody drains (a test waiting with `wait_for`)."""
        while not self._stopping:
            if await self.world.next_update(1.0) is not None and not self._stopping:
                self._move()

    def _tasks(self) -> list[asyncio.Task[Any]]:
        """The tasks the Application started (concurrent updates, non-blocking handlers) and
        the job callbacks running now (APScheduler runs each in a task of its own)."""
        # PTB keeps them in a private set (what Application.stop awaits); no public view.
        tasks: set[asyncio.Task[Any]] = self.app._Application__create_task_tasks  # type: ignore[attr-defined]
        running = [task for task in tasks if not task.done()]
        for task in asyncio.all_tasks():
            coro = task.get_coro()
            if not task.done() and getattr(coro, "__name__", "") == "run_coroutine_job":
                running.append(task)
        return running

    def _jobs_due_soon(self) -> float | None:
        """Seconds until the next one-off job due within JOB_HORIZON, if any."""
        queue = self.app.job_queue
        if queue is None:
            return None
        now = dt.datetime.now(dt.UTC)
        soonest: float | None = None
        for job in queue.jobs():
            trigger = getattr(job.job, "trigger", None)
            if job.next_t is None or type(trigger).__name__ != "DateTrigger":
                continue
            seconds = (job.next_t - now).total_seconds()
            if seconds <= JOB_HORIZON and (soonest is None or seconds < soonest):
                soonest = max(seconds, 0.0)
        return soonest

    async def drain(self) -> None:
        """Wait until the bot is done with everything asked of it so far."""
        app = self.app
        while True:
            moved = self._move()
            await app.update_queue.join()
            tasks = self._tasks()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
                continue
            worker = app.bot_data.worker if self.wait_outbox else None
            if worker is not None:
                await worker.idle()
            job_in = self._jobs_due_soon()
            if job_in is not None:
                await asyncio.sleep(job_in + 0.01)  # the job's own time; then look again
                continue
            # Callbacks scheduled by what just finished get one turn to add work.
            await asyncio.sleep(0)
            if (
                not moved
                and not self.world.pending_updates
                and app.update_queue.empty()
                and not self._tasks()
                and (worker is None or worker.is_idle)
            ):
                return
