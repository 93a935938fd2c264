"""Buttons and chats are not trusted: "me too" only for what was offered, resident flows only in
private chats, case views only in private chats or the station's own group (issue 14)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import build_application, running
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.state import Message
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.people import Person, agree, db_rows

ALICE, BOB, CAROL = 1001, 1002, 1003
POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN = 100000001, 100000002, 100000003, 100000009


@pytest.fixture
async def trust_bot(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> AsyncIterator[Emulator]:
    for staff in (POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN):
        emulator.world.user(staff, f"Staff {staff}").started = True  # they have opened the bot
    async with running(build_application(bot_settings, deployment), poll_timeout=1):
        yield emulator


def buttons(person: Person) -> list[str]:
    return [b["text"] for b in person.world.last(person.id).inline_buttons]


async def start_report(person: Person, station: str, category: str) -> list[Message]:
    """A new report up to the step after the category: the 'me too' offer or the place."""
    await person.say("/rapport")
    await person.tap(station)
    if person.t("privacy.agree") in buttons(person):
        await agree(person)
    return await person.tap(category)


async def file_report(person: Person, station: str, category: str) -> str:
    """A complete report (declining any 'me too' offer); returns its reference."""
    await start_report(person, station, category)
    if person.t("metoo.new") in buttons(person):
        await person.tap(person.t("metoo.new"))
    await person.say("Vid trappan upp till perrong 1")
    await person.tap(person.t("nav.continue"))
    await person.tap(person.t("times.evening"))
    await person.tap(person.t("nav.done"))
    await person.say("Lamporna vid trappan har varit trasiga i flera veckor.")
    await person.tap(person.t("nav.skip"))
    done = await person.tap(person.t("summary.send"))
    (reference,) = [w.strip(".,:") for w in done[-1].text.split() if "-00" in w]
    return reference


def supporters(settings: Settings) -> list[tuple[str, int]]:
    return [
        (r["reference"], r["chat_id"])
        for r in db_rows(
            settings,
            "SELECT c.reference, r.chat_id FROM case_supporters s"
            " JOIN cases c ON c.id = s.case_id JOIN residents r ON r.id = s.resident_id",
        )
    ]


# ---------------------------------------------------------------------- item 1: me too
async def test_me_too_accepts_only_a_case_that_was_offered(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = trust_bot.world
    alice, bob, carol = (Person(world, i, catalogs) for i in (ALICE, BOB, CAROL))
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    assert await file_report(carol, "Jakobsberg", "Klotter och skadegörelse") == "JKB-0002"
    assert await file_report(carol, "Floda", "Belysning") == "FLO-0001"
    offer = await start_report(bob, "Jakobsberg", "Belysning")
    assert "JKB-0001" in offer[-1].text
    assert "JKB-0002" not in offer[-1].text
    _, data = bob.button("JKB-0001")
    token = data.split(":")[1]
    # References are sequential: a client can put any of them in the button.
    for other in ("JKB-0002", "FLO-0001", "JKB-0003"):
        await bob.press_forged(f"v1:{token}:mt:{other}")
        assert "gått ut" in bob.answer(), other
    assert supporters(bot_settings) == []
    mine = await bob.say("/arenden")
    assert "JKB-0002" not in mine[-1].text
    assert "FLO-0001" not in mine[-1].text
    # The case that was offered can still be supported.
    done = await bob.tap("JKB-0001")
    assert "Nu håller 1 med" in done[-1].text
    assert supporters(bot_settings) == [("JKB-0001", BOB)]


async def test_me_too_is_checked_again_when_pressed(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """A case closed between the offer and the press is not supported any more."""
    world = trust_bot.world
    alice, bob = Person(world, ALICE, catalogs), Person(world, BOB, catalogs)
    officer = Person(world, POLIS_JKB, catalogs)
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    offer = await start_report(bob, "Jakobsberg", "Belysning")
    assert "JKB-0001" in offer[-1].text
    await officer.say("/arende JKB-0001")
    await officer.tap(officer.t("desk.btn.reject"))
    await officer.say("Det här är inte vår mark.")
    assert db_rows(bot_settings, "SELECT status FROM cases")[0]["status"] == "not_actionable"
    await bob.tap("JKB-0001")
    assert "gått ut" in bob.answer()
    assert supporters(bot_settings) == []
    # The resident is still at the offer and can write a new report instead.
    after = await bob.tap(bob.t("metoo.new"))
    assert after[-1].text.startswith("Var exakt?")


async def test_my_own_report_is_not_offered_as_me_too(
    trust_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(trust_bot.world, ALICE, catalogs)
    assert await file_report(alice, "Jakobsberg", "Belysning") == "JKB-0001"
    after = await start_report(alice, "Jakobsberg", "Belysning")
    assert after[-1].text.startswith("Var exakt?")
    assert not any("JKB-0001" in b for b in buttons(alice))
