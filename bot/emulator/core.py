"""The core of the emulated world: its state, users and chats, watchers, and the update queue
the bot reads (long polls, webhook delivery, in-process hand-over) with the waits tests use."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable

from bot.emulator.models import (
    DEFAULT_EXCLUDED,
    JSON,
    Chat,
    Event,
    FloodPolicy,
    Measurements,
    RateWindow,
    StoredFile,
    User,
)


class WorldCore:
    """State, users and chats, watchers and the update queue of one emulated bot (`World`)."""

    def __init__(self, bot_id: int = 7000000001, bot_username: str = "trygghetsboten_bot") -> None:
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_name = "Trygghetsboten"
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, StoredFile] = {}
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.webhook_url = ""
        self.webhook_secret = ""
        #: The update types the bot last asked for (`allowed_updates` of getUpdates or
        #: setWebhook; Telegram keeps the last list given). None: Telegram's default, every
        #: type but DEFAULT_EXCLUDED. An update of a type not asked for is never queued.
        self.allowed_updates: list[str] | None = None
        #: Blocking and unblocking the bot (block, unblock, or writing to it while blocked)
        #: and removing it from or adding it to a group push a `my_chat_member` update, as
        #: Telegram does when the bot asked for that type. Off by default: tests that block
        #: someone expect the bot to learn of it only from a 403.
        self.member_updates = False
        self.flood = FloodPolicy()
        self.flood_errors = 0
        self.latency = 0.0  # seconds added to every Bot API request (a network round trip)
        #: Telegram refuses an answerCallbackQuery that comes too late (after about 15 s) with
        #: 400 "query is too old and response timeout expired or query ID is invalid", and the
        #: resident's spinner keeps turning. None (the default): never too late; a number:
        #: answers arriving more than that many seconds after the press are refused (0: all).
        self.callback_answer_timeout: float | None = None
        self._pressed_at: dict[str, float] = {}  # query id -> when the user pressed
        self._press_updates: dict[str, JSON] = {}  # query id -> its update (deliver_again)
        self.measurements = Measurements()
        self._asked: dict[int, float] = {}  # chat -> when its user's unanswered action came
        self._chat_waiters: dict[int, set[asyncio.Future[None]]] = {}  # wait_actions, per chat
        self.callback_answers: dict[str, JSON | None] = {}
        self.method_calls: list[str] = []
        self.bot_actions = 0  # messages sent, edited, deleted and callbacks answered
        self.actions_in: dict[int, int] = {}  # the same, per chat
        self._query_chat: dict[str, int] = {}
        self._holds: dict[int, asyncio.Event] = {}  # chat -> released (see `hold`)
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._waiters: set[asyncio.Future[None]] = set()
        self._delivered_up_to = 0  # the highest update_id the bot has confirmed
        self._last_activity = time.monotonic()
        self._watchers: list[Callable[[Event], None]] = []
        #: The flood windows' clock (seconds, monotonic): a test may set its own to move
        #: time on without sleeping.
        self.clock: Callable[[], float] = time.monotonic
        self._global_window = RateWindow(1.0)
        self._chat_windows: dict[int, RateWindow] = {}
        self._group_windows: dict[int, RateWindow] = {}  # strict: a group's 20 a minute
        #: Set by an in-process bot (bot.emulator.inprocess): waits until the bot has done
        #: everything the updates so far asked of it. `settle` and `wait_idle` then use it
        #: instead of watching for a quiet window, so "the bot is done" is exact.
        self.drainer: Callable[[], Awaitable[None]] | None = None

    # ------------------------------------------------------------------ users and chats
    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        language_code: str | None = "sv",
        username: str | None = None,
        last_name: str | None = None,
    ) -> User:
        """The user with this id, created (with a private chat) on first use."""
        if user_id not in self.users:
            self.users[user_id] = User(
                id=user_id,
                first_name=first_name or f"Användare {user_id}",
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
            self.chats[user_id] = Chat(id=user_id, type="private", title="")
        return self.users[user_id]

    def group(self, chat_id: int, title: str, members: list[int] = ()) -> Chat:  # type: ignore[assignment]
        """A group chat (negative id) with the bot in it."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = self.chats.setdefault(chat_id, Chat(id=chat_id, type="group", title=title))
        chat.members.update(members)
        return chat

    def chat(self, chat_id: int) -> Chat:
        try:
            return self.chats[chat_id]
        except KeyError:
            raise KeyError(f"no chat {chat_id} in the emulator") from None

    # ------------------------------------------------------------------ watchers
    def watch(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback` for every bot action; returns a function that stops watching."""
        self._watchers.append(callback)
        return lambda: self._watchers.remove(callback)

    def _publish(self, event: Event) -> None:
        self.bot_actions += 1
        self.actions_in[event.chat_id] = self.actions_in.get(event.chat_id, 0) + 1
        now = self._last_activity = time.monotonic()
        if event.kind in ("sent", "edited"):
            self._measure(event, now)
        for waiter in self._chat_waiters.pop(event.chat_id, ()):
            if not waiter.done():
                waiter.set_result(None)
        for watcher in list(self._watchers):
            watcher(event)
        self._notify()

    def _measure(self, event: Event, now: float) -> None:
        measured = self.measurements
        if event.kind == "sent":
            measured.sent += 1
            if measured.first_sent is None:
                measured.first_sent = now
            measured.last_sent = now
        else:
            measured.edited += 1
        asked = self._asked.pop(event.chat_id, None)
        if asked is not None:
            measured.reply_seconds.append(now - asked)

    def hold(self, chat_id: int) -> None:
        """The network to one chat stalls (over HTTP): from now on the bot's requests for it
        wait unanswered and are never applied, until `release`. A test freezes each of many
        chats at its own moment this way, then kills the bot once for all of them."""
        self._holds.setdefault(chat_id, asyncio.Event())

    def release(self) -> None:
        """End every hold; the requests that waited fail unapplied (their bot is gone)."""
        for gate in self._holds.values():
            gate.set()
        self._holds.clear()

    async def stalled(self, chat_id: object, query_id: object) -> bool:
        """For a request to `chat_id` (or about a callback query): wait while its chat is
        held; True if it was, and the request must then not be applied."""
        chat = self._query_chat.get(query_id) if isinstance(query_id, str) else chat_id
        if isinstance(chat, str) and chat.lstrip("-").isdigit():
            chat = int(chat)  # as sent: a string ("@channel" is never held)
        gate = self._holds.get(chat) if isinstance(chat, int) else None
        if gate is None:
            return False
        await gate.wait()
        return True

    def reset_measurements(self) -> None:
        """Start counting afresh (flood errors included)."""
        self.measurements = Measurements()
        self.flood_errors = 0
        self._asked.clear()

    def changed(self) -> None:
        """Wake whoever waits on the world (long polls, webhook delivery, tests)."""
        self._notify()

    async def next_update(self, timeout: float) -> JSON | None:
        """The oldest undelivered update, waiting up to `timeout` for one (webhook pump)."""
        if not self._updates:
            await self._wait_change(timeout)
        return self._updates[0] if self._updates else None

    def delivered(self, update_id: int) -> None:
        """A webhook delivery succeeded: drop the update."""
        self._updates = [u for u in self._updates if u["update_id"] != update_id]
        self.mark_fetched([{"update_id": update_id}])

    def _notify(self) -> None:
        waiters, self._waiters = self._waiters, set()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    async def _wait_change(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for any change; False on time-out."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(waiter)
        return True

    # ------------------------------------------------------------------ updates
    def wants(self, kind: str) -> bool:
        """Whether the bot asked for updates of this type (`allowed_updates`)."""
        if self.allowed_updates is None:
            return kind not in DEFAULT_EXCLUDED
        return kind in self.allowed_updates

    def _push_update(self, payload: JSON) -> JSON:
        update = {"update_id": next(self._update_ids), **payload}
        if not all(self.wants(kind) for kind in payload):
            return update  # Telegram does not keep what the bot did not ask for
        self._updates.append(update)
        self._last_activity = time.monotonic()
        self._notify()
        return update

    async def take_updates(self, offset: int, limit: int, timeout: float) -> list[JSON]:
        """getUpdates: confirm everything below `offset`, then long-poll for new updates."""
        if offset:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            self._delivered_up_to = max(self._delivered_up_to, offset - 1)
        deadline = time.monotonic() + timeout
        while not self._updates:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await self._wait_change(remaining):
                break
        batch = self._updates[:limit]
        self.mark_fetched(batch)
        return batch

    @property
    def pending_updates(self) -> int:
        return len(self._updates)

    def take_pending(self) -> list[JSON]:
        """Hand every queued update to an in-process bot at once (as one getUpdates would)."""
        taken, self._updates = self._updates, []
        self.mark_fetched(taken)
        return taken

    async def wait_idle(self, quiet: float = 0.3, timeout: float = 10.0) -> bool:
        """Wait until the bot has fetched every update and has been quiet for `quiet` seconds
        (an in-process bot: until it is done, exactly)."""
        if self.drainer is not None:
            await asyncio.wait_for(self.drainer(), timeout)
            return True
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            fetched = all(u["update_id"] <= self._delivered_up_to for u in self._updates)
            if fetched and time.monotonic() - self._last_activity >= quiet:
                return True
            await asyncio.sleep(0.05)
        return False

    async def wait_actions(self, chat_id: int, after: int, timeout: float) -> int:
        """Wait up to `timeout` seconds until the bot has acted in a chat more than `after`
        times; returns its count of actions there. Only that chat's actions wake the waiter,
        so a thousand waiting users cost nothing while the bot works elsewhere."""
        deadline = time.monotonic() + timeout
        while self.actions_in.get(chat_id, 0) <= after:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._chat_waiters.setdefault(chat_id, set()).add(waiter)
            try:
                await asyncio.wait_for(waiter, remaining)
            except TimeoutError:
                break
            finally:
                waiting = self._chat_waiters.get(chat_id)
                if waiting is not None:
                    waiting.discard(waiter)
                    if not waiting:
                        del self._chat_waiters[chat_id]
        return self.actions_in.get(chat_id, 0)

    async def settle(
        self, chat_id: int, since: int, quiet: float = 0.15, timeout: float = 15.0
    ) -> bool:
        """After a user's action: wait for the bot to act in that chat (more than `since`
        actions there), then for it to be idle. A bot still thinking does not look idle.
        An in-process bot: until it is done with everything asked of it so far, exactly."""
        if self.drainer is not None:
            await asyncio.wait_for(self.drainer(), timeout)
            return self.actions_in.get(chat_id, 0) > since
        deadline = time.monotonic() + timeout
        while self.actions_in.get(chat_id, 0) <= since:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            await self._wait_change(remaining)
        return await self.wait_idle(quiet=quiet, timeout=max(0.1, deadline - time.monotonic()))

    def mark_fetched(self, updates: list[JSON]) -> None:
        """Remember that the bot has received these updates (for `wait_idle`)."""
        if updates:
            self._delivered_up_to = max(self._delivered_up_to, updates[-1]["update_id"])
            self._last_activity = time.monotonic()
