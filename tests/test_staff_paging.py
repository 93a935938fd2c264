"""Staff keyboards at national scale (issue 17, item 6): forwarding a case, an admin's
commitments for /uppdatera and /export's stations come a page at a time, so no keyboard
reaches Telegram's 100 buttons; every item can be reached by paging; a forged or stale page,
actor or commitment is refused, also to an officer of another station."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from functools import partial

import pytest

from bench.national_deployment import FIRST_TELEGRAM_ID, generate, sized
from bench.staff_keyboards import export_pages, export_scope, forward_pages, update_pages
from bench.staff_keyboards import key as label_key
from bot.config import DeploymentError, parse_deployment
from bot.context import BotApp
from bot.domain import callbacks
from bot.domain.access import may_report_on
from bot.domain.deployment import MAX_ID, ActorKind, Deployment, Role
from bot.domain.exports import ALL, ExportChoice
from bot.domain.forwarding import forward_targets
from bot.domain.intake import TOKEN_BYTES, Action, Draft
from bot.domain.paging import PAGE_SIZE, page_number, page_of
from bot.domain.telegram_limits import (
    ACTOR_FORMAT,
    CATEGORY_FORMATS,
    REFERENCE_DIGITS,
    STATION_FORMATS,
    id_room,
)
from bot.emulator import Emulator
from bot.emulator.state import Message
from bot.handlers.common import station_buttons
from bot.handlers.desk import forward_rows
from bot.handlers.paging import paged_rows
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.desk import ACTION_CODES, ANSWER_SCOPE, CASE_SCOPE
from bot.services.updates import choices_for
from bot.settings import Settings, bundled_deployment_path
from tests.bots import in_process
from tests.people import Person

TELEGRAM_MAX_BUTTONS = 100
#: The generated file's first national admin and the kommunpolis of its first station.
ADMIN = FIRST_TELEGRAM_ID + 290
OFFICER = FIRST_TELEGRAM_ID
#: Added to the generated file: an admin of its first two stations only.
STATION_ADMIN = FIRST_TELEGRAM_ID + 99_999


@pytest.fixture(scope="module")
def national() -> Deployment:
    text = generate(sized(600))
    first, second = parse_deployment(text, "national.toml").stations[:2]
    return parse_deployment(
        text
        + f"""
[[staff]]
telegram_id = {STATION_ADMIN}
name = "Stationsadmin (platshållare)"
role = "admin"
actor = "drift"
stations = ["{first.id}", "{second.id}"]
""",
        "national.toml",
    )


def data(rows: list[list[tuple[str, str]]]) -> list[str]:
    return [b[1] for row in rows for b in row]


def args(rows: list[list[tuple[str, str]]], action: str) -> list[str]:
    """The arguments of the buttons with this action."""
    found = [callbacks.parse(d) for d in data(rows)]
    return [cb.arg for cb in found if cb is not None and cb.action == action]


# ---------------------------------------------------------------------- the paging helper
def test_a_list_in_pages() -> None:
    items = list(range(45))
    shown = [page_of(items, n) for n in range(3)]
    assert [p.items if p else None for p in shown] == [
        tuple(range(20)),
        tuple(range(20, 40)),
        tuple(range(40, 45)),
    ]
    first, middle, last = shown
    assert first
    assert middle
    assert last
    assert (first.has_previous, first.has_next, middle.start, last.has_next) == (
        False,
        True,
        20,
        False,
    )
    assert page_of(items, 3) is None
    assert page_of(items, -1) is None
    whole = page_of(list(range(22)), 0)  # a little over a page: shown whole
    assert whole is not None
    assert len(whole.items) == 22
    assert not whole.paged
    assert page_of(list(range(22)), 1) is None
    empty = page_of(list[int](), 0)
    assert empty is not None
    assert empty.items == ()
    assert not empty.paged


def test_own_items_first_then_the_others_on_their_own_pages() -> None:
    own, others = ["a", "b", "c"], [str(n) for n in range(30)]
    first = page_of(own, 0, more=others)
    assert first is not None
    assert first.items == ("a", "b", "c")
    assert first.next_is_more
    second = page_of(own, 1, more=others)
    assert second is not None
    assert second.items[0] == "0"
    assert second.start == 3
    assert not second.next_is_more
    assert page_of(own, 3, more=others) is None
    small = page_of(own, 0, more=others[:5])  # everything fits: one page, own first
    assert small is not None
    assert small.items[:3] == ("a", "b", "c")
    assert not small.paged
    # `apart`: the others on a page of their own even when everything would fit one.
    near = page_of(own, 0, more=others[:5], apart=True)
    assert near is not None
    assert (near.items, near.count, near.next_is_more) == (("a", "b", "c"), 2, True)
    far = page_of(own, 1, more=others[:5], apart=True)
    assert far is not None
    assert (far.items, far.start, far.has_next) == (tuple(others[:5]), 3, False)
    for alone in (page_of(own, 0, apart=True), page_of([], 0, more=own, apart=True)):
        assert alone is not None  # with no others, or none of one's own: one page
        assert (alone.items, alone.paged) == (tuple(own), False)
    assert page_of(own, 1, apart=True) is None


def test_cancel_on_one_page_only_when_asked() -> None:
    """/uppdatera's and /export's one-page lists stay without Avbryt; the forward list has it."""
    page = page_of(["a"], 0)
    assert page is not None
    rows = [[("a", "v1:u:c:0")]]
    cancel = ("nav.cancel", "v1:x:x")
    assert paged_rows(rows, page, label_key, str, cancel) == rows
    assert paged_rows(rows, page, label_key, str, cancel, always_cancel=True) == [*rows, [cancel]]


@pytest.mark.parametrize("arg", ["", "-1", "x", "1.5", "9999999", "01a"])
def test_a_page_number_is_digits(arg: str) -> None:
    assert page_number(arg) is None
    assert page_number("12") == 12


# ---------------------------------------------------------------------- every page, every item
def pages_checked(pages: list[list[list[tuple[str, str]]]], action: str) -> None:
    """Each page under Telegram's limit (at most a page of items, the navigation row and
    Avbryt), its Föregående and Nästa leading to the pages before and after it."""
    for number, rows in enumerate(pages):
        assert sum(len(row) for row in rows) <= PAGE_SIZE + 3 < TELEGRAM_MAX_BUTTONS
        moves = sorted(int(a.rpartition(".")[2]) for a in args(rows, action))
        assert moves == [n for n in (number - 1, number + 1) if 0 <= n < len(pages)]


def test_forwarding_every_actor_reachable_at_every_station(national: Deployment) -> None:
    for station in national.stations:
        near, far = forward_targets(national, station.id, ())
        pages = list(forward_pages(national, station.id))
        assert len(pages) > 1  # 408 actors: paged
        pages_checked(pages, "fp")
        shown = [a.rpartition(".")[2] for rows in pages for a in args(rows, "fw")]
        assert shown == [a.id for a in near + far]  # each once, the station's own first
        assert 0 < len(near) <= PAGE_SIZE
        assert {a.rpartition(".")[2] for a in args(pages[0], "fw")} == {a.id for a in near}


def test_commitments_and_stations_every_one_reachable(national: Deployment) -> None:
    admins = [m for m in national.staff if m.role is Role.ADMIN]
    assert any(not m.stations for m in admins)
    assert any(m.stations for m in admins)
    officers = [m for m in national.staff if m.role is Role.KOMMUNPOLIS][:20]
    for member in admins + officers:
        pages = list(update_pages(national, member))
        pages_checked(pages, "p")
        indices = [int(a) for rows in pages for a in args(rows, "c")]
        assert indices == list(range(len(choices_for(national, member))))
    ids = [s.id for s in national.stations]
    for member in admins:
        pages = list(export_pages(national, member))
        pages_checked(pages, "p")
        chosen = [ExportChoice.parse(a, ids) for rows in pages for a in args(rows, "c")]
        stations = [c.station for c in chosen if c is not None]
        scope = export_scope(national, member)
        assert stations == ([ALL] if scope.all_stations else []) + scope.stations
        assert len(stations) == (len(ids) + 1 if not member.stations else 2)


# ---------------------------------------------------------------------- through the bot
@pytest.fixture
async def national_bot(
    emulator: Emulator, bot_settings: Settings, national: Deployment
) -> AsyncIterator[BotApp]:
    for staff in (ADMIN, OFFICER, STATION_ADMIN, FIRST_TELEGRAM_ID + 1):
        emulator.world.user(staff, f"Staff {staff}").started = True
    # Paging through 60 pages takes more presses than a person's 30 a minute: the flood
    # limit (bot/handlers/limits.py) is not what these tests are about.
    limits = national.limits.model_copy(update={"messages_per_minute": 1000})
    deployment = national.model_copy(update={"limits": limits})
    # Not waiting for the outbox: cards to the file's placeholder staff who never opened the
    # bot stay pending (they back off), and would keep a settle from ending.
    async with in_process(emulator, bot_settings, deployment, wait_outbox=False) as app:
        yield app


def services_of(app: BotApp) -> Services:
    services = app.bot_data.services
    assert services is not None
    return services


def last_buttons(person: Person) -> tuple[Message, list[str]]:
    message = next(m for m in reversed(person.world.received(person.id)) if m.inline_buttons)
    assert len(message.inline_buttons) <= TELEGRAM_MAX_BUTTONS
    return message, [b["callback_data"] for b in message.inline_buttons]


async def page_through(person: Person, action: str) -> list[str]:
    """Press Nästa (or Fler …) until the last page; the arguments of every `action` button."""
    found: list[str] = []
    labels = {person.t("paging.next"), person.t("paging.more")}
    while True:
        message, buttons = last_buttons(person)
        found += [cb.arg for cb in map(callbacks.parse, buttons) if cb and cb.action == action]
        following = [b for b in message.inline_buttons if b["text"] in labels]
        if not following:
            return found
        await person.press(message, following[0]["callback_data"])


async def test_an_admin_pages_through_commitments_and_stations(
    national_bot: BotApp, emulator: Emulator, catalogs: Catalogs, national: Deployment
) -> None:
    world = emulator.world
    admin = Person(world, ADMIN, catalogs)
    await admin.say("/uppdatera")
    member = await services_of(national_bot).staff.by_telegram(ADMIN)
    assert member is not None
    choices = services_of(national_bot).updates.choices(member)
    assert len(choices) > 5 * TELEGRAM_MAX_BUTTONS
    indices = await page_through(admin, "c")
    assert sorted(map(int, indices)) == list(range(len(choices)))
    # A commitment on the last page works like one on the first.
    message, _ = last_buttons(admin)
    await admin.press(message, callbacks.encode("u", "c", indices[-1]))
    assert choices[int(indices[-1])].commitment.text in admin.last_text()
    for forged, key in [("v1:u:p:9999", "paging.gone"), ("v1:u:p:x", "desk.refused")]:
        await admin.press_forged(forged)
        assert admin.answer() == admin.t(key)
    await admin.press_forged(callbacks.encode("u", "c", str(len(choices))))
    assert admin.answer() == admin.t("desk.refused")

    await admin.say("/export")
    ids = [s.id for s in national.stations]
    chosen = [ExportChoice.parse(a, ids) for a in await page_through(admin, "c")]
    assert [c.station for c in chosen if c] == [ALL, *ids]
    await admin.press_forged("v1:x:p:9999")
    assert admin.answer() == admin.t("paging.gone")

    # An admin of two stations: one page; another station's page or station is refused.
    local = Person(world, STATION_ADMIN, catalogs)
    await local.say("/export")
    _, buttons = last_buttons(local)
    assert len(buttons) == 2
    assert "v1:x:p:1" not in buttons
    await local.press_forged("v1:x:p:1")
    assert local.answer() == local.t("paging.gone")
    await local.press_forged(callbacks.encode("x", "c", str(ids.index(ids[5]))))
    assert local.answer() == local.t("desk.refused")
    # A kommunpolis may not export at all: a page of the stations is refused too.
    officer = Person(world, OFFICER, catalogs)
    await officer.press_forged("v1:x:p:1")
    assert officer.answer() == officer.t("desk.refused")
    # Nor reach the admin's commitments by paging: only their own list's pages exist.
    await officer.say("/uppdatera")
    kommunpolis = await services_of(national_bot).staff.by_telegram(OFFICER)
    assert kommunpolis is not None
    theirs = services_of(national_bot).updates.choices(kommunpolis)
    assert len(await page_through(officer, "c")) == len(theirs) < len(choices)
    await officer.press_forged("v1:u:p:40")
    assert officer.answer() == officer.t("paging.gone")
    await officer.press_forged(callbacks.encode("u", "c", str(len(theirs))))
    assert officer.answer() == officer.t("desk.refused")


async def test_forwarding_a_case_pages_through_every_actor(
    national_bot: BotApp, emulator: Emulator, catalogs: Catalogs, national: Deployment
) -> None:
    world = emulator.world
    station = national.stations[0]
    draft = Draft(
        kind="report",
        station=station.id,
        category="belysning",
        description="Lamporna är trasiga.",
        times=["night"],
        place_text="vid perrongen",
    )
    case = await services_of(national_bot).submit(1, draft, "sv")
    await world.wait_for(OFFICER, lambda m: case.reference in m.text, timeout=30)
    officer = Person(world, OFFICER, catalogs)
    await officer.tap(officer.t("desk.btn.forward"))
    near, far = forward_targets(national, station.id, ())
    shown = await page_through(officer, "fw")
    current = {a.id for a in near + far}
    targets = [a.rpartition(".")[2] for a in shown]
    # Every actor the case is not already with, each once; the station's own come first.
    assert len(targets) == len(set(targets))
    assert set(targets) < current
    assert len(current - set(targets)) <= 3  # the actors the case was routed to
    near_ids = [a.id for a in near if a.id in targets]
    assert targets[: len(near_ids)] == near_ids

    listing, _ = last_buttons(officer)  # the list at its last page
    ref = case.reference
    await officer.press_forged(f"v1:c:fp:{ref}.9999")
    assert officer.answer() == officer.t("paging.gone")
    await officer.press_forged(f"v1:c:fw:{ref}.nobody")
    assert officer.answer() == officer.t("desk.refused")
    # The kommunpolis of another station may not page this case's list.
    other = next(
        m
        for m in national.staff
        if m.role is Role.KOMMUNPOLIS and m.telegram_id and station.id not in m.stations
    )
    assert other.telegram_id is not None
    stranger = Person(world, other.telegram_id, catalogs)
    await stranger.press_forged(f"v1:c:fp:{ref}.1")
    assert stranger.answer() == stranger.t("desk.refused")
    offered = [b["callback_data"] for m in world.received(stranger.id) for b in m.inline_buttons]
    assert not [d for d in offered if d.startswith(("v1:c:fw:", "v1:c:fp:"))]
    # The last actor of the last page: forwarded.
    await officer.press(listing, f"v1:c:fw:{shown[-1]}")
    name = next(a.name for a in national.actors if a.id == targets[-1])
    assert officer.t("desk.forwarded", reference=ref, actor=name) in officer.texts()


# ---------------------------------------------------------------------- a list on one page
def test_the_bundled_kommunpolis_sees_update_choices_in_the_file_order(
    deployment: Deployment,
) -> None:
    """The bundled file's lists fit one page: in the file's order, as before paging (the
    own-first order moved the Järfälla kommunpolis's commitments, and `u:c:N` is a position
    in this list: a list left open across the upgrade would pick another commitment)."""
    member = next(
        m for m in deployment.staff if m.role is Role.KOMMUNPOLIS and "jakobsberg" in m.stations
    )
    before = [
        (p.id, c.id)
        for p in deployment.promises
        for c in p.commitments
        if may_report_on(member, p.stations, c.owners)
    ]
    assert len(before) > 1
    assert [(c.promise.id, c.commitment.id) for c in choices_for(deployment, member)] == before
    rows = update_pages(deployment, member)
    assert len(list(rows)) == 1


def test_the_bundled_forward_list_puts_the_station_first(deployment: Deployment) -> None:
    """Issue 19, item 4 (was test_the_bundled_forward_list_keeps_the_file_order): on a list
    of one page too, the actors routed or staffed at Jakobsberg come first, in the file's
    order, and the others, in the file's order, behind "Fler …"; Avbryt on both pages. The
    forward buttons carry the actor's id, not a position, so the order may change."""
    file_order = [a.id for a in deployment.actors if a.kind is not ActorKind.OTHER]
    near, far = forward_targets(deployment, "jakobsberg", ())
    at_jakobsberg = ["polisen-jarfalla", "jarfalla-kommun", "trafikverket"]
    assert [a.id for a in near] == at_jakobsberg
    assert [a.id for a in far] == [a for a in file_order if a not in at_jakobsberg]
    first, others = forward_pages(deployment, "jakobsberg")
    assert [a.rpartition(".")[2] for a in args(first, "fw")] == at_jakobsberg
    assert [a.rpartition(".")[2] for a in args(others, "fw")] == [a.id for a in far]
    assert [b[0] for b in first[-2] + first[-1]] == ["paging.more", "nav.cancel"]
    assert [b[0] for b in others[-2] + others[-1]] == ["paging.previous", "nav.cancel"]


# ---------------------------------------------------------------------- where a page goes
async def test_a_page_of_a_list_that_cannot_be_edited_comes_as_a_new_message(
    national_bot: BotApp, emulator: Emulator, catalogs: Catalogs
) -> None:
    """Only "message is not modified" (pressed twice) is quiet; a list that can no longer be
    edited (here: deleted before the press was handled) gets its page as a new message."""
    world = emulator.world
    admin = Person(world, ADMIN, catalogs)
    await admin.say("/uppdatera")
    listing, _ = last_buttons(admin)
    await admin.press(listing, "v1:u:p:1")
    assert world.last(admin.id).id == listing.id  # turned in place
    admin.last_query = world.press(admin.id, listing.id, "v1:u:p:2")
    world.deleted(listing)  # by the resident, before the bot got to the press
    admin._mark = admin.mark()  # no await since the press: the bot has not seen it yet
    got = await admin.settle()
    assert [m.text for m in got] == [admin.t("update.choose")]
    assert "v1:u:p:1" in [b["callback_data"] for b in got[0].inline_buttons]  # page 2's
    # Pressed twice before the bot turned the page: the second finds it shown, quietly.
    world.press(admin.id, got[0].id, "v1:u:p:1")
    world.press(admin.id, got[0].id, "v1:u:p:1")
    admin._mark = admin.mark()
    assert await admin.settle() == []
    assert "v1:u:p:0" in [b["callback_data"] for b in got[0].inline_buttons]  # page 1's


JKB_GROUP = -100_555_0001
POLIS_JKB = 100000001  # the bundled file's kommunpolis at Jakobsberg


async def test_a_page_pressed_on_another_cases_card_leaves_the_card_alone(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """In Jakobsberg's group, the kommunpolis presses a forged Nästa of one case's forward
    list on another case's card: the card keeps its buttons (for everyone in the group), and
    the list comes as a new message."""
    world = emulator.world
    world.user(POLIS_JKB, "Polis (platshållare)").started = True
    world.group(JKB_GROUP, "Samverkan Jakobsberg", [POLIS_JKB])
    stations = [
        s.model_copy(update={"group_chat_id": JKB_GROUP}) if s.id == "jakobsberg" else s
        for s in deployment.stations
    ]
    dep = deployment.model_copy(update={"stations": stations})
    async with in_process(emulator, bot_settings, dep) as app:
        draft = Draft(
            kind="report",
            station="jakobsberg",
            category="belysning",
            description="Lamporna är trasiga.",
            times=["night"],
            place_text="vid perrongen",
        )
        first = await services_of(app).submit(1, draft, "sv")
        second = await services_of(app).submit(2, draft, "sv")

        await world.settle(JKB_GROUP, -1)  # the cards the outbox sends are out

        async def in_group(act: Callable[[], object]) -> list[Message]:
            before, seen = world.actions_in.get(JKB_GROUP, 0), len(world.received(JKB_GROUP))
            act()
            assert await world.settle(JKB_GROUP, before, quiet=0.3)
            return world.received(JKB_GROUP)[seen:]

        asked = f"/arende {first.reference}"
        (card,) = await in_group(lambda: world.send_text(POLIS_JKB, asked, chat_id=JKB_GROUP))
        assert first.reference in card.text
        buttons = [b["callback_data"] for b in card.inline_buttons]
        assert buttons
        for case in (second, first):
            data = f"v1:c:fp:{case.reference}.0"
            got = await in_group(
                partial(world.press, POLIS_JKB, card.id, data, chat_id=JKB_GROUP, forge=True)
            )
            assert [b["callback_data"] for b in card.inline_buttons] == buttons
            prompt = catalogs.text("sv", "desk.forward_prompt", reference=case.reference)
            assert [m.text for m in got] == [prompt]
            assert any(
                b["callback_data"].startswith(f"v1:c:fw:{case.reference}.")
                for b in got[0].inline_buttons
            )


# ---------------------------------------------------------------------- the id budget
def padded(deployment: Deployment) -> Deployment:
    """`deployment` with every station, actor, category, promise and commitment id made
    MAX_ID characters long, the references to them too."""
    text = bundled_deployment_path().read_text(encoding="utf-8")
    ids = [a.id for a in deployment.actors] + [s.id for s in deployment.stations]
    ids += [c.id for c in deployment.categories] + [p.id for p in deployment.promises]
    ids += [c.id for p in deployment.promises for c in p.commitments]
    lines = text.splitlines()
    for n, id_ in enumerate(sorted(set(ids), key=len, reverse=True)):
        long = f"{id_[: MAX_ID - 4]}-{n:03d}".ljust(MAX_ID, "x")
        lines = [
            line if line.startswith("kind") else line.replace(f'"{id_}"', f'"{long}"')
            for line in lines
        ]
    return parse_deployment("\n".join(lines), "padded.toml")


def test_ids_of_24_characters_fit_every_button(deployment: Deployment) -> None:
    """Every kind of button that carries an id from the file, built as the handlers build
    it, with ids of MAX_ID characters and a case reference of the longest kind: within
    Telegram's 64 bytes (callbacks.encode raises past them, or past a part of 40)."""
    dep = padded(deployment)
    assert {len(a.id) for a in dep.actors} == {len(s.id) for s in dep.stations} == {MAX_ID}
    reference = "ABCDE-" + "9" * REFERENCE_DIGITS
    token = "f" * 2 * TOKEN_BYTES
    made: list[str] = []
    for scope, make in [(token, Action.STATION.value), (token, Action.STATION_VIEW.value)]:
        made += data(station_buttons(dep.stations, make, scope, dep.stations[0]))
    for make in ("home", "fol", "unf", "promise"):
        made += data(station_buttons(dep.stations, make, callbacks.MENU))
    made += [callbacks.encode(token, Action.CATEGORY.value, c.id) for c in dep.categories]
    for station in dep.stations:
        near, far = forward_targets(dep, station.id, ())
        made += data(forward_rows(label_key, reference, near, far, 0) or [])
        made += data(forward_rows(label_key, reference, near[:1], (near + far) * 30, 1) or [])
    made += [callbacks.encode(CASE_SCOPE, code, reference) for code in ACTION_CODES]
    made += [callbacks.encode(CASE_SCOPE, a, reference) for a in ("show", "fwd", "link")]
    made += [callbacks.encode(CASE_SCOPE, "lk", f"{reference}.999")]
    made += [callbacks.encode(ANSWER_SCOPE, "ans", reference)]
    for member in dep.staff:
        for rows in update_pages(dep, member):
            made += data(rows)
        if member.role is Role.ADMIN:
            for rows in export_pages(dep, member):
                made += data(rows)
    forwarded = {d.rpartition(".")[2] for d in made if d.startswith("v1:c:fw:")}
    assert forwarded == {a.id for a in dep.actors if a.kind is not ActorKind.OTHER}
    assert any(d.startswith("v1:c:fp:") for d in made)
    assert all(len(d.encode()) <= callbacks.MAX_BYTES for d in made)
    assert all(callbacks.parse(d) is not None for d in made)  # and the bot reads them back
    # The formats bot.domain.telegram_limits checks leave room for an id of MAX_ID too.
    for scope, action in (*STATION_FORMATS, *CATEGORY_FORMATS):
        assert id_room(scope, action) >= MAX_ID
    assert id_room(*ACTOR_FORMAT, len(reference) + 1) >= MAX_ID


@pytest.mark.parametrize("section", ["stations", "actors", "categories", "promises", "commitments"])
def test_a_longer_id_is_one_clear_line(deployment: Deployment, section: str) -> None:
    """check-config (and the bot's start) names the id that is too long, in one line."""
    first = {
        "stations": deployment.stations[0].id,
        "actors": deployment.actors[0].id,
        "categories": deployment.categories[0].id,
        "promises": deployment.promises[0].id,
        "commitments": deployment.promises[0].commitments[0].id,
    }[section]
    text = bundled_deployment_path().read_text(encoding="utf-8")
    long = f"{first}-x".ljust(MAX_ID + 1, "x")
    with pytest.raises(DeploymentError) as caught:
        parse_deployment(text.replace(f'id = "{first}"', f'id = "{long}"', 1), "x.toml")
    (line,) = caught.value.lines
    assert line.startswith("x.toml: ")
    assert line.endswith(
        f"({long}).id: an id is at most {MAX_ID} characters (buttons carry it), not {MAX_ID + 1}"
    )
