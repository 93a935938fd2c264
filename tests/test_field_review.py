"""Field-ready (issue 15), after an attack review: only the update types the bot handles, one
global send budget for the outbox and the handlers, staff chats probed at start-up."""

from __future__ import annotations

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.settings import Settings
from storage.outbox import OutboxItem
from tests.bots import build, in_process, serving
from tests.people import Person

CUSTOMER = 1601
STAFF_CHATS = range(200001, 200041)  # 40 private chats of staff, each with a card
RESIDENTS = range(300001, 300021)  # 20 residents pressing /start at once


async def test_business_messages_are_not_asked_for_nor_answered(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A business_message is someone writing to a business account's owner, not to the bot:
    answered, the bot would write into other people's chats."""
    world = emulator.world
    world.user(CUSTOMER, "Kund").started = True
    async with in_process(emulator, bot_settings, deployment):
        person = Person(world, CUSTOMER, catalogs)
        await person.say("/start")  # the bot has polled with its allowed_updates
        assert world.allowed_updates is not None
        assert not [kind for kind in world.allowed_updates if "business" in kind]
        before = len(world.received(CUSTOMER))
        queued = world.business_message(CUSTOMER, "Hej, har ni öppet i dag?")
        # The same chat's next update is handled after it: whatever it got is there by then.
        replies = await person.say("/hjalp")
        assert replies
        assert len(world.received(CUSTOMER)) == before + len(replies)
        assert not any("förstod inte" in m.text for m in world.received(CUSTOMER))
        assert not queued  # Telegram keeps no update of a type the bot did not ask for


async def test_cards_and_replies_share_telegrams_global_budget(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    """Telegram's 30 messages a second are for the bot as a whole: the outbox's cards and the
    handlers' replies together stay under them (strict window, no 429)."""
    world = emulator.world
    world.flood.enabled = True
    world.flood.per_chat_per_second = 5  # only the global limit counts here
    for chat in (*STAFF_CHATS, *RESIDENTS):
        world.user(chat).started = True
    app = build(emulator, bot_settings, deployment)
    async with serving(app, emulator):
        services = app.bot_data.services
        assert services is not None
        await services.outbox.add(
            [OutboxItem("telegram", str(chat), "text", {"text": "Kort"}) for chat in STAFF_CHATS]
        )
        for chat in RESIDENTS:
            world.send_text(chat, "/start")
        services.desk.on_enqueue()
        for chat in STAFF_CHATS:
            await world.wait_for(chat, lambda m: m.text == "Kort", timeout=20)
        for chat in RESIDENTS:
            await world.wait_for(chat, lambda m: bool(m.inline_buttons), timeout=20)
    assert world.flood_errors == 0
