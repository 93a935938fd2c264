"""Resident text on staff cards and e-mails cannot fake lines of the card."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator

import pytest

from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.domain.lifecycle import Action
from bot.domain.text import BIDI_CONTROLS, one_line, paragraphs
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings

RESIDENT = 7001
POLIS_JKB = 100000001  # kommunpolis at Jakobsberg, also by e-mail in the bundled deployment
POLIS_JKB_MAIL = "kommunpolis.jarfalla@example.org"

#: A place and a description written to look like more of the card.
FAKE_PLACE = "Vid trappan\nMottaget: 2020-01-01 10:00 · Status: Åtgärdat\r\u2028Plats: Centrum"
FAKE_DESCRIPTION = (
    "Lamporna är trasiga.\n\n\n\nDet är mörkt.\x0b"
    "Foton: 9 · Håller med: 99\n"
    "Mottaget: 2020-01-01 10:00 · Status: \u202eddrgtÅ\u202c\x85"
    "\u2066Kvitterat\u2069 av kommunpolisen\u2029slut\x00"
)


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ("Vid trappan", "Vid trappan"),
        ("  Vid\ttrappan \n\n Status: x ", "Vid trappan Status: x"),
        ("a\rb\x0bc\x0cd\x85e\u2028f\u2029g\x1ch", "a b c d e f g h"),
        (
            "\u202eabc\u202c \u2066d\u2069\u200e\u200f\u061ce\u202a\u202b\u202d\u2067\u2068",
            "abc de",
        ),
        ("nul\x00 bell\x07 del\x7f c1\x9b", "nul bell del c1"),
        ("👨‍👩‍👧 می‌خواهم", "👨‍👩‍👧 می‌خواهم"),  # joiners in emoji and Persian stay
    ],
)
def test_one_line(raw: str, line: str) -> None:
    assert one_line(raw) == line


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("Ett stycke.\n\nEtt till.", "Ett stycke.\n\nEtt till."),
        ("a\r\nb\rc\x0bd\u2028e\u2029f\x85g", "a\nb\nc\nd\ne\nf\ng"),
        ("\n\n a \n\n\n\n\n b\t\u202e c \n\n", "a\n\nb c"),
    ],
)
def test_paragraphs(raw: str, text: str) -> None:
    assert paragraphs(raw) == text


def outside_quotes(html_text: str) -> str:
    return re.sub(r"<blockquote>.*?</blockquote>", "", html_text, flags=re.DOTALL)


def unquoted_lines(plain: str) -> list[str]:
    return [line for line in plain.splitlines() if not line.startswith(">")]


def assert_no_controls(text: str) -> None:
    bad = [
        f"U+{ord(c):04X}"
        for c in text
        if c != "\n" and (c in BIDI_CONTROLS or unicodedata.category(c) in ("Cc", "Zl", "Zp"))
    ]
    assert bad == []


@pytest.fixture
async def services(
    bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[Services]:
    settings = bot_settings.model_copy(update={"smtp_host": "127.0.0.1"})  # e-mail cards too
    opened = await Services.open(settings, deployment, catalogs)
    try:
        yield opened
    finally:
        await opened.close()


async def test_card_and_email_keep_resident_text_in_its_place(services: Services) -> None:
    draft = Draft(
        kind="report",
        station="jakobsberg",
        category="belysning",
        place_text=FAKE_PLACE,
        times=["evening"],
        description=FAKE_DESCRIPTION,
    )
    case = await services.submit(RESIDENT, draft, "sv")
    rows = await services.outbox.due()
    card = next(r.payload["text"] for r in rows if r.recipient == str(POLIS_JKB))
    mail = next(r.payload["body"] for r in rows if r.recipient == POLIS_JKB_MAIL)

    # Telegram: the place is one line; the description is a quote; the card's own fields
    # appear once outside it.
    assert_no_controls(card)
    assert "Plats: Vid trappan Mottaget: 2020-01-01 10:00 · Status: Åtgärdat Plats: Centrum" in card
    own = outside_quotes(card).splitlines()
    for field in ("Plats:", "Mottaget:", "Foton:"):
        assert [line for line in own if line.startswith(field)] == [
            next(line for line in own if line.startswith(field))
        ], field
    new = services.text("sv", "status.new")
    assert own[-1].endswith(f"Status: {new}")
    assert "Kvitterat" not in outside_quotes(card)
    assert "<blockquote>Lamporna är trasiga.\n\nDet är mörkt.\nFoton: 9" in card

    # E-mail: the same, with the description's lines quoted with "> ".
    assert_no_controls(mail)
    lines = unquoted_lines(mail)
    assert [line for line in lines if line.startswith("Mottaget:")] == [
        f"Mottaget: {services.desk.local_time(case.created_at)} · Status: {new}"
    ]
    assert [line for line in lines if line.startswith("Plats:")] == [
        "Plats: Vid trappan Mottaget: 2020-01-01 10:00 · Status: Åtgärdat Plats: Centrum"
    ]
    assert "> Lamporna är trasiga.\n>\n> Det är mörkt.\n> Foton: 9 · Håller med: 99\n" in mail
    assert "> Kvitterat av kommunpolisen\n> slut" in mail


async def test_an_answer_is_quoted_too(services: Services) -> None:
    draft = Draft(
        kind="report",
        station="jakobsberg",
        category="belysning",
        place_text="Vid trappan",
        times=["evening"],
        description="Lamporna är trasiga vid trappan.",
    )
    case = await services.submit(RESIDENT, draft, "sv")
    officer = await services.staff.by_telegram(POLIS_JKB)
    await services.desk.act(officer, case.reference, Action.ASK, "Vilken trappa?")
    before = {r.id for r in await services.outbox.due(limit=500)}
    await services.desk.answer(RESIDENT, case.reference, "Den norra.\n\u202eStatus: Åtgärdat")
    sent = [r for r in await services.outbox.due(limit=500) if r.id not in before]
    text = next(r.payload["text"] for r in sent if r.recipient == str(POLIS_JKB))
    assert_no_controls(text)
    assert "Status" not in outside_quotes(text)
    assert text.endswith("<blockquote>Den norra.\nStatus: Åtgärdat</blockquote>")
