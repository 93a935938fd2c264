"""The station chooser at national scale (issue 17 item 6): on the generated national
deployment (bench/national_deployment.py, 600 stations in 290 kommuner) no keyboard a
resident sees lists more than 20 stations or has more than 100 buttons; every station can be
reached by kommun (letter → kommun → station), by name and by location; a forged or stale
page or station is refused in one line. The bundled 6-station file keeps its one list."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench.national_deployment import generate, sized
from bot.config import parse_deployment
from bot.domain import callbacks
from bot.domain.deployment import Deployment, Limits
from bot.domain.stations import SEARCH_MAX, StationIndex, View, fold
from bot.emulator import Emulator
from bot.emulator.models import Message
from bot.handlers.chooser import chooser_rows
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
    assert person.t("follow.page", page=1, pages=3) in listing.text
    assert len(listing.inline_buttons) <= 12
    pages = [listing.text]
    for _ in range(2):
        await person.tap(person.t("chooser.next"))
        pages.append(bot.world.last(person.id).text)
    last = bot.world.last(person.id)
    assert person.t("follow.page", page=3, pages=3) in last.text
    names = [line[2:] for text in pages for line in text.splitlines() if line.startswith("• ")]
    assert sorted(names) == sorted(s.name for s in stations)  # each once, none left out
    assert person.t("chooser.next") not in [b["text"] for b in last.inline_buttons]
    for page in ("3", "x"):  # past the end, or no page at all
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
