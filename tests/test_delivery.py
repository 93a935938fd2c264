"""Delivery channels: an outbox row decodes once into a typed message, its channel sends it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest
from telegram import Bot, InlineKeyboardMarkup

from bot.delivery.channels import EmailChannel, TelegramChannel
from bot.delivery.email import Mailer
from bot.delivery.messages import Email, Location, Outgoing, Photo, Text, decode, item
from storage.outbox import OutboxItem, OutboxRow

MESSAGES: list[Outgoing] = [
    Text(1001, "<b>Nytt ärende</b>"),
    Text(-100200, "Kort", ((("Ta ärendet", "d:take:1"), ("Stäng", "d:close:1")),)),
    Photo(1001, "ab/cd.jpg"),
    Photo(1001, "ab/cd.jpg", "Bild 1"),
    Location(1001, 59.42, 17.83),
    Email("kommun@example.org", "Ärende TB-1", "Text", ("ab/cd.jpg",)),
]


def row_of(entry: OutboxItem, attempts: int = 0) -> OutboxRow:
    return OutboxRow(
        1, entry.channel, entry.recipient, entry.kind, entry.payload, entry.case_id, attempts
    )


@pytest.mark.parametrize("message", MESSAGES, ids=lambda m: type(m).__name__)
def test_a_message_survives_the_outbox_row(message: Outgoing) -> None:
    stored = item(message, case_id=7)
    assert stored.case_id == 7
    assert decode(row_of(stored)) == message


def test_rows_as_the_services_write_them_decode() -> None:
    """The payloads bot.services write by hand (desk, updates, refusals)."""
    rows = [
        OutboxItem("telegram", "5", "text", {"text": "Hej", "alert": True}),
        OutboxItem("telegram", "5", "text", {"text": "Hej", "buttons": [[["A", "a:1"]]]}),
        OutboxItem("telegram", "5", "photo", {"path": "p.jpg"}),
        OutboxItem("telegram", "-5", "location", {"lat": 1.5, "lon": 2.5}),
        OutboxItem("email", "a@example.org", "email", {"subject": "S", "body": "B"}),
        OutboxItem("email", "a@example.org", "email", {"subject": "S", "body": "B", "photos": []}),
    ]
    assert [decode(row_of(r)) for r in rows] == [
        Text(5, "Hej"),
        Text(5, "Hej", ((("A", "a:1"),),)),
        Photo(5, "p.jpg"),
        Location(-5, 1.5, 2.5),
        Email("a@example.org", "S", "B"),
        Email("a@example.org", "S", "B"),
    ]
    assert item(Text(5, "Hej"), alert=True) == rows[0]


def test_a_malformed_row_raises_as_a_failed_try() -> None:
    with pytest.raises(ValueError, match="unknown outbox kind 'sticker'"):
        decode(row_of(OutboxItem("telegram", "5", "sticker", {})))
    with pytest.raises(KeyError):
        decode(row_of(OutboxItem("telegram", "5", "text", {})))
    with pytest.raises(ValueError, match="invalid literal"):
        decode(row_of(OutboxItem("telegram", "not a chat", "text", {"text": "x"})))


class FakeBot:
    """What TelegramChannel calls on a Bot, recorded."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    async def _record(self, method: str, *args: Any, **kwargs: Any) -> Any:
        self.calls.append((method, args, kwargs))
        return type("Sent", (), {"message_id": len(self.calls)})()

    async def send_message(self, *args: Any, **kwargs: Any) -> Any:
        return await self._record("send_message", *args, **kwargs)

    async def send_photo(self, *args: Any, **kwargs: Any) -> Any:
        return await self._record("send_photo", *args, **kwargs)

    async def send_location(self, *args: Any, **kwargs: Any) -> Any:
        return await self._record("send_location", *args, **kwargs)


async def test_the_telegram_channel_renders_each_type(tmp_path: Path) -> None:
    (tmp_path / "p.jpg").write_bytes(b"jpeg")
    bot = FakeBot()
    channel = TelegramChannel(cast(Bot, bot), tmp_path, paid_broadcast=True)
    assert channel.paced
    assert await channel.send(Text(5, "Hej", ((("A", "a:1"),),))) == 1
    assert await channel.send(Photo(5, "p.jpg", "Bild")) == 2
    assert await channel.send(Location(5, 1.5, 2.5)) == 3
    assert await channel.send(Photo(5, "gone.jpg")) is None  # a photo erased meanwhile
    (text, text_args, text_kwargs), photo, location = bot.calls
    assert (text, text_args) == ("send_message", (5, "Hej"))
    keyboard = text_kwargs["reply_markup"]
    assert isinstance(keyboard, InlineKeyboardMarkup)
    assert [[(b.text, b.callback_data) for b in r] for r in keyboard.inline_keyboard] == [
        [("A", "a:1")]
    ]
    assert text_kwargs["allow_paid_broadcast"] is True
    assert photo == ("send_photo", (5, b"jpeg"), {"caption": "Bild"})
    assert location == ("send_location", (5, 1.5, 2.5), {})
    with pytest.raises(ValueError, match="not sent through Telegram"):
        await channel.send(Email("a@example.org", "S", "B"))


async def test_plain_text_has_no_keyboard_and_no_paid_flag(tmp_path: Path) -> None:
    bot = FakeBot()
    await TelegramChannel(cast(Bot, bot), tmp_path).send(Text(5, "Hej"))
    assert bot.calls[0][2] == {"reply_markup": None, "allow_paid_broadcast": None}


class FakeMailer:
    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.sent: list[tuple[str, str, str, list[Path]]] = []
        self.names: list[list[str]] = []

    async def send(
        self, to: str, subject: str, body: str, attachments: list[Path], names: list[str]
    ) -> None:
        self.sent.append((to, subject, body, attachments))
        self.names.append(names)


async def test_the_email_channel_attaches_the_photos_still_there(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(b"jpeg")
    mailer = FakeMailer(enabled=True)
    channel = EmailChannel(cast(Mailer, mailer), tmp_path)
    assert not channel.paced
    assert await channel.send(Email("a@example.org", "S", "B", ("a.jpg", "gone.jpg"))) is None
    assert mailer.sent == [("a@example.org", "S", "B", [tmp_path / "a.jpg"])]
    with pytest.raises(ValueError, match="not an e-mail"):
        await channel.send(Text(5, "Hej"))


async def test_an_email_whose_temporary_attachment_is_gone_is_not_sent(tmp_path: Path) -> None:
    """A repeat after a crash: the mail server had the lägesbild and the file was deleted; a
    mail without it is not sent. A kept file goes under the name given for it."""
    mailer = FakeMailer(enabled=True)
    channel = EmailChannel(cast(Mailer, mailer), tmp_path)
    assert await channel.send(Email("a@example.org", "S", "B", ("gone.pdf",), True)) is None
    assert mailer.sent == []
    (tmp_path / "2026-11-8-habo-1a2b3c4d.pdf").write_bytes(b"%PDF")
    named = Email(
        "a@example.org",
        "S",
        "B",
        ("2026-11-8-habo-1a2b3c4d.pdf",),
        True,
        ("lagesbild-habo-2026-11.pdf",),
    )
    assert await channel.send(named) is None
    assert mailer.sent == [("a@example.org", "S", "B", [tmp_path / "2026-11-8-habo-1a2b3c4d.pdf"])]
    assert mailer.names == [["lagesbild-habo-2026-11.pdf"]]
    assert not (tmp_path / "2026-11-8-habo-1a2b3c4d.pdf").exists()  # temporary: deleted


async def test_the_email_channel_without_smtp_fails_the_try(tmp_path: Path) -> None:
    channel = EmailChannel(cast(Mailer, FakeMailer(enabled=False)), tmp_path)
    with pytest.raises(RuntimeError, match="TRYGG_SMTP_HOST"):
        await channel.send(Email("a@example.org", "S", "B"))
