"""The bot's requests over aiohttp (bot.delivery.transport): what PTB's HTTPXRequest did,
against the emulator over HTTP, as against Telegram: texts and photos go, refusals and 429s
reach the caller as PTB's errors, a dead server and a slow one as NetworkError and TimedOut."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut

from bot.delivery.transport import AiohttpRequest
from bot.emulator import Emulator
from tests.images import jpeg
from tests.processes import free_port

USER = 4711


@pytest.fixture
async def bot(emulator: Emulator) -> AsyncIterator[Bot]:
    emulator.world.user(USER).started = True
    async with Bot(
        emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.file_url,
        request=AiohttpRequest(read_timeout=1.0),
    ) as bot:
        yield bot


async def test_a_text_with_buttons_and_a_photo_arrive(bot: Bot, emulator: Emulator) -> None:
    sent = await bot.send_message(USER, "<b>Hej</b> från Floda", parse_mode="HTML")
    photo = await bot.send_photo(USER, jpeg(64, 48), caption="Trappan")
    received = emulator.world.received(USER)
    assert [m.kind for m in received] == ["text", "photo"]
    assert received[0].text == "Hej från Floda"
    assert received[1].text == "Trappan"  # the caption
    assert photo.message_id > sent.message_id
    file = await bot.get_file(photo.photo[-1].file_id)
    assert (await file.download_as_bytearray())[:2] == b"\xff\xd8"  # a JPEG, downloaded


async def test_refusals_and_flood_control_are_ptbs_errors(bot: Bot, emulator: Emulator) -> None:
    world = emulator.world
    world.user(USER + 1).started = True
    world.user(USER + 1).blocked = True
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(USER + 1, "Hej")
    world.flood.enabled = True
    world.flood.per_chat_per_second = 1
    await bot.send_message(USER, "ett")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "två")


async def test_a_dead_server_and_a_slow_one(bot: Bot, emulator: Emulator) -> None:
    emulator.world.latency = 2.0  # longer than the read timeout of 1 s
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "Hej")
    emulator.world.latency = 0.0
    dead = AiohttpRequest()  # nobody listens on its port
    await dead.initialize()
    try:
        with pytest.raises(NetworkError):
            await dead.post(f"http://127.0.0.1:{free_port()}/bot{emulator.token}/getMe")
    finally:
        await dead.shutdown()
