"""Issue 15, item 1's principle for promise updates and answers: each happens once.

Telegram delivers an update again when the bot dies before confirming it; if the bot also died
before its persistence wrote its state away (about once a second), the restarted bot sees the
pending update (or the question waiting for an answer) and the press (or the text) again.
"Publicera" stores and broadcasts the update once; a resident's answer reaches staff once.
"""

from __future__ import annotations

import pytest

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.markup import parse_html
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import in_process
from tests.crash import restore, snapshot, until
from tests.people import Person, db_rows, to_description


@pytest.fixture
def deployment(running_deployment: Deployment) -> Deployment:
    """The bundled deployment with its promises running: the seeds' promises have ended, and
    these tests publish staff updates, which an ended promise refuses."""
    return running_deployment


RESIDENT = 1001
FOLLOWER = 1002
POLIS_JKB = 100000001
GENERAL = "Nytt om löftet vid Jakobsberg"
COMMITMENT = "Kommunen har trygghetsskapande personal"


def nothing_pending(settings: Settings) -> bool:
    return not db_rows(settings, "SELECT id FROM outbox WHERE status = 'pending'")


async def test_publicera_delivered_again_after_a_crash_is_published_once(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    world.user(POLIS_JKB).started = True
    follower = Person(world, FOLLOWER, catalogs)
    officer = Person(world, POLIS_JKB, catalogs)
    async with in_process(emulator, bot_settings, deployment):
        await follower.say("/installningar")
        await follower.tap("Följ en station")
        await follower.tap("Jakobsberg")
        await officer.say("/uppdatera")
        await officer.tap(COMMITMENT)
        await officer.tap("pågår")
        preview = await officer.say("Från och med i måndags finns trygghetsvärdar kl 18–23.")
        assert "Förhandsvisning" in preview[-1].text
    persisted = snapshot(bot_settings.database)  # the pending update, not yet published
    async with in_process(emulator, bot_settings, deployment):
        published = await officer.tap("Publicera")
        assert "Det skickas till 1 mottagare" in published[-1].text
        query = officer.last_query
        await world.wait_for(FOLLOWER, lambda m: GENERAL in m.text)
    # The process died before persistence wrote the published update away and before it
    # confirmed the press: the next one starts from the preview, and gets the press again.
    restore(bot_settings.database, persisted)
    world.deliver_again(query)
    again = officer.mark()
    already = parse_html(officer.t("update.already"))[0]
    async with in_process(emulator, bot_settings, deployment):
        reply = await world.wait_for(
            POLIS_JKB, lambda m: already in m.text or "Publicerat" in m.text, after=again
        )
        # Whatever a second publish queued would be in the outbox by now (it is written with
        # the update, before the answer to staff): wait until the outbox has sent everything.
        await until(lambda: nothing_pending(bot_settings))
    assert sum(GENERAL in m.text for m in world.received(FOLLOWER)) == 1
    (update,) = db_rows(bot_settings, "SELECT * FROM commitment_updates")
    assert update["token"]
    assert reply.text == already


async def test_an_answer_delivered_again_after_a_crash_reaches_staff_once(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    world.user(POLIS_JKB).started = True
    resident = Person(world, RESIDENT, catalogs)
    officer = Person(world, POLIS_JKB, catalogs)
    async with in_process(emulator, bot_settings, deployment):
        await to_description(resident, "Jakobsberg", "Behov av närvaro", "Vid stationsentrén")
        await resident.say("Ingen personal syns här på kvällarna.")
        await resident.tap(resident.t("nav.skip"))
        await resident.tap(resident.t("summary.send"))
        await world.wait_for(POLIS_JKB, lambda m: "JKB-0001" in m.text)
        await world.wait_idle(quiet=1.2)  # the card's parts are delivered
        await officer.tap("Fråga invånaren")
        await officer.say("Vilken tid brukar det vara tomt?")
        await world.wait_for(RESIDENT, lambda m: "Vilken tid brukar det vara tomt?" in m.text)
        await resident.tap("Svara")
    persisted = snapshot(bot_settings.database)  # waiting for the answer
    answer = "Mellan sju och nio på kvällen."
    async with in_process(emulator, bot_settings, deployment):
        await resident.say(answer)
        await world.wait_for(POLIS_JKB, lambda m: answer in m.text)
    (sent,) = [m for m in world.chat(RESIDENT).messages if not m.outgoing and m.text == answer]
    # Died before persistence wrote that the answer was taken and before it confirmed the
    # text: the next one starts waiting for the answer, and gets the same message again.
    restore(bot_settings.database, persisted)
    again = resident.mark()
    world.deliver_message_again(RESIDENT, sent.id)
    confirmed = parse_html(resident.t("resident.answer_sent", reference="JKB-0001"))[0]
    async with in_process(emulator, bot_settings, deployment):
        await world.wait_for(RESIDENT, lambda m: confirmed in m.text, after=again)
        # A second answer to staff would be in the outbox by now (written with the event,
        # before the resident's confirmation): wait until the outbox has sent everything.
        await until(lambda: nothing_pending(bot_settings))
    assert sum(answer in m.text for m in world.received(POLIS_JKB)) == 1
    events = db_rows(bot_settings, "SELECT * FROM case_events WHERE action = 'answer'")
    assert [e["message"] for e in events] == [f"{events[0]['case_id']}:{sent.id}"]
