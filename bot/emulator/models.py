"""The emulated Telegram world's records: users, chats, messages, files, flood limits and
what a benchmark measures, plus the Bot API error (`ApiError`)."""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

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

    `enabled`: today's lenient check. A private chat takes `per_chat_per_second` sends in any
    second, a group `group_per_minute` in any `group_window` seconds (Telegram: 20 in 60 s; a
    test may shorten the window to see a group's 429 and its end in a few seconds), and all
    chats together `global_per_second` in any second, whether the call is a paid broadcast
    or not.

    `strict` (implies the check; what the benchmarks measure against): Telegram's limits as
    a bot must assume them, with no burst allowance. Every message-sending call counts in a
    sliding window of the last 1.0 s over all chats: a call passes while fewer than
    `global_per_second` sends are in it, or `paid_per_second` when the call has
    `allow_paid_broadcast` (the paid sends count against the free 30 too: Telegram charges
    for what exceeds 30 a second). Every chat, groups included, takes `per_chat_per_second`
    in any 1.0 s, and a group also `group_per_minute` in any `group_window` seconds. A refused
    call is 429 "Too Many Requests: retry after N", `parameters.retry_after` N the whole
    seconds (at least 1) until every window it hit has room again.
    """

    enabled: bool = False
    strict: bool = False
    per_chat_per_second: int = 1
    global_per_second: int = 30
    paid_per_second: int = 1000
    group_per_minute: int = 20
    group_window: float = 60.0

    @property
    def active(self) -> bool:
        return self.enabled or self.strict


@dataclass
class Measurements:
    """What a benchmark reads back: the bot's sends over time, and how fast it answered users.

    A reply time runs from a user's message or button press to the bot's next message or edit
    in that chat (time.monotonic(), the same clock in every process on the machine).
    """

    sent: int = 0
    edited: int = 0  # edits of sent messages: the governor counts them as sends too
    first_sent: float | None = None
    last_sent: float | None = None
    reply_seconds: list[float] = field(default_factory=list)


class RateWindow:
    """Sliding-window counter: how many events in the last `seconds` (no burst allowance)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.times: deque[float] = deque()

    def retry_after(self, now: float, limit: int) -> int:
        """0 if one more event is allowed now, else whole seconds (at least 1) until the
        window holds fewer than `limit` events (the oldest ones it must lose have left)."""
        while self.times and now - self.times[0] >= self.seconds:
            self.times.popleft()
        if len(self.times) < limit:
            return 0
        leaves = self.times[len(self.times) - limit]  # once it has gone, one more fits
        return max(1, math.ceil(self.seconds - (now - leaves)))

    def add(self, now: float) -> None:
        self.times.append(now)
