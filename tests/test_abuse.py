"""Abuse resistance: per-resident limits, the error handler and the ops chat."""

from __future__ import annotations

import json

import pytest

from bot.domain.deployment import Deployment, Limits
from bot.emulator import Emulator
from bot.emulator.state import Message
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import build, in_process, serving
from tests.people import Person, db_rows

OPS = -100999


async def test_a_flooding_resident_is_slowed_and_others_are_not(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    strict = deployment.model_copy(update={"limits": Limits(messages_per_minute=5)})
    async with in_process(emulator, bot_settings, strict):
        world = emulator.world
        flooder, other = Person(world, 1001, catalogs), Person(world, 1002, catalogs)
        for n in range(12):
            world.send_text(flooder.id, f"/help {n}")
        await world.wait_idle(quiet=0.5)
        texts = flooder.texts()
        assert sum("Tips om brott" in t for t in texts) == 5  # the first five were answered
        assert sum("Du skickar väldigt mycket" in t for t in texts) == 1  # said once
        reply = await other.say("/help")
        assert "Tips om brott" in reply[-1].text


@pytest.mark.parametrize("lang", ["sv", "en"])
async def test_reports_per_hour_limit_keeps_the_draft(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    lang: str,
) -> None:
    strict = deployment.model_copy(update={"limits": Limits(reports_per_hour=1)})
    async with in_process(emulator, bot_settings, strict):
        person = Person(emulator.world, 1001, catalogs, lang)

        async def idea(text: str) -> list[Message]:
            await person.say("/idea")
            await person.tap("Floda")
            if person.t("privacy.agree") in str(person.world.last(person.id).inline_buttons):
                await person.tap(person.t("privacy.agree"))
            await person.say(text)
            await person.tap(person.t("nav.skip"))
            return await person.tap(person.t("summary.send"))

        await idea("Första idén om bättre ljus.")
        assert "FLO-0001" in person.last_text()
        refused = await idea("Andra idén om fler bänkar.")
        # Told in a message the resident can read again, in the resident's language; the
        # press itself is answered without text (no toast or alert that vanishes).
        limit = person.t("limits.reports")
        assert [m.text for m in refused] == [limit], person.texts()[-4:]
        assert person.world.callback_answers[person.last_query] == {
            "text": "",
            "show_alert": False,
        }
        summary, _ = person.button(person.t("summary.send"))  # still there: nothing lost
        assert person.t("summary.idea").removeprefix("<b>").removesuffix("</b>") in summary.text
        # Pressed again while the limit holds: a short answer, the message is not repeated.
        again = await person.tap(person.t("summary.send"))
        assert again == []
        assert person.answer() == person.t("limits.reports_again")
        assert len(person.answer()) < 60
        assert person.texts().count(limit) == 1
        assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM cases")[0]["n"] == 1


async def test_errors_are_told_plainly_and_ops_hears_once_a_minute(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"ops_chat_id": OPS})
    emulator.world.group(OPS, "Drift")
    for member in deployment.staff:  # else the start-up check tells the ops chat of them
        if member.telegram_id is not None:
            emulator.world.user(member.telegram_id).started = True
    app = build(emulator, settings, deployment)
    async with serving(app, emulator):
        person = Person(emulator.world, 1001, catalogs)
        await person.say("/rapport")
        await person.tap("Floda")
        await person.tap(person.t("privacy.agree"))
        services = app.bot_data.services
        assert services is not None

        async def broken(chat_id: int) -> object:
            raise RuntimeError("database on fire")

        services.cases_of = broken  # type: ignore[method-assign,assignment]
        first = await person.say("/arenden")
        assert "Något gick fel hos oss" in first[-1].text
        assert "Traceback" not in first[-1].text
        await person.say("/arenden")
        alerts = emulator.world.received(OPS)
        assert len(alerts) == 1  # once a minute, not once per error
        assert "RuntimeError" in alerts[0].text
        # Not a reply to the update: the alert is queued in the outbox as an alert (one that
        # cannot be delivered raises no other) and the outbox worker sends it.
        rows = db_rows(settings, "SELECT payload, status FROM outbox WHERE recipient = ?", str(OPS))
        assert [(json.loads(r["payload"]).get("alert"), r["status"]) for r in rows] == [
            (True, "sent")
        ]
        # The draft survived the error: the flow goes on where it was.
        await person.tap("Belysning")
        assert person.last_text().startswith("Var exakt?")
