"""PTB's rate limiter on the one send budget: every send takes its slot from the Governor."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import AIORateLimiter

from bot.delivery.governor import FREE_RATE, Governor, Priority, Ticket

JSONDict = dict[str, Any]

#: The calls that put a message in a chat: Telegram's one a second per chat counts these
#: (edits, deletions and chat actions do not).
SENDS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendAudio",
        "sendVideo",
        "sendVoice",
        "sendAnimation",
        "sendSticker",
        "sendPoll",
        "sendMediaGroup",
        "copyMessage",
        "forwardMessage",
        "copyMessages",
        "forwardMessages",
    }
)


class BotLimiter(AIORateLimiter):
    """Every call that sends to a chat takes a slot of the bot's one `governor` first.

    The handlers' calls are replies (Priority.REPLY). The outbox worker's sends carry a
    Ticket as `rate_limit_args` (bot.delivery.channels): its priority, a card's or a
    broadcast's; they pass on to Telegram once they have their slot. The worker paces itself
    otherwise (one a second per chat, 20 a minute per group) and backs off from a 429 per
    chat: through AIORateLimiter, a group's 20 a minute would make the worker wait inside one
    send, and a 429 makes it sleep retry_after while holding back every other request,
    private cards and residents' replies included. A message (SENDS) also waits for its
    chat's turn in the governor: one a second per chat across replies and outbox alike (a
    resident's confirmation and the outbox's notice to them were refused with 429 so).

    PTB's own overall limiter is off (a leaky bucket, it lets a burst of 30 through on top of
    the steady 30 a second), and so are its retries: a reply refused with 429 pauses the
    governor for retry_after and takes a new slot for each of up to `max_retries` retries
    (PTB's would go around the budget, in a bunch, as soon as the pause is over). With
    `paid_broadcast`, the outbox's texts go as paid broadcasts at `rate_per_second` (up to
    1,000); every other send keeps to Telegram's free 30.
    """

    def __init__(
        self,
        rate_per_second: float,
        max_retries: int = 0,
        *,
        paid_broadcast: bool = False,
        rate_per_chat: float = 1.0,
    ) -> None:
        super().__init__(overall_max_rate=0, max_retries=0)
        self.retries = max_retries
        free = min(rate_per_second, FREE_RATE) if paid_broadcast else rate_per_second
        #: The bot's one global budget, for handlers and the outbox worker alike.
        self.governor = Governor(free, paid_rate=rate_per_second, chat_rate=rate_per_chat)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: object,
    ) -> bool | JSONDict | list[JSONDict]:
        sends = data.get("chat_id") is not None  # what PTB's overall limiter would count
        paid = bool(data.get("allow_paid_broadcast"))
        chat = data.get("chat_id") if endpoint in SENDS else None  # its one a second
        if isinstance(rate_limit_args, Ticket):  # the outbox worker's
            if not sends:
                return await callback(*args, **kwargs)
            async with self.governor.sending(rate_limit_args.priority, paid=paid, chat=chat):
                return await callback(*args, **kwargs)
        if not sends:
            return await super().process_request(callback, args, kwargs, endpoint, data, None)
        for attempt in range(self.retries + 1):
            try:
                async with self.governor.sending(Priority.REPLY, paid=paid, chat=chat):
                    return await super().process_request(
                        callback, args, kwargs, endpoint, data, None
                    )
            except RetryAfter as exc:
                wait = exc.retry_after  # a timedelta with PTB_TIMEDELTA=true
                self.governor.pause(
                    wait.total_seconds() if isinstance(wait, dt.timedelta) else float(wait)
                )
                if attempt == self.retries:
                    raise
        raise AssertionError("unreachable")  # the loop returns or raises
