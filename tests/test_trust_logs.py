"""Logs: no resident's name or text at any level, no resident's chat id at INFO."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.logs import HideContent
from bot.settings import Settings
from storage.outbox import OutboxItem
from tests.bots import build, in_process, serving
from tests.people import Person
from tests.test_intake import file_report

RESIDENT = 7_770_001
POLIS_JKB = 100000001  # gets the card, with the resident's text
NAMES = ["Ingrid", "Testsson", "ingrid_t"]
TEXTS = ["Lamporna vid trappan har varit trasiga", "Vid trappan upp till perrong 1"]


def everything(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    """Every record as its level and the text a handler would write (traceback included)."""
    formatter = logging.Formatter("%(name)s %(message)s")
    return [(r.levelno, formatter.format(r)) for r in caplog.records]


async def test_debug_logs_carry_no_names_or_report_texts(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """At DEBUG, python-telegram-bot dumps every update and API call, and aiosqlite every
    query with its values: the resident's name and report reach none of it."""
    caplog.set_level(logging.DEBUG, logger="aiosqlite")  # as in production at DEBUG
    world = emulator.world
    world.user(RESIDENT, NAMES[0], last_name=NAMES[1], username=NAMES[2])
    world.user(POLIS_JKB, "Staff").started = True
    async with in_process(emulator, bot_settings, deployment):
        person = Person(world, RESIDENT, catalogs)
        assert "JKB-0001" in await file_report(person)
        card = await world.wait_for(POLIS_JKB, lambda m: TEXTS[0] in m.text, timeout=15)
        assert TEXTS[1] in card.text
    records = everything(caplog)
    assert any("sendMessage" in text for _, text in records)  # the API calls were logged
    assert any("executing" in text for _, text in records)  # and the queries
    leaked = [text[:120] for _, text in records if any(n in text for n in NAMES + TEXTS)]
    assert leaked == []


async def test_a_blocked_resident_is_not_named_at_info(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    caplog: pytest.LogCaptureFixture,
) -> None:
    world = emulator.world
    world.user(RESIDENT, "Someone").started = True
    world.block(RESIDENT)
    app = build(emulator, bot_settings, deployment)
    async with serving(app, emulator):
        services = app.bot_data.services
        assert services is not None
        await services.outbox.add([OutboxItem("telegram", str(RESIDENT), "text", {"text": "x"})])
        services.desk.on_enqueue()
        deadline = time.monotonic() + 15
        while (await services.outbox.counts()).get("dead") != 1:
            assert time.monotonic() < deadline, "the message was never given up"
            await asyncio.sleep(0.05)
    records = everything(caplog)
    assert any("is gone" in text for _, text in records)  # the notice was logged
    assert [t for level, t in records if level >= logging.INFO and str(RESIDENT) in t] == []


def test_hide_content_keeps_ids_and_words() -> None:
    record = logging.LogRecord(
        "telegram.ext.ExtBot",
        logging.DEBUG,
        __file__,
        1,
        "Calling `%s` with `%s`; key %s, %d ms, %s",
        ("sendMessage", {"text": "Ingrid"}, (1, 2), 5, "Ingrid Testsson\nhej"),
        None,
    )
    HideContent().filter(record)
    assert (
        record.getMessage()
        == "Calling `sendMessage` with `<redacted>`; key (1, 2), 5 ms, <redacted>"
    )
