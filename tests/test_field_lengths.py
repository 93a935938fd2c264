"""Length limits where the bot wraps text (issue 15, item 6).

A note, a question, an answer and a promise update are sent inside headers (the reference, the
station, labels), in the recipient's language. A text that fits Telegram's 4096 characters on
its own can be over the limit once wrapped: the writer is told how much to cut, nothing is
confirmed or recorded, and a text cut by exactly that much arrives in full.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
from collections.abc import AsyncIterator, Callable

import pytest

from bot.domain.deployment import Deployment
from bot.domain.intake import DESCRIPTION_MAX, MAX_PHOTOS, PLACE_MAX, TIMES, Draft, TextProblem
from bot.domain.lifecycle import Status
from bot.domain.models import Case, CaseKind
from bot.domain.text import MESSAGE_LIMIT, telegram_length
from bot.emulator import Emulator
from bot.emulator.markup import parse_html, utf16_len
from bot.emulator.state import World
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person, db_rows, to_description

RESIDENT, FOLLOWER = 1001, 1002
POLIS_JKB, KOMMUN_JKB = 100000001, 100000002
#: Fits a message on its own (4096), but not with any header around it.
ALONE = MESSAGE_LIMIT - 6


@pytest.fixture
async def bot(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> AsyncIterator[Emulator]:
    """The bot with the bundled file's promises running (staff publish updates here)."""
    for staff in (POLIS_JKB, KOMMUN_JKB):
        emulator.world.user(staff, f"Staff {staff}").started = True  # they have opened the bot
    async with in_process(emulator, bot_settings, running_deployment):
        yield emulator


def prose(length: int) -> str:
    """Plain Swedish text of exactly `length` characters (no trailing space)."""
    text = ("Lamporna i trappan är bytta och det lyser igen hela kvällen. " * 80)[: length - 1]
    return text + "."


def cut_by(person: Person) -> int:
    """The number in 'Texten är N tecken för lång. ...', checked against the whole message."""
    said = person.last_text()
    found = re.search(r"\d+", said)
    # Arabic writes one and two in words ("بحرف واحد", by one character): no digit to read.
    excess = (
        int(found[0])
        if found
        else next(n for n in (1, 2) if said == person.t("error.too_long_by", excess=n))
    )
    assert said == person.t("error.too_long_by", excess=excess)
    assert excess > 0
    return excess


async def all_delivered(settings: Settings, timeout: float = 15) -> list[str]:
    """Wait until no Telegram message is pending in the outbox; the status of each row."""
    deadline = time.monotonic() + timeout
    while True:
        statuses = [
            r["status"]
            for r in db_rows(settings, "SELECT status FROM outbox WHERE channel = 'telegram'")
        ]
        if "pending" not in statuses or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.05)


async def arabic_report(world: World, catalogs: Catalogs) -> Person:
    """A resident who reads Arabic reports a broken lamp at Jakobsberg (JKB-0001)."""
    resident = Person(world, RESIDENT, catalogs, lang="ar")
    await to_description(
        resident, "Jakobsberg", "الإضاءة", "Trappan till perrong 1", resident.t("times.evening")
    )
    await resident.say("Lamporna är trasiga och det är helt mörkt.")
    await resident.tap(resident.t("nav.skip"))
    await resident.tap(resident.t("summary.send"))
    await world.wait_for(KOMMUN_JKB, lambda m: "JKB-0001" in m.text)
    return resident


def events(settings: Settings) -> list[str]:
    return [r["action"] for r in db_rows(settings, "SELECT action FROM case_events ORDER BY id")]


async def test_a_note_too_long_once_wrapped_is_refused_and_one_cut_to_fit_arrives_in_full(
    bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = bot.world
    resident = await arabic_report(world, catalogs)
    officer = Person(world, KOMMUN_JKB, catalogs)  # the kommunpolis got the card
    await officer.tap("Kvittera")
    await world.wait_for(RESIDENT, lambda m: "JKB-0001" in m.text)
    heard = len(world.received(RESIDENT))

    await officer.tap("Åtgärdad")
    await officer.say(prose(ALONE))
    excess = cut_by(officer)  # said in the officer's Swedish, counted for the Arabic reader
    (case,) = db_rows(bot_settings, "SELECT status FROM cases")
    assert case["status"] == Status.ACKNOWLEDGED  # nothing was done
    assert "resolve" not in events(bot_settings)
    # The officer is still writing the note: one character less than asked is still too long.
    await officer.say(prose(ALONE - excess + 1))
    assert cut_by(officer) == 1
    note = prose(ALONE - excess)
    await officer.say(note)
    assert officer.last_text() == officer.t(
        "desk.done", reference="JKB-0001", status=officer.t("status.resolved")
    )
    resolved = await world.wait_for(RESIDENT, lambda m: note in m.text, after=heard)
    assert utf16_len(resolved.text) <= MESSAGE_LIMIT
    assert "failed" not in await all_delivered(bot_settings)
    assert events(bot_settings).count("resolve") == 1
    assert len(world.received(RESIDENT)) == heard + 1  # nothing but the note
    assert resident.lang == "ar"


async def test_a_question_too_long_once_wrapped_is_refused_with_how_much_to_cut(
    bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = bot.world
    await arabic_report(world, catalogs)
    heard = len(world.received(RESIDENT))
    officer = Person(world, KOMMUN_JKB, catalogs)
    await officer.tap("Fråga invånaren")
    await officer.say(prose(ALONE))
    excess = cut_by(officer)
    assert "ask" not in events(bot_settings)
    await all_delivered(bot_settings)
    assert len(world.received(RESIDENT)) == heard  # no question, no answer button
    question = prose(ALONE - excess)
    await officer.say(question)
    assert officer.last_text() == officer.t("desk.asked", reference="JKB-0001")
    asked = await world.wait_for(RESIDENT, lambda m: question in m.text)
    assert asked.inline_buttons  # the answer button came with it
    assert "failed" not in await all_delivered(bot_settings)


async def test_an_answer_too_long_once_wrapped_is_refused_in_the_residents_language(
    bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = bot.world
    resident = await arabic_report(world, catalogs)
    officer = Person(world, KOMMUN_JKB, catalogs)
    await officer.tap("Fråga invånaren")
    await officer.say("Gäller det trappan på norra eller södra sidan?")
    await world.wait_for(RESIDENT, lambda m: "norra eller södra" in m.text)
    await all_delivered(bot_settings)
    seen = len(world.received(KOMMUN_JKB))

    await resident.tap(resident.t("resident.answer_btn"))
    await resident.say(prose(ALONE))
    excess = cut_by(resident)  # in Arabic, counted for the officer's Swedish header
    assert "answer" not in events(bot_settings)
    await resident.say(prose(ALONE - excess + 1))
    assert cut_by(resident) == 1
    answer = prose(ALONE - excess)
    await resident.say(answer)
    assert resident.last_text() == resident.t("resident.answer_sent", reference="JKB-0001")
    got = await world.wait_for(KOMMUN_JKB, lambda m: answer in m.text, after=seen)
    assert utf16_len(got.text) == MESSAGE_LIMIT
    assert "failed" not in await all_delivered(bot_settings)
    assert events(bot_settings).count("answer") == 1


async def test_a_promise_update_too_long_once_wrapped_is_refused_before_the_preview(
    bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = bot.world
    follower = Person(world, FOLLOWER, catalogs, lang="ar")
    await follower.say("/installningar")
    await follower.tap(follower.t("settings.follow"))
    await follower.tap("Jakobsberg")
    officer = Person(world, POLIS_JKB, catalogs)
    await officer.say("/uppdatera")
    await officer.tap("Kommunen har trygghetsskapande personal")
    await officer.tap("pågår")
    await officer.say(prose(ALONE))
    excess = cut_by(officer)
    assert "Förhandsvisning" not in officer.last_text()
    await officer.say(prose(ALONE - excess + 1))
    assert cut_by(officer) == 1
    text = prose(ALONE - excess)
    preview = await officer.say(text)
    assert "Förhandsvisning" in preview[-1].text
    published = await officer.tap("Publicera")
    assert "Det skickas till 1 mottagare" in published[-1].text
    general = await world.wait_for(FOLLOWER, lambda m: text in m.text)
    assert utf16_len(general.text) <= MESSAGE_LIMIT
    assert "failed" not in await all_delivered(bot_settings)
    (update,) = db_rows(bot_settings, "SELECT text FROM commitment_updates")
    assert update["text"] == text


# ---------------------------------------------------------------------- how Telegram counts
@pytest.mark.parametrize(
    "html_text",
    [
        "<b>JKB-0001</b> · Jakobsberg",
        "a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &#x1F4A1;",
        "&nbsp; stays as written, &copy; too",
        "💡 and 𝐛𝐨𝐥𝐝 count twice: UTF-16",
        "\u2068JKB-0001\u2069 isolated in Arabic text",
        "<blockquote>one\ntwo</blockquote>\n<i>x</i>",
    ],
)
def test_the_length_rule_counts_as_telegram_does(html_text: str) -> None:
    """The domain's rule agrees with the emulator's model of the HTML parse mode."""
    visible, _ = parse_html(html_text)
    assert telegram_length(html_text) == utf16_len(visible)


# ---------------------------------------------------------------------- the case card
def longest_accepted(setter: Callable[[str], None], char: str) -> str:
    """The longest run of `char` the intake accepts through `setter` (a Draft's)."""
    low, high = 1, 100_000  # accepted, refused
    while high - low > 1:
        middle = (low + high) // 2
        try:
            setter(char * middle)
        except TextProblem:
            high = middle
        else:
            low = middle
    return char * low


async def test_the_longest_card_fits_in_every_language(
    bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A card with the longest description and place the intake accepts (emoji count twice
    for Telegram), the longest station and category names, every time of day and photo, and
    the escalation header above it, fits one message in every language staff may read."""
    draft = Draft(kind=CaseKind.REPORT.value)
    place = longest_accepted(draft.set_place_text, "🚉")
    description = longest_accepted(draft.set_description, "💡")
    station = max(deployment.stations, key=lambda s: len(s.name))
    services = await Services.open(bot_settings, deployment, catalogs)
    try:
        desk = services.desk
        for lang in catalogs.languages:
            desk.lang = lang
            category = max(deployment.categories, key=lambda c: len(c.name.get(lang) or ""))
            case = Case(
                id=1,
                reference="JKB-99999",
                station_id=station.id,
                number=99999,
                kind=CaseKind.REPORT,
                category=category.id,
                status=Status.NOT_ACTIONABLE,
                resident_id=1,
                place_text=place,
                lat=-89.123456,
                lon=-179.123456,
                times=TIMES,
                description=description,
                language=lang,
                created_at="2026-12-31T23:59:59+00:00",
                photos=tuple(f"photos/{n:064d}.jpg" for n in range(MAX_PHOTOS)),
                supporters=999_999,
            )
            card = desk.card_text(case)
            assert description in card  # nothing was cut
            assert place in card
            alert = desk.t(
                "desk.escalated", reference=case.reference, station=station.name, hours=999
            )
            reminder = desk.t("desk.reminder", reference=case.reference, hours=999)
            for message in (card, f"{alert}\n\n{card}", f"{reminder}\n\n{card}"):
                assert telegram_length(message) <= MESSAGE_LIMIT, lang
    finally:
        await services.close()


async def test_a_description_is_measured_as_telegram_counts_so_the_card_arrives(
    bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """2,000 emoji are 4,000 characters to Telegram: with a long place the card could not be
    sent, yet the resident heard that it had reached staff. The description step says so."""
    world = bot.world
    resident = Person(world, RESIDENT, catalogs)
    place = "🚉" * (PLACE_MAX // 2)
    await to_description(resident, "Jakobsberg", "Belysning", place)
    # A word first: emoji alone are refused for want of words (test_domain), not for length.
    await resident.say("Ljus" + "💡" * (DESCRIPTION_MAX - 2))
    assert resident.last_text() == resident.t(
        "error.too_long", limit=DESCRIPTION_MAX, length=2 * DESCRIPTION_MAX
    )
    description = "Ljus" + "💡" * (DESCRIPTION_MAX // 2 - 2)  # just at the limit, as counted
    await resident.say(description)
    await resident.tap(resident.t("nav.skip"))
    done = await resident.tap(resident.t("summary.send"))
    assert "JKB-0001" in done[-1].text
    card = await world.wait_for(KOMMUN_JKB, lambda m: "JKB-0001" in m.text)
    assert description in card.text
    assert place in card.text
    assert "failed" not in await all_delivered(bot_settings)


# ---------------------------------------------------------------------- promises and digests
async def publish_long_updates(services: Services, count: int) -> list[str]:
    """`count` staff updates of 3,000 characters each, on different Jakobsberg commitments."""
    member = await services.staff.by_telegram(POLIS_JKB)
    assert member is not None
    texts = []
    for n, choice in enumerate(services.updates.choices(member)[:count]):
        text = f"Uppdatering {n}: " + prose(3000)
        await services.updates.publish(member, choice, None, text, None)
        texts.append(text)
    assert len(texts) == count
    return texts


def fits_and_holds(messages: list[str], texts: list[str]) -> None:
    """Each message within Telegram's limit; every update text whole in one of them."""
    assert len(messages) > 1
    for message in messages:
        assert utf16_len(parse_html(message)[0]) <= MESSAGE_LIMIT
    for text in texts:
        assert any(text in message for message in messages), text[:20]


async def test_a_promise_with_long_updates_is_shown_in_several_messages(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """/lofte shows each commitment's latest update: three long ones are more than one
    message holds, so the promise comes in several, each whole, instead of an error."""
    deployment = running_deployment  # the seeds' promises have ended: no updates on them
    services = await Services.open(bot_settings, deployment, catalogs)
    try:
        texts = await publish_long_updates(services, 3)
    finally:
        await services.close()
    async with in_process(emulator, bot_settings, deployment):
        person = Person(emulator.world, RESIDENT, catalogs)
        await person.say("/lofte")
        shown = await person.tap("Jakobsberg")
    fits_and_holds([m.text for m in shown], texts)
    assert "Tryggare stationsområde i Jakobsberg" in shown[0].text


async def test_a_digest_with_long_updates_is_queued_in_several_messages(
    bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    deployment = running_deployment  # the seeds' promises have ended: no updates on them
    services = await Services.open(bot_settings, deployment, catalogs)
    try:
        resident = await services.residents.touch(RESIDENT, "ar")
        await services.promises.follow(resident.id, "jakobsberg")
        texts = await publish_long_updates(services, 3)  # each also broadcast to the follower
        month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
        assert await services.updates.digest("jakobsberg", month) == 1  # one follower
    finally:
        await services.close()
    queued = db_rows(
        bot_settings, "SELECT payload FROM outbox WHERE recipient = ? ORDER BY id", str(RESIDENT)
    )
    digest = [json.loads(r["payload"])["text"] for r in queued][len(texts) :]
    fits_and_holds(digest, texts)
