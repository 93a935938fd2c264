"""Blocked, then back (issue 15, item 3): a follower who blocked the bot and came back gets the
next promise update, whether Telegram says so (`my_chat_member`) or the resident just writes."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable

import pytest
from telegram import Bot

from bot.context import BotApp
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.state import World
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.bots import build, serving
from tests.people import Person, db_rows, publish_update


@pytest.fixture
def deployment(running_deployment: Deployment) -> Deployment:
    """The bundled deployment with its promises running: the seeds' promises have ended, and
    these tests publish staff updates, which an ended promise refuses."""
    return running_deployment


RESIDENT = 1501
TRYGGHETSVARDAR = 100000003  # a partner at Floda, owner of "stk-vt-trygghetsvardar"
FLODA_GROUP = -100777


async def _until(condition: Callable[[], bool], what: str, seconds: float = 15) -> None:
    """Wait for a condition on the bot's database (written by another connection)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        await asyncio.sleep(0.05)


def _chat(settings: Settings, chat_id: int) -> int | None:
    found = db_rows(settings, "SELECT active FROM chats WHERE chat_id = ?", chat_id)
    return int(found[0]["active"]) if found else None


@pytest.fixture
async def app(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> AsyncIterator[BotApp]:
    application = build(emulator, bot_settings, deployment)
    async with serving(application, emulator):
        yield application


async def _follower(app: BotApp, world: World, catalogs: Catalogs) -> Services:
    """The resident has opened the bot and follows Floda."""
    services = app.bot_data.services
    assert services is not None
    await Person(world, RESIDENT, catalogs).say("/start")
    resident = await services.residents.touch(RESIDENT, "sv")
    await services.promises.follow(resident.id, "floda")
    return services


async def _publish(services: Services, text: str) -> int:
    count = await publish_update(services, text)
    services.updates.on_enqueue()
    return count


async def test_a_follower_who_unblocks_gets_the_next_update(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
) -> None:
    world = emulator.world
    world.member_updates = True
    # An earlier bot left Telegram with a list that lacks my_chat_member: Telegram keeps the
    # last list given, so the bot must name the types it needs, also when it long-polls.
    world.allowed_updates = ["message", "callback_query"]
    application = build(emulator, bot_settings, deployment)
    async with serving(application, emulator):
        services = await _follower(application, world, catalogs)  # the bot has polled
        assert world.allowed_updates is not None
        assert "my_chat_member" in world.allowed_updates
        world.block(RESIDENT)  # Telegram: my_chat_member, member -> kicked
        await _until(lambda: _chat(bot_settings, RESIDENT) == 0, "the chat is inactive")
        assert await _publish(services, "Första uppdateringen.") == 0  # not to a blocked chat
        world.unblock(RESIDENT)  # my_chat_member, kicked -> member; no message from them
        await _until(lambda: _chat(bot_settings, RESIDENT) == 1, "the chat is active again")
        assert await _publish(services, "Andra uppdateringen.") == 1
        await world.wait_for(RESIDENT, lambda m: "Andra uppdateringen." in m.text)
    assert not any("Första uppdateringen." in m.text for m in world.received(RESIDENT))


async def test_any_update_from_a_chat_makes_it_active_again(
    emulator: Emulator, app: BotApp, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = emulator.world  # no my_chat_member: the bot learns of the block from a 403
    services = await _follower(app, world, catalogs)
    world.block(RESIDENT)
    assert await _publish(services, "Medan du var borta.") == 1
    await _until(lambda: _chat(bot_settings, RESIDENT) == 0, "the 403 marks the chat inactive")
    assert await _publish(services, "Fortfarande borta.") == 0
    await Person(world, RESIDENT, catalogs).say("hej")  # writing unblocks, as in Telegram
    await _until(lambda: _chat(bot_settings, RESIDENT) == 1, "the chat is active again")
    assert await _publish(services, "Välkommen tillbaka.") == 1
    await world.wait_for(RESIDENT, lambda m: "Välkommen tillbaka." in m.text)


async def test_removed_from_a_station_group_and_added_back(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    caplog: pytest.LogCaptureFixture,
) -> None:
    stations = [
        s.model_copy(update={"group_chat_id": FLODA_GROUP}) if s.id == "floda" else s
        for s in deployment.stations
    ]
    with_group = deployment.model_copy(update={"stations": stations})
    world = emulator.world
    world.member_updates = True
    world.group(FLODA_GROUP, "Samverkan Floda", [TRYGGHETSVARDAR])
    application = build(emulator, bot_settings, with_group)
    async with serving(application, emulator):
        world.remove_bot(FLODA_GROUP, by=TRYGGHETSVARDAR)
        await _until(lambda: _chat(bot_settings, FLODA_GROUP) == 0, "the group is inactive")
        world.add_bot(FLODA_GROUP, by=TRYGGHETSVARDAR)
        await _until(lambda: _chat(bot_settings, FLODA_GROUP) == 1, "the group is back")
        world.remove_bot(FLODA_GROUP, by=TRYGGHETSVARDAR, status="kicked")
        await _until(lambda: _chat(bot_settings, FLODA_GROUP) == 0, "kicked: inactive again")
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "floda" in r.getMessage()
    ]
    assert len(warnings) == 2, warnings
    assert "removed from the group chat of station floda" in warnings[0]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_the_emulator_sends_my_chat_member_only_when_asked(emulator: Emulator) -> None:
    world = emulator.world
    world.member_updates = True
    world.user(RESIDENT).started = True
    async with Bot(emulator.token, base_url=emulator.base_url) as bot:
        await bot.get_updates(allowed_updates=["message"])
        world.block(RESIDENT)
        assert await bot.get_updates(timeout=0) == ()  # not asked for: never queued
        await bot.get_updates(allowed_updates=["message", "my_chat_member"])
        world.unblock(RESIDENT)
        (update,) = await bot.get_updates(timeout=0)
        assert update.my_chat_member is not None
        assert update.my_chat_member.old_chat_member.status == "kicked"
        assert update.my_chat_member.new_chat_member.status == "member"
        assert update.my_chat_member.chat.id == RESIDENT
        world.block(RESIDENT)
        world.send_text(RESIDENT, "/start")  # writing unblocks: my_chat_member, then the message
        kinds = [
            "my_chat_member" if u.my_chat_member else "message"
            for u in await bot.get_updates(offset=update.update_id + 1, timeout=0)
        ]
        assert kinds == ["my_chat_member", "my_chat_member", "message"]
