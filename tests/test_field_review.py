"""Field-ready (issue 15), after an attack review: only the update types the bot handles, one
global send budget for the outbox and the handlers, staff chats probed at start-up."""

from __future__ import annotations

from bot.app import build_application, running
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.people import Person

CUSTOMER = 1601


async def test_business_messages_are_not_asked_for_nor_answered(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A business_message is someone writing to a business account's owner, not to the bot:
    answered, the bot would write into other people's chats."""
    world = emulator.world
    world.user(CUSTOMER, "Kund").started = True
    async with running(build_application(bot_settings, deployment), poll_timeout=1):
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
