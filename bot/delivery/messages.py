"""Typed outgoing messages: what one outbox row asks to send, decoded once.

An outbox row stores a channel, a recipient, a kind and a JSON payload (storage.outbox). The
worker decodes it into one of these and hands it to the channel that sends its type
(bot.delivery.channels); `item` turns one back into a row to enqueue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from storage.outbox import OutboxItem, OutboxRow

#: The payload flag of a broadcast's or digest's row (bot.services.updates): it waits for
#: the send slots that cards, notifications and replies leave (bot.delivery.governor).
BROADCAST = "broadcast"

#: Inline buttons as stored: rows of [label, callback data].
Buttons = tuple[tuple[tuple[str, str], ...], ...]


@dataclass(frozen=True)
class Text:
    """A Telegram text message (HTML), with inline buttons or none."""

    channel: ClassVar[str] = "telegram"
    kind: ClassVar[str] = "text"
    chat_id: int
    text: str
    buttons: Buttons = ()

    def payload(self) -> dict[str, Any]:
        if not self.buttons:
            return {"text": self.text}
        return {"text": self.text, "buttons": [[list(b) for b in row] for row in self.buttons]}


@dataclass(frozen=True)
class Photo:
    """A Telegram photo from the media directory (`path` is relative to it)."""

    channel: ClassVar[str] = "telegram"
    kind: ClassVar[str] = "photo"
    chat_id: int
    path: str
    caption: str | None = None

    def payload(self) -> dict[str, Any]:
        if self.caption is None:
            return {"path": self.path}
        return {"path": self.path, "caption": self.caption}


@dataclass(frozen=True)
class Document:
    """A Telegram document (a file, e.g. a PDF) from the media directory (`path` is relative
    to it), shown under `filename`; a `temporary` file is deleted once Telegram has it."""

    channel: ClassVar[str] = "telegram"
    kind: ClassVar[str] = "document"
    chat_id: int
    path: str
    filename: str
    caption: str | None = None
    temporary: bool = False

    def payload(self) -> dict[str, Any]:
        found: dict[str, Any] = {"path": self.path, "filename": self.filename}
        if self.caption is not None:
            found["caption"] = self.caption
        if self.temporary:
            found["temporary"] = True
        return found


@dataclass(frozen=True)
class Location:
    """A Telegram map pin."""

    channel: ClassVar[str] = "telegram"
    kind: ClassVar[str] = "location"
    chat_id: int
    lat: float
    lon: float

    def payload(self) -> dict[str, Any]:
        return {"lat": self.lat, "lon": self.lon}


@dataclass(frozen=True)
class Email:
    """An e-mail to staff; `photos` are attached, relative to the media directory (any file:
    a PDF too); `temporary` ones are deleted once the mail server has them, and a mail whose
    temporary file is gone is not sent (a repeat after a crash). `names`: the attachments'
    file names as the reader sees them, in order (none: the files' own names)."""

    channel: ClassVar[str] = "email"
    kind: ClassVar[str] = "email"
    to: str
    subject: str
    body: str
    photos: tuple[str, ...] = ()
    temporary: bool = False
    names: tuple[str, ...] = ()

    def payload(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "subject": self.subject,
            "body": self.body,
            "photos": list(self.photos),
        }
        if self.temporary:
            found["temporary"] = True
        if self.names:
            found["names"] = list(self.names)
        return found


Outgoing = Text | Photo | Document | Location | Email


def _text(chat_id: int, payload: dict[str, Any]) -> Text:
    buttons = payload.get("buttons") or ()
    rows = tuple(tuple((label, data) for label, data in row) for row in buttons)
    return Text(chat_id, payload["text"], rows)


def _photo(chat_id: int, payload: dict[str, Any]) -> Photo:
    return Photo(chat_id, payload["path"], payload.get("caption"))


def _document(chat_id: int, payload: dict[str, Any]) -> Document:
    return Document(
        chat_id,
        payload["path"],
        payload["filename"],
        payload.get("caption"),
        bool(payload.get("temporary")),
    )


def _location(chat_id: int, payload: dict[str, Any]) -> Location:
    return Location(chat_id, payload["lat"], payload["lon"])


#: Telegram's kinds of row, each with its decoder.
TELEGRAM_KINDS: dict[str, Callable[[int, dict[str, Any]], Outgoing]] = {
    "text": _text,
    "photo": _photo,
    "document": _document,
    "location": _location,
}


def decode(row: OutboxRow) -> Outgoing:
    """The message a row asks to send. A malformed row raises (KeyError, ValueError): the
    worker counts that as a failed try, as it does a network error."""
    payload = row.payload
    if row.channel == Email.channel:
        return Email(
            row.recipient,
            payload["subject"],
            payload["body"],
            (*payload.get("photos", []),),
            bool(payload.get("temporary")),
            (*payload.get("names", []),),
        )
    decoder = TELEGRAM_KINDS.get(row.kind)
    if decoder is None:
        raise ValueError(f"unknown outbox kind {row.kind!r}")
    return decoder(int(row.recipient), payload)


def item(message: Outgoing, case_id: int | None = None, **flags: object) -> OutboxItem:
    """The outbox row for `message` (about `case_id`); `flags` go into the payload as they are
    (bot.services.refusals marks its alerts so)."""
    recipient = message.to if isinstance(message, Email) else str(message.chat_id)
    payload = {**message.payload(), **flags}
    return OutboxItem(message.channel, recipient, message.kind, payload, case_id)
