"""The forward list (issue 19, item 4): the actors routed or staffed at the case's station
first, the others behind "Fler …", and Avbryt always, on a list of one page too."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.context import BotApp
from bot.domain.deployment import ActorKind, Deployment
from bot.domain.forwarding import forward_targets
from bot.domain.intake import Draft
from bot.emulator import Emulator
from bot.emulator.state import Message
from bot.handlers.desk import forward_rows
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person, db_rows

POLIS_JKB, POLIS_STK = (
    100000001,
    100000003,
)  # the bundled file's kommunpolis at Jakobsberg, Alingsås


@pytest.fixture
async def app(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> AsyncIterator[BotApp]:
    for staff in (POLIS_JKB, POLIS_STK):
        emulator.world.user(staff, f"Staff {staff}").started = True
    async with in_process(emulator, bot_settings, running_deployment) as app:
        yield app


def services_of(app: BotApp) -> Services:
    services = app.bot_data.services
    assert services is not None
    return services


async def jakobsberg_case(app: BotApp, emulator: Emulator) -> str:
    """A lighting report at Jakobsberg: routed to Järfälla kommun and its kommunpolis."""
    draft = Draft(
        kind="report",
        station="jakobsberg",
        category="belysning",
        description="Lamporna vid trappan är trasiga.",
        times=["night"],
        place_text="vid perrongen",
    )
    case = await services_of(app).submit(1, draft, "sv")
    await emulator.world.wait_for(POLIS_JKB, lambda m: case.reference in m.text, timeout=30)
    return case.reference


def labels(message: Message) -> list[str]:
    return [b["text"] for b in message.inline_buttons]


def actors_of(settings: Settings, reference: str) -> set[str]:
    found = db_rows(
        settings,
        "SELECT actor_id FROM case_actors JOIN cases ON cases.id = case_actors.case_id"
        " WHERE cases.reference = ?",
        reference,
    )
    return {r["actor_id"] for r in found}


def forwards(settings: Settings) -> int:
    return len(db_rows(settings, "SELECT 1 FROM case_events WHERE action = 'forward'"))


async def test_the_stations_actors_first_then_more_and_forward_to_one_of_them(
    app: BotApp,
    emulator: Emulator,
    bot_settings: Settings,
    catalogs: Catalogs,
    running_deployment: Deployment,
) -> None:
    reference = await jakobsberg_case(app, emulator)
    routed = actors_of(bot_settings, reference)
    assert routed == {"polisen-jarfalla", "jarfalla-kommun"}
    officer = Person(emulator.world, POLIS_JKB, catalogs)
    more, back, cancel = (
        officer.t("paging.more"),
        officer.t("paging.previous"),
        officer.t("nav.cancel"),
    )
    name = {a.id: a.name for a in running_deployment.actors}

    (listing,) = await officer.tap(officer.t("desk.btn.forward"))
    assert listing.text == officer.t("desk.forward_prompt", reference=reference)
    # Routed at Jakobsberg and not on the case yet: Trafikverket (platforms, passages).
    assert labels(listing) == [name["trafikverket"], more, cancel]

    await officer.tap(more)  # the same list, turned to the others
    assert officer.world.last(officer.id).id == listing.id
    others = [
        a.name
        for a in running_deployment.actors
        if a.kind is not ActorKind.OTHER and a.id not in routed | {"trafikverket"}
    ]
    assert others  # the Alingsås line's actors, Västtrafik among them
    assert labels(listing) == [*others, back, cancel]
    assert name["vasttrafik"] in others

    await officer.press(
        listing,
        next(b["callback_data"] for b in listing.inline_buttons if b["text"] == name["vasttrafik"]),
    )
    assert officer.last_text() == officer.t(
        "desk.forwarded", reference=reference, actor=name["vasttrafik"]
    )
    assert listing.inline_buttons == []
    assert actors_of(bot_settings, reference) == routed | {"vasttrafik"}
    assert forwards(bot_settings) == 1


async def test_avbryt_closes_the_list_with_nothing_forwarded(
    app: BotApp, emulator: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    reference = await jakobsberg_case(app, emulator)
    officer = Person(emulator.world, POLIS_JKB, catalogs)
    (listing,) = await officer.tap(officer.t("desk.btn.forward"))
    await officer.tap(officer.t("paging.more"))  # Avbryt on the others' page too
    got = await officer.tap(officer.t("nav.cancel"))
    assert [m.text for m in got] == [officer.t("desk.cancelled")]
    assert listing.inline_buttons == []
    assert forwards(bot_settings) == 0
    assert actors_of(bot_settings, reference) == {"polisen-jarfalla", "jarfalla-kommun"}


async def test_forged_forward_buttons_are_refused(
    app: BotApp, emulator: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = emulator.world
    reference = await jakobsberg_case(app, emulator)
    officer = Person(world, POLIS_JKB, catalogs)
    card = next(m for m in reversed(world.received(POLIS_JKB)) if reference in m.text)
    buttons = [b["callback_data"] for b in card.inline_buttons]
    assert buttons
    # Pages that the list does not have: refused with one line.
    for page in ("2", "9999", "x", ""):
        await officer.press_forged(f"v1:c:fp:{reference}.{page}")
        assert officer.answer() == officer.t("paging.gone"), page
    # Actors the list does not offer: the operators, one already on the case, no actor.
    for target in ("drift", "jarfalla-kommun", "nosuchactor"):
        await officer.press_forged(f"v1:c:fw:{reference}.{target}")
        assert officer.answer() == officer.t("desk.refused"), target
    # An Avbryt forged onto the case card leaves the card's buttons alone.
    officer._mark = officer.mark()
    officer.last_query = world.press(POLIS_JKB, card.id, f"v1:c:fx:{reference}", forge=True)
    await officer.settle()
    assert [b["callback_data"] for b in card.inline_buttons] == buttons
    # The kommunpolis of another station may neither page, nor forward, nor cancel.
    stranger = Person(world, POLIS_STK, catalogs)
    for data in (f"fp:{reference}.1", f"fw:{reference}.vasttrafik", f"fx:{reference}"):
        got = await stranger.press_forged(f"v1:c:{data}")
        assert stranger.answer() == stranger.t("desk.refused"), data
        assert not [b for m in got for b in m.inline_buttons], data
    assert forwards(bot_settings) == 0


# ---------------------------------------------------------------------- one page
def key(name: str) -> str:
    return name


def callback_actions(rows: list[list[tuple[str, str]]]) -> list[str]:
    return [data.split(":")[2] for row in rows for _, data in row]


def test_no_more_without_others_and_all_without_near(deployment: Deployment) -> None:
    """With no others, no "Fler …"; with none at the station, every actor at once. Avbryt
    on both."""
    near, far = forward_targets(deployment, "jakobsberg", ())
    assert near
    assert far
    only_near = forward_rows(key, "JKB-0001", near, [], 0)
    assert only_near is not None
    assert callback_actions(only_near) == ["fw"] * len(near) + ["fx"]
    assert forward_rows(key, "JKB-0001", near, [], 1) is None
    outside = deployment.model_copy(update={"routing": [], "staff": []})
    everyone, none = forward_targets(outside, "jakobsberg", ())
    assert none == []
    assert everyone == [a for a in deployment.actors if a.kind is not ActorKind.OTHER]
    rows = forward_rows(key, "JKB-0001", everyone, none, 0)
    assert rows is not None
    assert callback_actions(rows) == ["fw"] * len(everyone) + ["fx"]
    nothing = forward_rows(key, "JKB-0001", [], [], 0)
    assert nothing == [[("nav.cancel", "v1:c:fx:JKB-0001")]]
