"""The emulated Telegram world: users, chats, messages, files and the update queue.

The bot side (`bot/emulator/api.py`) and the control side (tests, the shell, the HTTP control
API) both act on one `World`. Everything is in memory and belongs to one event loop.
"""

from __future__ import annotations

import asyncio
import io
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

JSON = dict[str, Any]

#: Update types Telegram sends only to a bot that names them in `allowed_updates`.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class ApiError(Exception):
    """A Bot API error response: HTTP status, Telegram's description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = "sv"
    started: bool = False  # a bot may only message users who have written to it
    blocked: bool = False  # the user blocked the bot
    deactivated: bool = False

    def to_api(self) -> JSON:
        data: JSON = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            data["last_name"] = self.last_name
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str
    members: set[int] = field(default_factory=set)
    messages: list[Message] = field(default_factory=list)
    reply_keyboard: JSON | None = None
    bot_removed: bool = False
    migrated_to: int | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def to_api(self, users: dict[int, User]) -> JSON:
        if self.type == "private":
            user = users[self.id]
            data: JSON = {"id": self.id, "type": "private", "first_name": user.first_name}
            if user.username:
                data["username"] = user.username
            return data
        return {"id": self.id, "type": self.type, "title": self.title}

    def next_id(self) -> int:
        return next(self._ids)

    def find(self, message_id: int) -> Message | None:
        for message in self.messages:
            if message.id == message_id and not message.deleted:
                return message
        return None


@dataclass
class Message:
    """One message in a chat, in Bot API JSON form (`data`), with emulator bookkeeping."""

    data: JSON
    outgoing: bool  # sent by the bot
    deleted: bool = False
    edits: int = 0

    @property
    def id(self) -> int:
        return int(self.data["message_id"])

    @property
    def chat_id(self) -> int:
        return int(self.data["chat"]["id"])

    @property
    def text(self) -> str:
        return str(self.data.get("text") or self.data.get("caption") or "")

    @property
    def inline_buttons(self) -> list[JSON]:
        markup = self.data.get("reply_markup") or {}
        return [button for row in markup.get("inline_keyboard", []) for button in row]

    @property
    def kind(self) -> str:
        for kind in ("text", "photo", "document", "location", "venue", "sticker"):
            if kind in self.data:
                return kind
        return "other"


@dataclass(frozen=True)
class Event:
    """Something the bot did, for watchers (the shell, tests): sent, edited, deleted, answer."""

    kind: str
    chat_id: int
    message: Message | None = None
    answer: JSON | None = None


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    path: str
    content: bytes
    mime_type: str | None = None


@dataclass
class FloodPolicy:
    """Telegram's flood limits; off by default so flows run at full speed.

    A group takes `group_per_minute` messages in any `group_window` seconds (Telegram: 20 in
    60 s); a test may shorten the window to see a group's 429 and its end in a few seconds.
    """

    enabled: bool = False
    per_chat_per_second: int = 1
    global_per_second: int = 30
    group_per_minute: int = 20
    group_window: float = 60.0


@dataclass
class Measurements:
    """What a benchmark reads back: the bot's sends over time, and how fast it answered users.

    A reply time runs from a user's message or button press to the bot's next message or edit
    in that chat (time.monotonic(), the same clock in every process on the machine).
    """

    sent: int = 0
    first_sent: float | None = None
    last_sent: float | None = None
    reply_seconds: list[float] = field(default_factory=list)


class RateWindow:
    """Sliding-window counter: how many events in the last `seconds`."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.times: deque[float] = deque()

    def retry_after(self, now: float, limit: int) -> int:
        """0 if one more event is allowed now, else whole seconds to wait."""
        while self.times and now - self.times[0] >= self.seconds:
            self.times.popleft()
        if len(self.times) < limit:
            return 0
        return max(1, math.ceil(self.seconds - (now - self.times[0])))

    def add(self, now: float) -> None:
        self.times.append(now)


class World:
    """Users, chats and the update queue of one emulated bot."""

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
        self._updates: list[JSON] = []
        self._update_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._query_ids = itertools.count(1)
        self._waiters: set[asyncio.Future[None]] = set()
        self._delivered_up_to = 0  # the highest update_id the bot has confirmed
        self._last_activity = time.monotonic()
        self._watchers: list[Callable[[Event], None]] = []
        self._global_window = RateWindow(1.0)
        self._chat_windows: dict[int, RateWindow] = {}
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
        asked = self._asked.pop(event.chat_id, None)
        if asked is not None:
            measured.reply_seconds.append(now - asked)

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
        if self.actions_in.get(chat_id, 0) <= after:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._chat_waiters.setdefault(chat_id, set()).add(waiter)
            try:
                await asyncio.wait_for(waiter, timeout)
            except TimeoutError:
                pass
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

    # ------------------------------------------------------------------ control side: users act
    def _user_message(self, user_id: int, chat_id: int | None, body: JSON) -> Message:
        user = self.user(user_id)
        chat = self.chat(chat_id if chat_id is not None else user_id)
        if chat.type == "private":
            user.started = True
            if user.blocked:  # writing to a bot unblocks it, as in Telegram
                self.unblock(user_id)
        data: JSON = {
            "message_id": chat.next_id(),
            "from": user.to_api(),
            "chat": chat.to_api(self.users),
            "date": int(time.time()),
            **body,
        }
        message = Message(data=data, outgoing=False)
        chat.messages.append(message)
        self._asked.setdefault(chat.id, time.monotonic())
        self._push_update({"message": data})
        return message

    def business_message(self, user_id: int, text: str) -> bool:
        """`user_id` writes `text` to a Telegram Business account connected to the bot: a
        `business_message` update (the chat is theirs with the account's owner, not with the
        bot). Queued only if the bot asked for the type; True when it was."""
        user = self.user(user_id)
        data: JSON = {
            "message_id": 1,
            "business_connection_id": "business-connection",
            "from": user.to_api(),
            "chat": {"id": user_id, "type": "private", "first_name": user.first_name},
            "date": int(time.time()),
            "text": text,
        }
        update = self._push_update({"business_message": data})
        return update in self._updates

    def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> Message:
        """The user sends a text (a leading /command gets a bot_command entity)."""
        body: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._user_message(user_id, chat_id, body)

    def edit_text(
        self, user_id: int, message_id: int, new_text: str, *, chat_id: int | None = None
    ) -> Message:
        """The user edits a text message they sent: as Telegram, the message keeps its
        message_id, gets an edit_date and arrives again as an `edited_message` update."""
        chat = self.chat(chat_id if chat_id is not None else user_id)
        message = chat.find(message_id)
        if message is None or message.outgoing or message.data["from"]["id"] != user_id:
            raise KeyError(f"user {user_id} sent no message {message_id} in chat {chat.id}")
        if "text" not in message.data:
            raise ValueError(f"message {message_id} has no text to edit")
        message.data["text"] = new_text
        message.data["edit_date"] = int(time.time())
        message.data.pop("entities", None)
        if new_text.startswith("/"):
            command = new_text.split()[0]
            message.data["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command)}
            ]
        message.edits += 1
        self._asked.setdefault(chat.id, time.monotonic())
        self._push_update({"edited_message": dict(message.data)})
        return message

    def send_location(self, user_id: int, lat: float, lon: float) -> Message:
        return self._user_message(user_id, None, {"location": {"latitude": lat, "longitude": lon}})

    def send_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> Message:
        """The user sends a photo (JPEG or PNG bytes); Telegram-style sizes are produced."""
        body: JSON = {"photo": self.photo_sizes(content)}
        if caption:
            body["caption"] = caption
        if media_group_id:
            body["media_group_id"] = media_group_id
        return self._user_message(user_id, None, body)

    def send_album(self, user_id: int, photos: list[bytes]) -> list[Message]:
        """Several photos as one album: separate messages sharing a media_group_id."""
        group = f"album{next(self._file_ids)}"
        return [self.send_photo(user_id, p, media_group_id=group) for p in photos]

    def send_document(self, user_id: int, content: bytes, file_name: str, mime: str) -> Message:
        stored = self.store_file(content, f"documents/{file_name}", mime)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return self._user_message(user_id, None, {"document": document})

    def send_other(self, user_id: int, kind: str) -> Message:
        """The user sends something that is not text: sticker, voice, video, contact, file."""
        number = next(self._file_ids)
        ids = {"file_id": f"X{number:06d}", "file_unique_id": f"XU{number:06d}"}
        bodies: dict[str, JSON] = {
            "sticker": {
                "sticker": {
                    **ids,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "voice": {"voice": {**ids, "duration": 3, "mime_type": "audio/ogg"}},
            "video": {"video": {**ids, "width": 640, "height": 360, "duration": 5}},
            "contact": {"contact": {"phone_number": "+46700000000", "first_name": "Kontakt"}},
            "document": {
                "document": {**ids, "file_name": "notes.pdf", "mime_type": "application/pdf"}
            },
            "dice": {"dice": {"emoji": "🎲", "value": 3}},
        }
        if kind not in bodies:
            raise ValueError(f"unknown kind {kind!r}; one of {sorted(bodies)}")
        return self._user_message(user_id, None, bodies[kind])

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> str:
        """The user presses an inline button (by callback data or label); returns the query id.

        With `forge=True` any data is sent, as a malicious client could.
        """
        user = self.user(user_id)
        chat = self.chat(chat_id if chat_id is not None else user_id)
        message = chat.find(message_id)
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat.id}")
        if not forge:
            buttons = [
                b
                for b in message.inline_buttons
                if "callback_data" in b
                and (data is None or b["callback_data"] == data)
                and (text is None or b["text"] == text)
            ]
            if not buttons:
                raise KeyError(f"message {message_id} has no button {data or text!r}")
            data = buttons[0]["callback_data"]
        query_id = str(next(self._query_ids))
        self.callback_answers[query_id] = None
        self._pressed_at[query_id] = time.monotonic()
        self._query_chat[query_id] = chat.id
        self._asked.setdefault(chat.id, time.monotonic())
        self._press_updates[query_id] = self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_api(),
                    "message": message.data,
                    "chat_instance": str(chat.id),
                    "data": data,
                }
            }
        )
        return query_id

    def deliver_again(self, query_id: str) -> None:
        """Deliver a press's update once more, same update_id and query id, as Telegram does
        with every update past the last confirmed offset when a bot dies before confirming.

        `getUpdates` models that by itself for a bot process that is killed; this is for a test
        that stops its bot in-process (which confirms what it fetched on the way out).
        """
        update = self._press_updates[query_id]
        self._updates = [u for u in self._updates if u["update_id"] != update["update_id"]]
        self._updates.append(update)
        self._updates.sort(key=lambda u: int(u["update_id"]))
        self._notify()

    def deliver_message_again(self, chat_id: int, message_id: int) -> None:
        """Deliver a user's message once more (same message_id and content), as Telegram does
        when a bot dies before confirming it; like `deliver_again`, for a test that stops its
        bot in-process. The update_id is a new one (the bot must not rely on it)."""
        message = self.chat(chat_id).find(message_id)
        if message is None or message.outgoing:
            raise KeyError(f"no user message {message_id} in chat {chat_id}")
        self._push_update({"message": dict(message.data)})

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to them is 403 "bot was blocked by the user"."""
        user = self.user(user_id)
        if not user.blocked:
            user.blocked = True
            self._member_update(user_id, self.chat(user_id), "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot (Telegram's "Restart"; writing to it does the same)."""
        user = self.user(user_id)
        if user.blocked:
            user.blocked = False
            self._member_update(user_id, self.chat(user_id), "kicked", "member")

    def remove_bot(self, chat_id: int, by: int, status: str = "left") -> None:
        """A member removes the bot from a group ("left"; "kicked" if also banned)."""
        chat = self.chat(chat_id)
        if not chat.bot_removed:
            chat.bot_removed = True
            self._member_update(by, chat, "member", status)

    def add_bot(self, chat_id: int, by: int) -> None:
        """A member adds the bot to a group again."""
        chat = self.chat(chat_id)
        if chat.bot_removed:
            chat.bot_removed = False
            self._member_update(by, chat, "left", "member")

    def _member_update(self, user_id: int, chat: Chat, old: str, new: str) -> None:
        """A `my_chat_member` update (ChatMemberUpdated), if `member_updates` is on."""
        if not self.member_updates:
            return
        bot: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

        def member(status: str) -> JSON:
            banned = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": bot, **banned}

        self._push_update(
            {
                "my_chat_member": {
                    "chat": chat.to_api(self.users),
                    "from": self.user(user_id).to_api(),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def deactivate(self, user_id: int) -> None:
        self.user(user_id).deactivated = True

    # ------------------------------------------------------------------ control side: reading
    def received(self, chat_id: int) -> list[Message]:
        """What the bot sent to a chat and did not delete, oldest first, edits applied."""
        return [m for m in self.chat(chat_id).messages if m.outgoing and not m.deleted]

    def last(self, chat_id: int) -> Message:
        messages = self.received(chat_id)
        if not messages:
            raise LookupError(f"chat {chat_id} has received nothing")
        return messages[-1]

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[Message], bool] = lambda m: True,
        *,
        after: int = 0,
        timeout: float = 10.0,
    ) -> Message:
        """Wait for a bot message in `chat_id` (position >= `after`) matching `predicate`."""

        deadline = time.monotonic() + timeout
        while True:
            for message in self.received(chat_id)[after:]:
                if predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await self._wait_change(remaining):
                got = [m.text[:80] for m in self.received(chat_id)[after:]]
                raise AssertionError(f"chat {chat_id}: no matching message; got {got}")

    # ------------------------------------------------------------------ files
    def store_file(self, content: bytes, path: str, mime: str | None = None) -> StoredFile:
        number = next(self._file_ids)
        stored = StoredFile(
            file_id=f"F{number:06d}-{len(content)}",
            unique_id=f"U{number:06d}",
            path=path.replace("{n}", str(number)),
            content=content,
            mime_type=mime,
        )
        self.files[stored.file_id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        try:
            return self.files[file_id]
        except KeyError:
            raise bad_request("invalid file_id") from None

    def photo_sizes(self, content: bytes) -> list[JSON]:
        """Telegram stores a photo at several sizes; we keep a thumbnail and the original."""
        try:
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                thumb = image.convert("RGB")
                thumb.thumbnail((90, 90))
                buffer = io.BytesIO()
                thumb.save(buffer, "JPEG")
        except (OSError, Image.DecompressionBombError) as exc:
            raise bad_request("IMAGE_PROCESS_FAILED") from exc
        sizes = []
        small = self.store_file(buffer.getvalue(), "photos/file_{n}.jpg", "image/jpeg")
        sizes.append(self._size(small, *thumb.size))
        original = self.store_file(content, "photos/file_{n}.jpg", "image/jpeg")
        sizes.append(self._size(original, width, height))
        return sizes

    @staticmethod
    def _size(stored: StoredFile, width: int, height: int) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.content),
        }

    # ------------------------------------------------------------------ bot side helpers
    def target_chat(self, chat_id: int) -> Chat:
        """The chat a bot method addresses, with Telegram's errors for the bad cases."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            user = self.users[chat_id]
            if user.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_removed:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat

    def check_flood(self, chat: Chat) -> None:
        """Raise 429 with retry_after when a send would break Telegram's limits."""
        if not self.flood.enabled:
            return
        now = time.monotonic()
        is_group = chat.type != "private"
        window = self._chat_windows.setdefault(
            chat.id, RateWindow(self.flood.group_window if is_group else 1.0)
        )
        chat_limit = self.flood.group_per_minute if is_group else self.flood.per_chat_per_second
        wait = max(
            self._global_window.retry_after(now, self.flood.global_per_second),
            window.retry_after(now, chat_limit),
        )
        if wait:
            self.flood_errors += 1
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        self._global_window.add(now)
        window.add(now)

    def bot_message(self, chat: Chat, body: JSON) -> Message:
        data: JSON = {
            "message_id": chat.next_id(),
            "from": {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": self.bot_name,
                "username": self.bot_username,
            },
            "chat": chat.to_api(self.users),
            "date": int(time.time()),
            **body,
        }
        message = Message(data=data, outgoing=True)
        chat.messages.append(message)
        self._publish(Event("sent", chat.id, message))
        return message

    def edited(self, message: Message) -> None:
        message.edits += 1
        message.data["edit_date"] = int(time.time())
        self._publish(Event("edited", message.chat_id, message))

    def deleted(self, message: Message) -> None:
        message.deleted = True
        self._publish(Event("deleted", message.chat_id, message))

    def answer_too_late(self, query_id: str) -> bool:
        """Whether Telegram would refuse an answer to this press now (`callback_answer_timeout`)."""
        limit = self.callback_answer_timeout
        pressed = self._pressed_at.get(query_id)
        return limit is not None and pressed is not None and time.monotonic() - pressed >= limit

    def answered(self, query_id: str, answer: JSON) -> None:
        self.callback_answers[query_id] = answer
        self._publish(Event("answer", self._query_chat.get(query_id, 0), answer=answer))
