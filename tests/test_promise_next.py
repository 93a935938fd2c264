"""The promise after the current one (issue 18, item 7, newcomer review): residents read in
one line, in their language, that the next promise starts and when; staff see on each
/uppdatera button which promise the commitment belongs to, and a button keeps its commitment
when a promise ends while the list is open."""

from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import cast

import pytest

from bot.config import parse_deployment
from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.telegram_limits import MAX_BUTTON_TEXT
from bot.emulator import Emulator
from bot.handlers.updates import choice_rows, clip
from bot.i18n import FSI, PDI, Catalogs, Safe, written
from bot.services.updates import Choice
from bot.settings import Settings, bundled_deployment_path
from tests.bots import in_process
from tests.people import Person
from tests.test_promise_time import DAY, POLIS_JKB, RESIDENT, SUCCESSIVE, TODAY, plain

#: Jakobsberg's next promise, published while "Tryggare Jakobsberg, nästa löfte" runs: it
#: starts the day after that one's last day.
NEXT_START = TODAY + 301 * DAY
NEXT = f"""
[[promises]]
id = "jarfalla-2027"
title = "Jakobsberg 2027"
start = {NEXT_START}
end = {TODAY + 700 * DAY}
parties = ["polisen-jarfalla", "jarfalla-kommun"]
stations = ["jakobsberg"]

[promises.translations.en]
title = "Jakobsberg in 2027"

[[promises.commitments]]
id = "jkb3-kameror"
text = "Kameror vid busstorget."
owners = ["polisen-jarfalla"]
"""


@pytest.fixture(scope="module")
def following() -> Deployment:
    text = bundled_deployment_path().read_text(encoding="utf-8") + SUCCESSIVE + NEXT
    return parse_deployment(text, "following.toml")


async def test_a_resident_reads_that_the_next_promise_starts(
    emulator: Emulator, bot_settings: Settings, following: Deployment, catalogs: Catalogs
) -> None:
    async with in_process(emulator, bot_settings, following):
        for n, lang in enumerate(["sv", "en", "fi", "ar"]):
            person = Person(emulator.world, RESIDENT + n, catalogs, lang=lang)
            await person.say("/lofte")
            shown = await person.tap("Jakobsberg")
            text = "\n".join(m.text for m in shown)
            title = {"sv": "Jakobsberg 2027", "en": "Jakobsberg in 2027"}.get(lang)
            if title is None:  # no translation: the Swedish, marked
                title = Safe(person.t("promise.in_swedish", text="Jakobsberg 2027"))
            line = plain(person.t("promise.next", title=title, start=NEXT_START))
            assert line in shown[-1].text, (lang, text)  # one line, above the history button
            assert "\n" not in line
            name = "Jakobsberg in 2027" if lang == "en" else "Jakobsberg 2027"
            assert text.count(name) == 1, lang  # named, not shown in full
            assert "Kameror vid busstorget." not in text
            assert person.t("promise.history_button") in [
                b["text"] for b in shown[-1].inline_buttons
            ]


async def test_a_station_without_a_next_promise_names_none(
    emulator: Emulator, bot_settings: Settings, following: Deployment, catalogs: Catalogs
) -> None:
    """Lerum: no promise runs today, the next is shown in full, not named a second time."""
    async with in_process(emulator, bot_settings, following):
        person = Person(emulator.world, RESIDENT, catalogs)
        await person.say("/lofte")
        text = "\n".join(m.text for m in await person.tap("Lerum"))
        assert "Tryggare Lerum" in text
        assert "Nästa löfte" not in text


async def test_an_officer_sees_which_promise_each_commitment_belongs_to(
    emulator: Emulator,
    bot_settings: Settings,
    following: Deployment,
    catalogs: Catalogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = emulator.world
    world.user(POLIS_JKB).started = True
    async with in_process(emulator, bot_settings, following) as app:
        services = app.bot_data.services
        assert services is not None
        officer = Person(world, POLIS_JKB, catalogs)
        listing = (await officer.say("/uppdatera"))[-1]
        buttons = {b["text"]: b["callback_data"] for b in listing.inline_buttons}
        current_title = "Tryggare Jakobsberg, nä…"  # 'Tryggare Jakobsberg, nästa löfte' cut
        upcoming = f"Jakobsberg 2027, från {written(NEXT_START, 'sv')} · Kameror vid busstorget."
        assert list(buttons)[:-1] == [  # Avbryt last
            f"{current_title} · Bättre belysning i gångtunneln.",
            f"{current_title} · Polisen finns på plats fredagskv…",  # cut to the limit
            upcoming,
        ]
        assert all(len(label) <= MAX_BUTTON_TEXT for label in buttons)
        # Each button carries the commitment's position in the officer's whole list, the
        # ended promise's commitments included, as before.
        member = await services.staff.by_telegram(POLIS_JKB)
        assert member is not None
        choices = services.updates.choices(member)
        picked = {
            choices[int(cb.arg)].commitment.id
            for cb in map(callbacks.parse, buttons.values())
            if cb and cb.action == "c"
        }
        assert picked == {"jkb2-belysning", "jkb2-narvaro", "jkb3-kameror"}
        # Lists left open across the current promise's last day: their buttons keep their
        # commitments; the ended promise's is refused, the next one's works.
        again = (await officer.say("/uppdatera"))[-1]
        assert [b["text"] for b in again.inline_buttons] == list(buttons)
        monkeypatch.setattr(services.updates, "today", lambda: NEXT_START)
        await officer.press(listing, buttons[f"{current_title} · Bättre belysning i gångtunneln."])
        ended = officer.t(
            "update.ended", title="Tryggare Jakobsberg, nästa löfte", end=NEXT_START - DAY
        )
        assert officer.last_text() == plain(ended)
        # A new list has the next promise's commitment alone (unlabelled: one promise); the
        # old list's button still picks it.
        fresh = (await officer.say("/uppdatera"))[-1]
        assert [b["text"] for b in fresh.inline_buttons][:-1] == ["Kameror vid busstorget."]
        await officer.press(again, buttons[upcoming])
        assert officer.last_text() == plain(
            officer.t("update.status", commitment="Kameror vid busstorget.")
        )
        # A forged position is refused: outside the list, and the ended promise's.
        await officer.say("/uppdatera")
        await officer.press_forged(callbacks.encode("u", "c", str(len(choices))))
        assert officer.answer() == officer.t("desk.refused")
        old = next(n for n, c in enumerate(choices) if c.promise.id == "jarfalla-2019-2020")
        await officer.press_forged(f"v1:u:c:{old}")
        assert officer.last_text() == plain(
            officer.t(
                "update.ended",
                title="Tryggare stationsområde i Jakobsberg",
                end=choices[old].promise.end,
            )
        )


#: What reads as one character but is several code points: a family (a ZWJ sequence), a flag
#: (a pair of regional indicators), an accented letter (e and a combining acute accent).
FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG = "\U0001f1f8\U0001f1ea"
ACCENT = "e\u0301"


def cut_inside(cluster: str) -> list[tuple[str, str]]:
    """Texts cut to a button inside `cluster` at each of its inner positions, with the text
    the button shows: up to the cluster, which goes whole. And one where it fits whole."""
    cut = MAX_BUTTON_TEXT - 1  # the characters kept before "…"
    inside = [
        ("a" * (cut - k) + cluster + "b" * 9, "a" * (cut - k) + "…") for k in range(1, len(cluster))
    ]
    fits = "a" * (cut - len(cluster)) + cluster
    return [*inside, (fits + "b" * 9, fits + "…")]


CUTS = [pair for cluster in (FAMILY, FLAG, ACCENT) for pair in cut_inside(cluster)]


@pytest.mark.parametrize(("text", "shown"), CUTS)
def test_a_button_is_cut_between_characters_as_read(text: str, shown: str) -> None:
    """Both /uppdatera paths: a labelled button (clip) and a single promise's (choice_rows)."""
    assert clip(text) == shown
    assert len(shown) <= MAX_BUTTON_TEXT
    choice = cast(Choice, SimpleNamespace(commitment=SimpleNamespace(text=text)))
    rows = choice_rows(lambda key: key, [choice], 1, 0)
    assert rows is not None
    assert rows[0][0][0] == shown


def test_flags_in_a_row_are_cut_between_two_flags() -> None:
    text = "a" * (MAX_BUTTON_TEXT - 4) + FLAG + FLAG + "b"  # the cut falls in the second flag
    assert clip(text) == "a" * (MAX_BUTTON_TEXT - 4) + FLAG + "…"
    text = "a" * (MAX_BUTTON_TEXT - 5) + FLAG + FLAG + "bb"  # after the second flag
    assert clip(text) == "a" * (MAX_BUTTON_TEXT - 5) + FLAG + FLAG + "…"


async def test_in_arabic_a_button_isolates_the_title_and_the_commitment(
    emulator: Emulator,
    bot_settings: Settings,
    following: Deployment,
    catalogs: Catalogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Swedish title and commitment in an Arabic label: each in its own isolate, whole (the
    commitment is cut inside it, its PDI kept), so they keep their order around the Arabic."""
    world = emulator.world
    world.user(POLIS_JKB).started = True
    async with in_process(emulator, bot_settings, following) as app:
        services = app.bot_data.services
        assert services is not None
        world.users[POLIS_JKB].language_code = "ar"  # the officer reads the bot in Arabic
        officer = Person(world, POLIS_JKB, catalogs)
        listing = (await officer.say("/uppdatera"))[-1]
        labels = [b["text"] for b in listing.inline_buttons][:-1]
        title = f"{FSI}Tryggare Jakobsberg, nä…{PDI}"

        def current(commitment: str) -> str:
            return catalogs.text(
                "ar", "update.label_current", title=Safe(title), commitment=Safe(commitment)
            )

        def upcoming(commitment: str) -> str:
            return catalogs.text(
                "ar",
                "update.label_upcoming",
                title=Safe(f"{FSI}Jakobsberg 2027{PDI}"),
                start=NEXT_START,
                commitment=Safe(commitment),
            )

        def fitted(label: Callable[[str], str], commitment: str) -> str:
            """The label with the commitment cut to the room the rest leaves, isolated."""
            room = MAX_BUTTON_TEXT - len(label("")) - 2  # the isolate's FSI and PDI
            return label(f"{FSI}{clip(commitment, room)}{PDI}")

        assert labels == [
            fitted(current, "Bättre belysning i gångtunneln."),
            fitted(current, "Polisen finns på plats fredagskvällar."),
            fitted(upcoming, "Kameror vid busstorget."),
        ]
        assert all(label.endswith(f"…{PDI}") for label in labels)  # each cut, inside
        assert all(len(label) <= MAX_BUTTON_TEXT for label in labels)
        assert all(label.count(FSI) == label.count(PDI) for label in labels)
