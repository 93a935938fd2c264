"""/arende <ref> for a reference that names no case (issue 19, item 3): staff who would see
every case at the reference's station are told there is none; everyone else gets the plain
refusal, the same as for another station's existing case, so a probe learns nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person
from tests.test_desk import report, wait_for_text

RESIDENT = 1001
POLIS_JKB, PARTNER_JKB, POLIS_ALINGSAS, ADMIN = 100000001, 100000002, 100000003, 100000009
REFUSED = "Det här kan du inte göra."


@pytest.fixture
async def desk(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> AsyncIterator[Emulator]:
    for staff in (POLIS_JKB, PARTNER_JKB, POLIS_ALINGSAS, ADMIN):
        emulator.world.user(staff, f"Staff {staff}").started = True
    async with in_process(emulator, bot_settings, deployment):
        yield emulator


async def answer(person: Person, text: str) -> str:
    """The one reply to a command (the card's photo, if any, comes after the card)."""
    replies = await person.say(text)
    assert len(replies) == 1, [m.text for m in replies]
    return replies[0].text


async def test_an_unknown_reference_is_told_only_where_the_officer_would_see_it(
    desk: Emulator, catalogs: Catalogs
) -> None:
    world = desk.world
    await report(Person(world, RESIDENT, catalogs))
    await wait_for_text(world, POLIS_JKB, "JKB-0001")  # it exists, at Jakobsberg
    polis, partner = Person(world, POLIS_JKB, catalogs), Person(world, PARTNER_JKB, catalogs)
    alingsas, admin = Person(world, POLIS_ALINGSAS, catalogs), Person(world, ADMIN, catalogs)

    # At their own station the kommunpolis learns the case does not exist (lower case too).
    assert await answer(polis, "/arende JKB-9999") == "Det finns inget ärende JKB-9999."
    assert await answer(polis, "/arende jkb-0777") == "Det finns inget ärende JKB-0777."
    assert await answer(admin, "/arende FLO-0001") == "Det finns inget ärende FLO-0001."

    # Elsewhere: an unknown and an existing reference get the very same refusal.
    existing = await answer(alingsas, "/arende JKB-0001")
    unknown = await answer(alingsas, "/arende JKB-9999")
    no_station = await answer(alingsas, "/arende XXX-9999")
    assert existing == unknown == no_station == REFUSED
    assert await answer(polis, "/arende FLO-0001") == REFUSED
    # A partner sees only their actor's cases: a miss at their station is refused as well.
    assert await answer(partner, "/arende JKB-9999") == REFUSED

    # Something that is no reference at all: a one-line hint.
    hint = "Det är inget ärendenummer. Skriv till exempel: /arende JKB-0042"
    for typed in ("/arende hej", "/arende JKB0001", "/arende JKB-1", "/arende <b>JKB-0001"):
        assert await answer(polis, typed) == hint
    assert await answer(alingsas, "/arende hej") == hint

    # The case itself still opens for the officer who may see it.
    assert "JKB-0001" in (await polis.say("/arende JKB-0001"))[0].text


async def test_the_no_such_case_line_is_in_the_officers_language(catalogs: Catalogs) -> None:
    for lang in ("sv", "en", "fi", "ar"):
        line = catalogs.text(lang, "desk.no_such_case", reference="JKB-9999")
        assert "JKB-9999" in line
        assert "\n" not in line
        hint = catalogs.text(lang, "desk.bad_reference", reference="x")
        assert "/arende JKB-0042" in hint
        assert "\n" not in hint
