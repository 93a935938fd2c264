"""One class per way out (Telegram, e-mail): each renders its messages and sends them.

A channel raises what its transport raises (TelegramError, SMTP and network errors); the
outbox worker decides from that whether to retry, back off or give up.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.delivery.email import Mailer
from bot.delivery.governor import Priority, Ticket
from bot.delivery.messages import Buttons, Document, Email, Location, Outgoing, Photo, Text
from bot.delivery.pacing import BotLimiter

log = logging.getLogger(__name__)


class Channel(Protocol):
    #: Whether its sends take a slot of the bot's global budget (Telegram's 30 a second).
    paced: bool

    async def send(self, message: Outgoing, priority: Priority = Priority.CARD) -> int | None:
        """Send it (with this priority for a slot, if paced); the message id the other side
        gave it, if any."""
        ...


def markup(buttons: Buttons) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


class TelegramChannel:
    """Texts, photos, documents and map pins through the Bot API.

    Through the bot's BotLimiter, each send takes its slot of the one budget with the
    priority it is given (a Ticket as PTB's `rate_limit_args`); Priority.REPLY goes as the
    bot's own calls do (PTB's retries included). A bot without one (a test's) sends at once.
    """

    paced = True

    def __init__(self, bot: Bot, media_dir: Path, *, paid_broadcast: bool = False) -> None:
        self._bot = bot
        self._media_dir = media_dir
        self._paid = paid_broadcast
        self._governed = isinstance(getattr(bot, "rate_limiter", None), BotLimiter)

    async def send(self, message: Outgoing, priority: Priority = Priority.CARD) -> int | None:
        sent: Message
        # ExtBot's methods take `rate_limit_args`; Bot's signatures do not name it.
        ticket: dict[str, Any] = {}
        if self._governed and priority is not Priority.REPLY:
            ticket["rate_limit_args"] = Ticket(priority)
        match message:
            case Text():
                sent = await self._bot.send_message(
                    message.chat_id,
                    message.text,
                    reply_markup=markup(message.buttons),
                    allow_paid_broadcast=self._paid or None,
                    **ticket,
                )
            case Photo():
                if (photo := self._media(message)) is None:
                    return None
                sent = await self._bot.send_photo(
                    message.chat_id, photo, caption=message.caption, **ticket
                )
            case Document():
                if (document := self._media(message)) is None:
                    return None
                sent = await self._bot.send_document(
                    message.chat_id,
                    document,
                    filename=message.filename,
                    caption=message.caption,
                    **ticket,
                )
                if message.temporary:
                    # Telegram has it (a repeat: "gone", skipped)
                    (self._media_dir / message.path).unlink(missing_ok=True)
            case Location():
                sent = await self._bot.send_location(
                    message.chat_id, message.lat, message.lon, **ticket
                )
            case Email():
                raise ValueError("an e-mail is not sent through Telegram")
        return sent.message_id

    def _media(self, message: Photo | Document) -> bytes | None:
        """The message's file from the media directory; None (logged) when it is gone."""
        path = self._media_dir / message.path
        if not path.is_file():
            log.warning("%s %s is gone; skipping", type(message).__name__, path.name)
            return None
        return path.read_bytes()


class EmailChannel:
    """E-mail to staff over SMTP, the case's photos attached."""

    paced = False

    def __init__(self, mailer: Mailer, media_dir: Path) -> None:
        self._mailer = mailer
        self._media_dir = media_dir

    async def send(self, message: Outgoing, priority: Priority = Priority.CARD) -> int | None:
        if not isinstance(message, Email):
            raise ValueError(f"not an e-mail: {type(message).__name__}")
        if not self._mailer.enabled:
            raise RuntimeError("e-mail is not configured (TRYGG_SMTP_HOST)")
        paths = [self._media_dir / p for p in message.photos]
        names = message.names or tuple(path.name for path in paths)
        if message.temporary and not all(path.is_file() for path in paths):
            # Sent already (a repeat after a crash) or deleted: not a mail without it.
            log.warning("An e-mail's temporary attachment is gone; skipping")
            return None
        kept = [(path, name) for path, name in zip(paths, names, strict=True) if path.is_file()]
        files = [path for path, _ in kept]
        shown = [name for _, name in kept]
        await self._mailer.send(message.to, message.subject, message.body, files, shown)
        if message.temporary:
            for file in files:
                file.unlink(missing_ok=True)
        return None


async def send_now(bot: Bot, chat_id: int, text: str) -> int | None:
    """One text straight through the Bot API, not through the outbox: only for an alert the
    outbox cannot take because the database itself is failing."""
    return await TelegramChannel(bot, Path()).send(Text(chat_id, text), Priority.REPLY)
