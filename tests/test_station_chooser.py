"""The station chooser at national scale (issue 17 item 6): on the generated national
deployment (bench/national_deployment.py, 600 stations in 290 kommuner) no keyboard a
resident sees lists more than 20 stations or has more than 100 buttons; every station can be
reached by kommun (letter → kommun → station), by name and by location; a forged or stale
page or station is refused in one line. The bundled 6-station file keeps its one list."""

from __future__ import annotations

import functools
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.national_deployment import generate, sized
from bot.config import parse_deployment
from bot.domain import callbacks
from bot.domain.deployment import Deployment, Limits, Station
from bot.domain.intake import TOKEN_BYTES, Action
from bot.domain.stations import FLAT_MAX, SEARCH_MAX, StationIndex, View, fold
from bot.emulator import Emulator
from bot.emulator.models import Message
from bot.handlers import common
from bot.handlers.chooser import MENU_PICKS, PICK, chooser_rows
from bot.handlers.start import followed_page
from bot.i18n import Catalogs
from tests.bots import in_process, settings_for
from tests.people import Person

STATIONS = 600
MAX_STATION_BUTTONS = 20
TELEGRAM_MAX_BUTTONS = 100


@functools.cache
def national() -> Deployment:
    """The generated national deployment; residents may press as fast as a walk needs."""
    dep = parse_deployment(generate(sized(STATIONS)), "national.toml")
    return dep.model_copy(update={"limits": Limits(messages_per_minute=100_000)})


@pytest.fixture
async def bot(emulator: Emulator, tmp_path: Path) -> AsyncIterator[Emulator]:
    async with in_process(emulator, settings_for(emulator, tmp_path), national()):
        yield emulator


def station_buttons(message: Message, action: str) -> list[str]:
    """The station ids of a message's station buttons (callback action `action`)."""
    ids = []
    for button in message.inline_buttons:
        cb = callbacks.parse(button.get("callback_data"))
        if cb is not None and cb.action == action:
            ids.append(cb.arg)
    return ids


async def press_on(person: Person, message: Message, data: str) -> list[Message]:
    """A press of `data` on `message`, whether or not the message shows that button now."""
    person._mark = person.mark()
    person.last_query = person.world.press(person.id, message.id, data, forge=True)
    return await person.settle()


def assert_small(message: Message, action: str) -> None:
    assert len(station_buttons(message, action)) <= MAX_STATION_BUTTONS, message.text
    assert len(message.inline_buttons) <= TELEGRAM_MAX_BUTTONS


def test_the_index_finds_every_station_by_name_and_by_location() -> None:
    dep = national()
    index = StationIndex(dep.stations)
    assert len(index.stations) == STATIONS
    assert not index.flat
    assert len(index.kommuner) == len({s.kommun for s in dep.stations}) == 290
    for station in dep.stations:
        assert index.match(station.name) == [station]
        assert index.nearest(station.lat, station.lon, 5.0).station == station
    kommun_keys = [k.key for k in index.kommuner.values()]
    assert len(set(kommun_keys)) == len(kommun_keys)


def test_a_kommun_key_stays_apart_from_its_twin_with_a_ring() -> None:
    """Habo and Håbo fold to the same letters; each keeps a key of its own."""
    base = national().stations[0]
    twins = [
        base.model_copy(update={"id": "habo-c", "name": "Habo C", "kommun": "Habo"}),
        base.model_copy(update={"id": "habo-b", "name": "Bålsta", "kommun": "Håbo"}),
    ]
    index = StationIndex(twins)
    assert sorted(k.name for k in index.kommuner.values()) == ["Habo", "Håbo"]
    assert len(set(index.kommuner)) == 2


def test_every_station_is_reached_by_kommun_in_small_keyboards() -> None:
    """Every view of the chooser, as the bot renders it, walked from where it starts."""
    index = StationIndex(national().stations)
    pick, make_view = ("home", callbacks.MENU), lambda code: callbacks.menu("pick", code)
    reached: set[str] = set()
    todo: list[View | None] = [None]
    seen: set[View] = set()
    while todo:
        view = todo.pop()
        rows = chooser_rows(index, view, lambda key: key, pick, make_view)
        buttons = [callbacks.parse(data) for row in rows for _, data in row]
        stations = [cb.arg for cb in buttons if cb is not None and cb.action == "home"]
        assert len(stations) <= MAX_STATION_BUTTONS
        assert sum(len(row) for row in rows) <= MAX_STATION_BUTTONS + 4  # with its turns
        reached.update(stations)
        for cb in buttons:
            assert cb is not None
            if cb.action == "pick":
                parsed = index.parse(cb.arg)
                assert parsed is not None, cb.arg
                if parsed not in seen:
                    seen.add(parsed)
                    todo.append(parsed)
    assert reached == {s.id for s in national().stations}


async def test_the_home_menu_by_letter_and_kommun(bot: Emulator, catalogs: Catalogs) -> None:
    """The home-station menu through the bot: every letter and every page of kommuner, and
    the stations of every 10th kommun, each keyboard small, turned in place."""
    index = StationIndex(national().stations)
    sampled = {View("S", k).code for k in list(index.kommuner)[::10]}
    person = Person(bot.world, 41_000_001, catalogs)
    await person.say("/installningar")
    shown = await person.tap(person.t("settings.home"))
    first = shown[-1]
    assert person.t("home.prompt") in first.text
    assert person.t("chooser.by_letter") in first.text
    assert_small(first, "home")
    reached: set[str] = set()
    seen: set[str] = set()
    pressed: set[str] = set()
    todo = [b["callback_data"] for b in first.inline_buttons]
    while todo:
        data = todo.pop()
        cb = callbacks.parse(data)
        assert cb is not None
        if cb.action == "home":
            reached.add(cb.arg)
            continue
        assert cb.action == "pick"
        code = cb.arg.partition(".")[2]
        if data in seen or (code.startswith("S.") and code not in sampled):
            continue
        seen.add(data)
        pressed.add(code)
        # A button of a page shown earlier (the walk goes back without the back buttons):
        # the message now shows another page, so the press is sent as it was made then.
        await press_on(person, first, data)
        page = bot.world.received(person.id)[-1]
        assert page.id == first.id  # the page turns in place: one message, no new ones
        assert not person.answer()  # no refusal
        assert_small(page, "home")
        todo += [b["callback_data"] for b in page.inline_buttons]
    assert sampled <= pressed
    in_sample = {s.id for k in list(index.kommuner.values())[::10] for s in k.stations}
    assert in_sample <= reached
    kommun = next(iter(index.kommuner.values()))
    await press_on(person, first, callbacks.menu("pick", f"home.{View('S', kommun.key).code}"))
    station = kommun.stations[0]
    await person.press(first, callbacks.menu("home", station.id))  # a button shown now
    assert person.last_text() == person.t("home.set", station=station.name)


async def test_the_report_chooser_by_letter_kommun_and_page(
    bot: Emulator, catalogs: Catalogs
) -> None:
    """/rapport: letter → kommun → (next page) → station, each keyboard small; then the
    station is the report's."""
    index = StationIndex(national().stations)
    kommun = max(index.kommuner.values(), key=lambda k: len(k.stations))
    letter = kommun.name[0].upper()
    person = Person(bot.world, 41_000_002, catalogs)
    shown = await person.say("/rapport")
    prompt = shown[-1]
    assert person.t("station.prompt") in prompt.text
    assert_small(prompt, "st")
    await person.tap(letter)
    assert_small(bot.world.last(person.id), "st")
    while True:  # the letter's kommuner, page by page, until the kommun is there
        try:
            await person.tap(kommun.name)
            break
        except AssertionError:
            await person.tap(person.t("chooser.next"))
    page = bot.world.last(person.id)
    assert page.id == prompt.id
    assert_small(page, "st")
    assert station_buttons(page, "st")  # the kommun's stations, the first page of them
    target = kommun.stations[-1]
    while target.id not in station_buttons(page, "st"):
        await person.tap(person.t("chooser.next"))
        page = bot.world.last(person.id)
        assert_small(page, "st")
    await person.tap(target.name)
    assert f"✓ {target.name}" in person.texts()


async def test_a_station_by_name_shows_at_most_eight(bot: Emulator, catalogs: Catalogs) -> None:
    index = StationIndex(national().stations)
    person = Person(bot.world, 41_000_003, catalogs)
    await person.say("/rapport")
    prefix = index.stations[0].name[:2]
    assert len(index.match(prefix)) > SEARCH_MAX
    several = (await person.say(prefix))[-1]
    assert person.t("station.several") in several.text
    assert person.t("station.more") in several.text
    assert 2 <= len(station_buttons(several, "st")) <= SEARCH_MAX
    target = national().stations[-1]
    await person.say(fold(target.name))  # typed without capitals or rings
    assert f"✓ {target.name}" in person.texts()


async def test_a_station_by_location(bot: Emulator, catalogs: Catalogs) -> None:
    target = national().stations[321]
    person = Person(bot.world, 41_000_004, catalogs)
    await person.say("/ide")
    await person.send_location(target.lat + 0.001, target.lon)
    await person.tap(person.t("station.yes", station=target.name))
    assert f"✓ {target.name}" in person.texts()


async def test_forged_and_stale_chooser_buttons_are_refused(
    bot: Emulator, catalogs: Catalogs
) -> None:
    index = StationIndex(national().stations)
    kommun = next(iter(index.kommuner))
    person = Person(bot.world, 41_000_005, catalogs)
    stale = person.t("error.stale")
    for data in (
        callbacks.menu("pick", "home.S.no-such-kommun.0"),
        callbacks.menu("pick", f"home.S.{kommun}.99"),  # a page past the end
        callbacks.menu("pick", "home.L.7"),
        callbacks.menu("pick", "home.K.ff.0"),  # no kommun begins with ÿ
        callbacks.menu("pick", "nobody.L.0"),
        callbacks.menu("pick", "home.X.0"),
        callbacks.menu("home", "no-such-station"),
        callbacks.menu("promise", "no-such-station"),
        callbacks.menu("fol", "no-such-station"),
    ):
        shown = await person.press_forged(data)
        assert [m.text for m in shown] == [stale], data
    await person.say("/rapport")
    prompt = bot.world.last(person.id)
    token = callbacks.parse(prompt.inline_buttons[0]["callback_data"])
    assert token is not None
    for arg in (f"S.{kommun}.99", "K.zz.0", "L.9", "S"):
        await press_on(person, prompt, callbacks.encode(token.scope, "sv", arg))
        assert person.answer() == stale, arg
    await press_on(person, prompt, callbacks.encode(token.scope, "st", "no-such-station"))
    assert person.answer() == stale
    assert bot.world.last(person.id).id == prompt.id  # nothing was chosen or sent


async def test_followed_stations_are_listed_a_page_at_a_time(
    bot: Emulator, catalogs: Catalogs
) -> None:
    stations = national().stations[:25]
    person = Person(bot.world, 41_000_006, catalogs)
    await person.say("/start")
    for station in stations:
        await person.press_forged(callbacks.menu("fol", station.id))
    listing = (await person.say("/prenumerationer"))[-1]
    assert person.t("follow.page", page=1, pages=5) in listing.text
    assert len(listing.inline_buttons) <= 12
    pages = [listing.text]
    for _ in range(4):
        await person.tap(person.t("chooser.next"))
        pages.append(bot.world.last(person.id).text)
    last = bot.world.last(person.id)
    assert person.t("follow.page", page=5, pages=5) in last.text
    names = [line[2:] for text in pages for line in text.splitlines() if line.startswith("• ")]
    assert sorted(names) == sorted(s.name for s in stations)  # each once, none left out
    assert person.t("chooser.next") not in [b["text"] for b in last.inline_buttons]
    for page in ("5", "x"):  # past the end, or no page at all
        shown = await person.press_forged(callbacks.menu("subs", page))
        assert [m.text for m in shown] == [person.t("error.stale")]


async def test_the_bundled_file_keeps_its_one_list(
    live_bot: Emulator, catalogs: Catalogs, deployment: Deployment
) -> None:
    """Six stations: the home menu lists them all, as it always did, with no kommun step."""
    assert StationIndex(deployment.stations).flat
    person = Person(live_bot.world, 41_000_007, catalogs)
    await person.say("/installningar")
    menu = (await person.tap(person.t("settings.home")))[-1]
    assert menu.text == person.t("home.prompt")
    assert sorted(station_buttons(menu, "home")) == sorted(s.id for s in deployment.stations)
    assert len(menu.inline_buttons) == len(deployment.stations)


# ------------------------------------------------------------------ review of 715b0b4
def test_a_one_letter_name_search_does_not_compare_every_station_with_every_other(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resident types "a" at the station step: most of the 600 stations match, and
    `station not in found` compared them pairwise (234,116 Station.__eq__ calls, ~0.5 s of
    the event loop for one message). The caller needs the first 8 and whether there are
    more: the search stops at 9, the first in alphabetical order of the folded names."""
    index = StationIndex(national().stations)
    calls = 0
    original = Station.__eq__

    def counting(self: Station, other: object) -> bool:
        nonlocal calls
        calls += 1
        return original(self, other)

    monkeypatch.setattr(Station, "__eq__", counting)
    found = index.match("a")
    assert calls < 100, f"{calls} station comparisons for one typed letter"
    monkeypatch.undo()
    named = sorted(
        {
            (fold(name), s.id)
            for s in national().stations
            for name in (s.name, s.id, s.code, *s.aliases)
            if fold(name).startswith("a")
        }
    )
    first: list[str] = []
    for _, station_id in named:
        if station_id not in first:
            first.append(station_id)
    assert len(first) > SEARCH_MAX + 1
    assert [s.id for s in found] == first[: SEARCH_MAX + 1]


@pytest.mark.parametrize("typed", ["ab", "sto", "Väst", "kr", "x"])
def test_a_name_search_finds_what_a_full_scan_finds(typed: str) -> None:
    """The prefix search (bisect on the sorted names) against every name scanned."""
    stations = national().stations
    index = StationIndex(stations)
    query = fold(typed)
    every = {
        s.id
        for s in stations
        for name in map(fold, (s.name, s.id, s.code, *s.aliases))
        if name.startswith(query) or query.startswith(name + " ")
    }
    found = [s.id for s in index.match(typed)]
    assert len(found) == len(set(found)) == min(len(every), SEARCH_MAX + 1)
    assert set(found) <= every


async def test_followed_stations_page_turns_in_place(bot: Emulator, catalogs: Catalogs) -> None:
    """Nästa on /prenumerationer edits the pressed message (its text and buttons), as the
    chooser and the staff lists do; it sent a new message per press, and the old page kept
    live Nästa and stop buttons. A press on a message that cannot be edited gets the page
    as a new message."""
    person = Person(bot.world, 41_000_008, catalogs)
    await person.say("/start")
    for station in national().stations[:25]:
        await person.press_forged(callbacks.menu("fol", station.id))
    listing = (await person.say("/prenumerationer"))[-1]
    first = listing.text
    shown = await person.tap(person.t("chooser.next"))
    assert shown == [] or shown[-1].id == listing.id, "a new message per page"
    page = bot.world.last(person.id)
    assert page.id == listing.id
    assert person.t("follow.page", page=2, pages=5) in page.text
    assert page.text != first
    assert person.t("chooser.previous") in [b["text"] for b in page.inline_buttons]
    shown = await person.press_forged(callbacks.menu("subs", "2"))  # on the resident's message
    assert len(shown) == 1
    assert shown[0].id != listing.id
    assert person.t("follow.page", page=3, pages=5) in shown[0].text
    menu = next(m for m in bot.world.received(person.id) if m.id < listing.id)
    before = menu.text
    shown = await press_on(person, menu, callbacks.menu("subs", "1"))  # forged onto the menu
    now = next(m for m in bot.world.received(person.id) if m.id == menu.id)
    assert now.text == before  # the menu message is left alone
    assert [m.id for m in shown] != [menu.id]
    assert person.t("follow.page", page=2, pages=5) in bot.world.last(person.id).text


def test_a_kommun_whose_initial_uppercases_to_two_letters_does_not_stop_the_bot() -> None:
    """`ord(name[:1].upper())`: 'ß'.upper() is 'SS', and ord() of two letters raised
    TypeError while the index was built at start (the bot did not start)."""
    base = national().stations[0]
    odd = [
        base.model_copy(update={"id": f"s{n}", "name": f"Station {n}", "kommun": f"ßtadt {n}"})
        for n in range(20)
    ]
    index = StationIndex(odd)
    assert [letter for letter, _ in index.letters.values()] == ["S"]
    kommun = next(iter(index.kommuner.values()))
    up = index.page(View("S", kommun.key)).up
    assert up is not None
    assert index.parse(up.code) == up


#: The deployment file's longest id (bot/config.py checks actors, commitments and stations).
LONGEST_ID = 24


def test_station_ids_of_the_longest_allowed_length_fit_every_button() -> None:
    """Callback data takes a part of at most 40 characters (bot/domain/callbacks.py): every
    station button and page of the chooser (every menu's, the intake's with its draft token),
    the name search's and /prenumerationer's, with ids of 24 characters, is made."""
    stations = [
        s.model_copy(
            update={"id": f"station-{n:04d}-".ljust(LONGEST_ID, "x"), "kommun": f"{s.kommun} " * 4}
        )
        for n, s in enumerate(national().stations)
    ]
    assert {len(s.id) for s in stations} == {LONGEST_ID}
    token = secrets.token_hex(TOKEN_BYTES)
    picks = [((make, callbacks.MENU), functools.partial(menu_view, make)) for make in MENU_PICKS]
    picks.append(((Action.STATION.value, token), functools.partial(intake_view, token)))
    for index in (StationIndex(stations), StationIndex(stations[:FLAT_MAX])):
        for pick, open_view in picks:
            todo: list[View | None] = [None]
            seen: set[View] = set()
            reached: set[str] = set()
            while todo:
                rows = chooser_rows(index, todo.pop(), str, pick, open_view, index.stations[-1])
                for _, data in (button for row in rows for button in row):
                    cb = callbacks.parse(data)
                    assert cb is not None, data
                    view = index.parse(cb.arg.removeprefix(f"{pick[0]}."))
                    if cb.action == pick[0]:
                        reached.add(cb.arg)
                    elif view is not None and view not in seen:
                        seen.add(view)
                        todo.append(view)
            assert reached == set(index.by_id), pick
    index = StationIndex(stations)
    assert [len(row) for row in common.station_buttons(index.match("st"), "st", token)]
    _, rows = followed_page(lambda key, **_: key, stations, 59)
    assert [callbacks.parse(data) for row in rows for _, data in row]


def menu_view(make: str, code: str) -> str:
    return callbacks.menu(PICK, f"{make}.{code}")


def intake_view(token: str, code: str) -> str:
    return callbacks.encode(token, Action.STATION_VIEW, code)
