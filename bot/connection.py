"""Reaching the Bot API, as an operator sees it: a rejected token is one line and the end; an
unreachable API is one WARNING with the retry delay, then one INFO line per retry and one when
it is back. Never a traceback, never the token (it is part of every request URL).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from telegram import Bot
from telegram.error import InvalidToken, NetworkError, TelegramError, TimedOut
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

#: python-telegram-bot's polling loop waits 1 s after a network error, then 1.5 times as long
#: after each further one, at most 30 s; after a timeout it asks again at once. The start-up
#: check below does the same.
FIRST_DELAY = 1.0
DELAY_FACTOR = 1.5
MAX_DELAY = 30.0


class TokenRejectedError(Exception):
    """The Bot API answered 401 Unauthorized: the token is wrong or was revoked."""

    def __init__(self, api_base_url: str) -> None:
        super().__init__(
            f"The Bot API at {api_base_url} rejected TRYGG_BOT_TOKEN (401 Unauthorized): "
            "check the token from @BotFather (/mybots, API Token); it may have been revoked"
        )


def _reason(exc: Exception) -> str:
    """A short reason for a log line: the exception's own text, or its type."""
    if isinstance(exc, TimedOut):
        return "timed out"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


class Outage:
    """Counts the failed attempts to reach the Bot API and logs them: the first at WARNING
    with the retry delay, the next ones at INFO, the recovery at INFO."""

    def __init__(self) -> None:
        self.failures = 0
        self._delay = 0.0

    def next_delay(self, exc: Exception) -> float:
        """How long the caller waits before trying again, as python-telegram-bot's loop does."""
        if isinstance(exc, TimedOut):
            self._delay = 0.0
        else:
            self._delay = (
                FIRST_DELAY if not self._delay else min(MAX_DELAY, self._delay * DELAY_FACTOR)
            )
        return self._delay

    def failed(self, exc: Exception) -> float:
        """One failed attempt; logs it and returns the delay before the next one."""
        delay = self.next_delay(exc)
        self.failures += 1
        if self.failures == 1:
            log.warning(
                "The Bot API cannot be reached (%s); retrying in %.1f s, and again after that "
                "(each retry is logged at INFO)",
                _reason(exc),
                delay,
            )
        else:
            log.info(
                "The Bot API still cannot be reached (%s; %d failed attempts); retrying in %.1f s",
                _reason(exc),
                self.failures,
                delay,
            )
        return delay

    def recovered(self) -> None:
        """A request went through: log the end of an outage, if there was one."""
        if self.failures:
            log.info("The Bot API is reachable again after %d failed attempts", self.failures)
        self.failures = 0
        self._delay = 0.0

    def polling_error(self, exc: TelegramError) -> None:
        """An error while polling for updates (run_polling gives them to the error handler,
        which logged a traceback for every retry): network errors are logged by
        `WatchedRequest`; anything else (409 Conflict: another bot polls with this token) in
        one line, a WARNING first and INFO after."""
        if isinstance(exc, NetworkError):
            return
        if self.failures == 0:
            log.warning("Polling for updates failed: %s; retrying", _reason(exc))
        else:
            log.info("Polling for updates failed again: %s", _reason(exc))
        self.failures += 1


class WatchedRequest(HTTPXRequest):
    """The request object for getUpdates: tells the outage of every failure and success."""

    def __init__(self, outage: Outage, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._outage = outage

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            result = await super().do_request(*args, **kwargs)
        except NetworkError as exc:  # TimedOut included
            self._outage.failed(exc)
            raise
        status = result[0]
        if status >= 500:  # a proxy's 502 and the like: python-telegram-bot's NetworkError
            self._outage.failed(NetworkError(f"HTTP {status}"))
        elif status < 300:
            self._outage.recovered()
        return result


async def reach_bot_api(bot: Bot, api_base_url: str, outage: Outage) -> None:
    """Initialise the bot (getMe), retrying for as long as the Bot API cannot be reached;
    TokenRejectedError if it refuses the token."""
    while True:
        try:
            await bot.initialize()
        except InvalidToken:
            raise TokenRejectedError(api_base_url) from None
        except NetworkError as exc:  # connection refused, DNS, TLS, timeouts
            await asyncio.sleep(outage.failed(exc))
            continue
        outage.recovered()
        return
