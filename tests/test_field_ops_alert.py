"""The ops chat hears of an error even when the failure is the database itself (issue 16
review: the alert had moved into the outbox, which then could not take it)."""

from __future__ import annotations

import sqlite3

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import build, serving
from tests.people import Person

OPS = -100998


async def test_ops_hears_of_an_error_when_the_database_refuses_writes(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The alert is an outbox row; when the database takes no writes (disk full, a read-only
    file after a restore), it goes at once through the delivery layer instead of being lost
    with the failing handler's write."""
    settings = bot_settings.model_copy(update={"ops_chat_id": OPS})
    emulator.world.group(OPS, "Drift")
    for member in deployment.staff:  # else the start-up check tells the ops chat of them
        if member.telegram_id is not None:
            emulator.world.user(member.telegram_id).started = True
    app = build(emulator, settings, deployment)
    async with serving(app, emulator):
        person = Person(emulator.world, 1001, catalogs)
        await person.say("/start")
        services = app.bot_data.services
        assert services is not None

        async def disk_full(*args: object, **kwargs: object) -> object:
            raise sqlite3.OperationalError("database or disk is full")

        # Reads still work (the error handler reads the resident's language); writes do not.
        services.cases_of = disk_full  # type: ignore[method-assign,assignment]
        services.outbox.add = disk_full  # type: ignore[method-assign,assignment]
        reply = await person.say("/arenden")
        assert "Något gick fel hos oss" in reply[-1].text
        alerts = emulator.world.received(OPS)
        assert len(alerts) == 1, "the ops chat was not told of the failure"
        assert "OperationalError" in alerts[0].text
