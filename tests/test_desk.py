"""The officer desk end to end: routing, the card, actions, questions, e-mail, delivery."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from email.message import Message as EmailMessage
from typing import Any

import pytest

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import build, in_process, serving
from tests.images import jpeg
from tests.people import Person
from tests.people import db_rows as rows
from tests.processes import Sink

RESIDENT = 1001
POLIS_JKB, KOMMUN_JKB, POLIS_STK, VASTTRAFIK, ADMIN = (
    100000001,
    100000002,
    100000003,
    100000004,
    100000009,
)


@pytest.fixture
def desk_settings(bot_settings: Settings, smtp: tuple[Sink, int]) -> Settings:
    return bot_settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1], "smtp_tls": "none"}
    )


@pytest.fixture
async def desk_bot(
    emulator: Emulator, desk_settings: Settings, running_deployment: Deployment
) -> AsyncIterator[Emulator]:
    """The bot with the bundled file's promises running (its seeds' have ended): a case is
    linked only to a commitment of a promise that has not ended."""
    for staff in (POLIS_JKB, KOMMUN_JKB, POLIS_STK, VASTTRAFIK, ADMIN):
        emulator.world.user(staff, f"Staff {staff}").started = True  # they have opened the bot
    async with in_process(emulator, desk_settings, running_deployment):
        yield emulator


async def report(
    resident: Person,
    station: str = "Jakobsberg",
    category: str = "Belysning",
    before_send: Any = None,
) -> str:
    await resident.say("/rapport")
    await resident.tap(station)
    if resident.t("privacy.agree") in [
        b["text"] for b in resident.world.last(resident.id).inline_buttons
    ]:
        await resident.tap(resident.t("privacy.agree"))
    await resident.tap(category)
    await resident.send_location(59.4236, 17.8330)
    await resident.say("Trappan till perrong 1")
    await resident.tap("Kväll")
    await resident.tap(resident.t("nav.done"))
    await resident.say("Lamporna är trasiga och det är helt mörkt.")
    await resident.send_photo(jpeg())
    await resident.tap(resident.t("nav.done"))
    if before_send:
        before_send()
    done = await resident.tap(resident.t("summary.send"))
    return done[-1].text


async def wait_for_text(world: Any, chat: int, text: str, timeout: float = 15) -> Any:
    return await world.wait_for(chat, lambda m: text in m.text, timeout=timeout)


async def test_report_reaches_the_right_staff_and_the_whole_dialogue(
    desk_bot: Emulator, desk_settings: Settings, catalogs: Catalogs, smtp: tuple[Sink, int]
) -> None:
    world = desk_bot.world
    resident = Person(world, RESIDENT, catalogs)
    officer = Person(world, POLIS_JKB, catalogs)
    assert "JKB-0001" in await report(resident)

    card = await wait_for_text(world, POLIS_JKB, "JKB-0001", timeout=5)
    for expected in (
        "Jakobsberg",
        "Belysning",
        "Trappan till perrong 1",
        "Kväll",
        "Lamporna är trasiga",
        "Foton: 1",
        "Håller med: 0",
        "Mottaget",
    ):
        assert expected in card.text
    assert "Person 1001" not in card.text  # never the resident's name or id
    assert str(RESIDENT) not in card.text
    await world.wait_for(POLIS_JKB, lambda m: m.kind == "photo")
    await world.wait_for(POLIS_JKB, lambda m: m.kind == "location")
    await wait_for_text(world, KOMMUN_JKB, "JKB-0001")  # the kommun owns lighting here
    await world.wait_idle(quiet=0.5)
    assert world.received(POLIS_STK) == []  # other stations' staff get nothing
    assert world.received(VASTTRAFIK) == []
    # The kommunpolis also has an e-mail address: the card arrives by SMTP too.
    for _ in range(50):
        if smtp[0].messages:
            break
        await asyncio.sleep(0.1)
    (mail,) = smtp[0].messages
    assert "JKB-0001" in mail["Subject"]
    assert mail["To"] == "kommunpolis.jarfalla@example.org"
    assert mail.is_multipart()  # the photo is attached
    body = mail.get_payload(0)
    assert isinstance(body, EmailMessage)
    content = body.get_payload(decode=True)
    assert isinstance(content, bytes)
    assert "Lamporna är trasiga" in content.decode()

    # Acknowledge: the resident hears it under the reference.
    await officer.tap("Kvittera")
    heard = await wait_for_text(world, RESIDENT, "JKB-0001 är läst av Lokalpolisområde Järfälla")
    assert heard

    # Ask a question; the resident answers; the answer comes back to the officer.
    await officer.tap("Fråga invånaren")
    assert "Skriv din fråga" in officer.last_text()
    await officer.say("Gäller det trappan på norra eller södra sidan?")
    question = await wait_for_text(world, RESIDENT, "Gäller det trappan på norra")
    assert "JKB-0001" in question.text
    await resident.tap("Svara")
    await resident.say("Norra sidan, mot bussterminalen.")
    answer = await wait_for_text(world, POLIS_JKB, "Norra sidan, mot bussterminalen.")
    assert "Svar från invånaren om JKB-0001" in answer.text
    assert str(RESIDENT) not in answer.text

    # Resolve with a note to the resident.
    await officer.tap("Åtgärdad")
    await officer.say("Kommunen har bytt lamporna i trappan.")
    resolved = await wait_for_text(world, RESIDENT, "Kommunen har bytt lamporna")
    assert "JKB-0001 är åtgärdat" in resolved.text
    (case,) = rows(desk_settings, "SELECT * FROM cases")
    assert case["status"] == "resolved"
    assert case["acknowledged_at"] is not None
    assert case["resolved_at"] is not None
    events = [
        r["action"] for r in rows(desk_settings, "SELECT action FROM case_events ORDER BY id")
    ]
    assert events == ["created", "acknowledge", "ask", "answer", "resolve"]
    staff_ids = {
        r["staff_id"]
        for r in rows(
            desk_settings, "SELECT staff_id FROM case_events WHERE action = 'acknowledge'"
        )
    }
    assert None not in staff_ids  # who did it is stored


async def test_forged_callbacks_change_nothing(
    desk_bot: Emulator, desk_settings: Settings, catalogs: Catalogs
) -> None:
    world = desk_bot.world
    resident = Person(world, RESIDENT, catalogs)
    await report(resident)
    card = await wait_for_text(world, POLIS_JKB, "JKB-0001")
    for intruder in (RESIDENT, POLIS_STK, VASTTRAFIK, 555):
        person = Person(world, intruder, catalogs)
        await person.say("/start")  # any message of the bot in their own chat will do
        own = world.received(intruder)[-1]
        for data in ("v1:c:ack:JKB-0001", "v1:c:res:JKB-0001", "v1:c:show:JKB-0001"):
            person._mark = person.mark()
            person.last_query = world.press(intruder, own.id, data, forge=True)
            await person.settle()
            assert person.answer() == "Det här kan du inte göra.", (intruder, data)
            since = world.received(intruder)[person._mark :]
            assert all("Lamporna" not in m.text for m in since)  # the card is not revealed
    assert rows(desk_settings, "SELECT status FROM cases")[0]["status"] == "new"
    assert [r["action"] for r in rows(desk_settings, "SELECT action FROM case_events")] == [
        "created"
    ]
    assert card  # the real officer still has the card


async def test_flood_control_and_restart_deliver_exactly_once(
    emulator: Emulator, desk_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    for staff in (POLIS_JKB, KOMMUN_JKB, ADMIN):
        world.user(staff).started = True
    resident = Person(world, RESIDENT, catalogs)
    # The outbox spaces a chat's messages 1 s apart, Telegram's limit, so a 429 would depend
    # on timing; spacing them 0.5 s apart makes the emulator answer 429 every time.
    desk_settings = desk_settings.model_copy(update={"rate_per_chat": 2.0})

    def flood_on() -> None:  # Telegram's 1 message per second per chat, from the submit on
        world.flood.enabled = True

    async with in_process(emulator, desk_settings, deployment, wait_outbox=False):
        await report(resident, before_send=flood_on)
        # Stop as soon as the first of the card's three messages has reached the officer.
        await world.wait_for(POLIS_JKB, lambda m: "JKB-0001" in m.text, timeout=15)
    pending = rows(desk_settings, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
    assert pending[0]["n"] > 0, "the restart happens in the middle of delivery"
    async with in_process(emulator, desk_settings, deployment):
        for _ in range(100):
            left = rows(desk_settings, "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'")
            if left[0]["n"] == 0:
                break
            await asyncio.sleep(0.2)
    assert world.flood_errors > 0, "a 429 happened on the way"
    officer = world.received(POLIS_JKB)
    assert [m.kind for m in officer] == ["text", "photo", "location"]  # once each, in order
    assert [m.kind for m in world.received(KOMMUN_JKB)] == ["text", "photo", "location"]
    sent = rows(
        desk_settings,
        "SELECT recipient, kind, COUNT(*) AS n FROM outbox WHERE status = 'sent'"
        " GROUP BY recipient, kind",
    )
    assert all(r["n"] == 1 for r in sent)


async def test_blocked_staff_chat_is_marked_inactive(
    desk_bot: Emulator, desk_settings: Settings, catalogs: Catalogs
) -> None:
    world = desk_bot.world
    world.block(KOMMUN_JKB)
    await report(Person(world, RESIDENT, catalogs))
    await wait_for_text(world, POLIS_JKB, "JKB-0001")
    for _ in range(50):
        dead = rows(desk_settings, "SELECT * FROM chats WHERE chat_id = ?", KOMMUN_JKB)
        if dead:
            break
        await asyncio.sleep(0.1)
    assert dead[0]["active"] == 0
    assert "blocked" in dead[0]["reason"]


async def test_staff_list_invite_and_open_cases(
    desk_bot: Emulator, desk_settings: Settings, catalogs: Catalogs
) -> None:
    world = desk_bot.world
    admin = Person(world, ADMIN, catalogs)
    reply = await admin.say("/invite jarfalla-kommun jakobsberg partner")
    code = reply[-1].text.split("Engångskod: ")[1].split(" ")[0]
    newcomer = Person(world, 4242, catalogs)
    linked = await newcomer.say(f"/start {code}")
    assert "Du är nu kopplad som partner för Järfälla kommun (jakobsberg)" in linked[-1].text
    again = await Person(world, 4343, catalogs).say(f"/start {code}")
    assert "Koden fungerar inte" in again[-1].text  # one-time
    staff = await admin.say("/staff")
    assert "Person 4242" in staff[-1].text
    refused = await Person(world, RESIDENT, catalogs).say("/invite vasttrafik jakobsberg")
    assert refused[-1].text == "Det här kan du inte göra."
    await report(Person(world, RESIDENT, catalogs))
    card = await wait_for_text(world, 4242, "JKB-0001")  # the invited partner gets it now
    assert card
    listing = await Person(world, POLIS_JKB, catalogs).say("/arenden")
    assert "Öppna ärenden (1)" in listing[-1].text
    await admin.tap("Återkalla Person 4242")
    assert "Person 4242 har inte längre åtkomst" in admin.last_text()
    replies = await newcomer.say("/arende JKB-0001")  # (the card's photo may still arrive)
    assert "Det här kan du inte göra." in [m.text for m in replies]


async def test_unacknowledged_case_is_reminded_and_escalated(
    emulator: Emulator, desk_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    import datetime as dt

    world = emulator.world
    for staff in (POLIS_JKB, KOMMUN_JKB, ADMIN):
        world.user(staff).started = True
    app = build(emulator, desk_settings, deployment)
    async with serving(app, emulator):
        await report(Person(world, RESIDENT, catalogs))
        await wait_for_text(world, POLIS_JKB, "JKB-0001")
        services = app.bot_data.services
        assert services is not None
        assert await services.escalation.run() == 0  # not yet 48 hours
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
        assert await services.escalation.run(later) == 1
        reminder = await wait_for_text(world, POLIS_JKB, "Påminnelse: JKB-0001")
        assert "48 timmar" in reminder.text
        alert = await wait_for_text(world, ADMIN, "JKB-0001 vid Jakobsberg har inte kvitterats")
        assert alert.inline_buttons  # the admin can act on it
        assert await services.escalation.run(later) == 0  # once


async def test_forward_and_link_to_a_commitment(
    desk_bot: Emulator, desk_settings: Settings, catalogs: Catalogs
) -> None:
    world = desk_bot.world
    await report(Person(world, RESIDENT, catalogs), station="Floda", category="Belysning")
    officer = Person(world, POLIS_STK, catalogs)
    await wait_for_text(world, POLIS_STK, "FLO-0001")
    assert world.received(VASTTRAFIK) == []
    await officer.tap("Skicka vidare")
    await officer.tap("Västtrafik")
    await wait_for_text(world, POLIS_STK, "FLO-0001 har skickats vidare till Västtrafik")
    await wait_for_text(world, VASTTRAFIK, "FLO-0001")  # now Västtrafik has the card too
    await officer.tap("Koppla till löftet")
    await officer.tap("Rondering av städ och drift")
    await wait_for_text(world, POLIS_STK, "FLO-0001 är kopplat till: Rondering")
    (case,) = rows(desk_settings, "SELECT status, commitment_id FROM cases")
    assert (case["status"], case["commitment_id"]) == ("new", "stk-tv-rondering")
    actors = {r["actor_id"] for r in rows(desk_settings, "SELECT actor_id FROM case_actors")}
    assert "vasttrafik" in actors


def test_cli_invite(tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["invite", "--actor", "vasttrafik", "--stations", "floda,lerum"]) == 0
    out = capsys.readouterr().out
    assert "/start " in out
    assert main(["invite", "--actor", "nobody", "--stations", "floda"]) == 2
    assert "Okänd aktör: 'nobody'" in capsys.readouterr().err
