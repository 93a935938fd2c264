"""Promises and updates: progress, following, staff updates, broadcasts, digests."""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import pytest

from bench.broadcast import busiest_second
from bot.domain.deployment import CommitmentStatus, Deployment
from bot.domain.promises import (
    CommitmentState,
    bar,
    month_bounds,
    outcome,
    promise_progress,
    small_count,
)
from bot.domain.telegram_limits import MAX_BUTTON_TEXT
from bot.emulator import Emulator
from bot.emulator.state import Event, World
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.bots import build, in_process, serving
from tests.people import Person, publish_update, to_description
from tests.people import db_rows as rows

RESIDENT, OTHER = 1001, 1002
POLIS_JKB = 100000001


# ---------------------------------------------------------------------- pure rules
def test_progress_is_the_weighted_mean(deployment: Deployment) -> None:
    jarfalla = deployment.promises[0]
    assert promise_progress(jarfalla, {}) == 11  # 1 of 9 done (the trygghetscenter)
    states = {c.id: CommitmentState(c.id, CommitmentStatus.DONE, 100) for c in jarfalla.commitments}
    assert promise_progress(jarfalla, states) == 100
    weighted = jarfalla.model_copy(
        update={
            "commitments": [
                jarfalla.commitments[0].model_copy(update={"weight": 3.0}),
                jarfalla.commitments[1],
            ]
        }
    )
    half = {jarfalla.commitments[0].id: CommitmentState("x", CommitmentStatus.IN_PROGRESS, 50)}
    assert promise_progress(weighted, half) == 38  # (3*50 + 1*0) / 4
    assert outcome(jarfalla, states) == (9, 9)


def test_bar_small_counts_and_months() -> None:
    assert bar(0) == "▱" * 10
    assert bar(30) == "▰▰▰▱▱▱▱▱▱▱"
    assert bar(100) == "▰" * 10
    assert [small_count(n) for n in (0, 1, 2, 3, 10)] == [None, None, None, 3, 10]
    assert month_bounds("2026-12") == (dt.date(2026, 12, 1), dt.date(2027, 1, 1))


# ---------------------------------------------------------------------- residents
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "sv",
            [
                "Framsteg: 11\u00a0% ▰▱▱▱▱▱▱▱▱▱",
                "Utfall: 1 av 9 åtaganden klara.",
                "klart · 100\u00a0%",
            ],
        ),
        ("en", ["Progress: 11% ▰▱▱▱▱▱▱▱▱▱", "Outcome: 1 of 9 commitments done.", "done · 100%"]),
    ],
)
async def test_both_promises_render_with_progress(
    live_bot: Emulator, catalogs: Catalogs, lang: str, expected: list[str]
) -> None:
    person = Person(live_bot.world, RESIDENT, catalogs, lang=lang)
    await person.say("/lofte")
    shown = await person.tap("Jakobsberg")
    text = shown[-1].text
    assert "Tryggare stationsområde i Jakobsberg" in text
    for part in expected:
        assert part in text
    await person.say("/start")
    await person.tap(person.t("menu.settings"))
    await person.tap(person.t("settings.home").split(" ", 1)[1])
    await person.tap("Floda")
    stk = (await person.say("/lofte"))[-1].text
    assert "Samverkan för en tryggare kollektivtrafik" in stk
    assert ("Framsteg: 0\u00a0% ▱▱▱▱▱▱▱▱▱▱" if lang == "sv" else "Progress: 0% ▱▱▱▱▱▱▱▱▱▱") in stk
    assert "Väktare vid Lerums" not in stk  # that commitment is for Lerum and Herrljunga


async def test_follow_after_a_report_and_stop_following(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    person = Person(live_bot.world, RESIDENT, catalogs)
    await person.say("/ide")
    await person.tap("Lerum")
    await person.tap(person.t("privacy.agree"))
    await person.say("Fler papperskorgar längs gångvägen.")
    await person.tap(person.t("nav.skip"))
    await person.tap(person.t("summary.send"))
    done = await person.tap("Följ Lerum")
    assert "Du följer nu Lerum" in done[-1].text
    listing = await person.say("/prenumerationer")
    assert "• Lerum" in listing[-1].text
    stopped = await person.tap("Sluta följa Lerum")
    assert "Du följer inte längre Lerum" in stopped[-1].text
    assert rows(bot_settings, "SELECT COUNT(*) AS n FROM station_follows")[0]["n"] == 0
    none = await person.say("/prenumerationer")
    assert "Du följer inga stationer" in none[-1].text


# ---------------------------------------------------------------------- staff updates
async def test_staff_update_reaches_followers_and_linked_reporters(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    deployment = running_deployment  # the seeds' promises have ended: no updates on them
    world = emulator.world
    world.user(POLIS_JKB).started = True
    app = build(emulator, bot_settings, deployment)
    async with serving(app, emulator):
        reporter, follower = Person(world, RESIDENT, catalogs), Person(world, OTHER, catalogs)
        await to_description(reporter, "Jakobsberg", "Behov av närvaro", "Vid stationsentrén")
        await reporter.say("Ingen personal syns här på kvällarna.")
        await reporter.tap(reporter.t("nav.skip"))
        await reporter.tap(reporter.t("summary.send"))
        await follower.say("/installningar")
        await follower.tap("Följ en station")
        await follower.tap("Jakobsberg")
        officer = Person(world, POLIS_JKB, catalogs)
        await world.wait_for(POLIS_JKB, lambda m: "JKB-0001" in m.text)
        await world.wait_idle(quiet=1.2)  # the card's photo-less parts are delivered
        offered = await officer.tap("Koppla till löftet")
        labels = [b["text"] for m in offered for b in m.inline_buttons]
        assert "Årlig trygghetsbesiktning av området med syfte att förbättr…" in labels
        assert all(len(label) <= MAX_BUTTON_TEXT for label in labels)
        await officer.tap("Kommunen har trygghetsskapande personal")
        await officer.say("/uppdatera")
        await officer.tap("Kommunen har trygghetsskapande personal")
        await officer.tap("pågår")
        preview = await officer.say("Från och med i måndags finns trygghetsvärdar kl 18–23.")
        assert "Förhandsvisning" in preview[-1].text
        assert "Status: pågår (50\u00a0%)" in preview[-1].text
        published = await officer.tap("Publicera")
        assert "Det skickas till 2 mottagare" in published[-1].text
        personal = await world.wait_for(RESIDENT, lambda m: "Du rapporterade JKB-0001" in m.text)
        assert "trygghetsvärdar kl 18–23" in personal.text
        general = await world.wait_for(OTHER, lambda m: "Nytt om löftet vid Jakobsberg" in m.text)
        assert "Status: pågår (50\u00a0%)" in general.text
        lofte = (await follower.say("/lofte"))[-1].text
        assert "Senast (" in lofte
        assert "trygghetsvärdar kl 18–23" in lofte
        assert "Framsteg: 17\u00a0%" in lofte  # (100 + 50) / 9
    (update,) = rows(bot_settings, "SELECT * FROM commitment_updates")
    assert (update["actor_id"], update["status"]) == ("polisen-jarfalla", "in_progress")
    assert update["staff_id"] is not None


async def test_the_latest_update_shows_its_local_date(
    bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """An update at 00:30 on 1 November in Stockholm is stored as 31 October 23:30 UTC: the
    resident reads 1 November."""
    from bot.handlers.promises import render
    from storage.promises import Update

    promise = running_deployment.promises[0]
    commitment = next(
        c for c in promise.commitments if not c.stations or "jakobsberg" in c.stations
    )
    stored = Update(1, commitment.id, "in_progress", 50, "Ny belysning.", None, None,
                    "2026-10-31T23:30:00+00:00")  # fmt: skip
    services = await Services.open(bot_settings, running_deployment, catalogs)
    try:
        lines = render(
            services, "sv", promise, "jakobsberg", {}, {commitment.id: stored}, promise.start
        )
    finally:
        await services.close()
    latest = [line for line in lines if "Ny belysning." in line]
    assert latest == ["    <i>Senast (1 nov. 2026): Ny belysning.</i>"]


async def test_editing_the_deployment_keeps_the_timeline(
    bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    deployment = running_deployment  # the seeds' promises have ended: no updates on them
    services = await Services.open(bot_settings, deployment, catalogs)
    try:
        member = await services.staff.by_telegram(POLIS_JKB)
        assert member is not None
        choice = services.updates.choices(member)[0]
        await services.updates.publish(member, choice, CommitmentStatus.DONE, "Klart.", None)
        # Järfälla adds its next promise to the file: the old state and timeline remain.
        new = deployment.promises[0].model_copy(
            update={
                "id": "jarfalla-2021-2022",
                "commitments": [
                    c.model_copy(update={"id": c.id.replace("jkb-", "jkb2-")})
                    for c in deployment.promises[0].commitments
                ],
            }
        )
        edited = deployment.model_copy(update={"promises": [*deployment.promises, new]})
        assert await services.promises.seed(edited) == 9
        assert await services.promises.seed(edited) == 0
        states = await services.promises.states()
        assert states[choice.commitment.id].status is CommitmentStatus.DONE
        assert states["jkb2-trygghetsbesiktning"].status is CommitmentStatus.PLANNED
        assert len(await services.promises.latest_updates()) == 1
    finally:
        await services.close()


# ---------------------------------------------------------------------- broadcast and restart
# At scale (3,000 followers over HTTP, 10,000 in the full run): bench/broadcast.py's restart
# check, run by `python -m bench --quick`. Here the same rule with 60 followers at 50 a second:
# more than a second of sending, so the one-second limit is what paces it.
async def add_followers(services: Services, world: World, first: int, count: int) -> None:
    now = "2026-01-01T00:00:00+00:00"
    async with services.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO residents (chat_id, language, created_at, last_seen_at)"
            " VALUES (?, 'sv', ?, ?)",
            [(first + i, now, now) for i in range(count)],
        )
        await conn.execute(
            "INSERT INTO station_follows (resident_id, station_id, created_at)"
            " SELECT id, 'floda', ? FROM residents WHERE chat_id >= ? AND chat_id < ?",
            (now, first, first + count),
        )
    for i in range(count):
        world.user(first + i).started = True


async def test_broadcast_with_flood_control_and_a_restart_is_exactly_once(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> None:
    deployment = running_deployment  # the seeds' promises have ended: no updates on them
    rate, followers, first = 50, 60, 3_000_000
    settings = bot_settings.model_copy(update={"rate_per_second": rate})
    world = emulator.world
    world.flood.enabled = True
    world.flood.global_per_second = rate  # the emulator enforces exactly the configured rate
    sent_times: list[float] = []
    a_third = asyncio.Event()

    def on_sent(event: Event) -> None:
        if event.kind == "sent":
            sent_times.append(time.monotonic())
            if len(sent_times) >= followers // 3:
                a_third.set()

    world.watch(on_sent)
    async with in_process(emulator, settings, deployment, wait_outbox=False) as app:
        services = app.bot_data.services
        assert services is not None
        await add_followers(services, world, first, followers)
        # This follower blocked the bot; it learns so from the 403 of its send (world.block
        # would also tell it by an update, which may or may not come before the publish).
        world.user(first + 7).blocked = True
        count = await publish_update(services, "Trygghetsvärdar på plats varje kväll.")
        assert count == followers
        await asyncio.wait_for(a_third.wait(), 10)  # stop a third of the way through
    delivered_before = len(sent_times)
    assert delivered_before < followers, "the restart happens in the middle of the broadcast"
    async with in_process(emulator, settings, deployment):
        assert await world.wait_idle(timeout=10)  # the outbox has nothing left to send
    pending = "SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'"
    assert rows(settings, pending)[0]["n"] == 0
    assert world.flood_errors == 0, f"{world.flood_errors} x 429: the bot went over the limit"
    assert busiest_second(sent_times) <= rate, busiest_second(sent_times)
    received = [len(world.received(first + i)) for i in range(followers)]
    assert received.count(1) == followers - 1, {n: received.count(n) for n in set(received)}
    assert received[7] == 0  # ... except the follower who blocked the bot
    (chat,) = rows(settings, "SELECT active, reason FROM chats WHERE chat_id = ?", first + 7)
    assert chat["active"] == 0


# ---------------------------------------------------------------------- digest
async def test_monthly_digest_hides_small_counts(
    bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    services = await Services.open(bot_settings, deployment, catalogs)
    try:
        resident = await services.residents.touch(RESIDENT, "sv")
        await services.promises.follow(resident.id, "floda")
        async with services.db.transaction() as conn:
            for n, category in enumerate(["belysning"] * 4 + ["klotter"] * 2):
                await conn.execute(
                    "INSERT INTO cases (reference, station_id, number, kind, category,"
                    " description, created_at) VALUES (?, 'floda', ?, 'report', ?, 'x',"
                    " '2026-10-15T10:00:00+00:00')",
                    (f"FLO-{n + 1:04d}", n + 1, category),
                )
        assert await services.updates.digest("floda", "2026-10") == 1
        (row,) = rows(bot_settings, "SELECT payload FROM outbox WHERE recipient = ?", str(RESIDENT))
        text = row["payload"]
        assert "Ni sa, vi gjorde: Floda, oktober 2026" in text
        assert "Belysning: 4" in text
        assert "Klotter och skadeg\\u00f6relse: f\\u00e4rre \\u00e4n 3" in text
        assert await services.updates.digest("floda", "2026-09") == 1  # empty month still says so
    finally:
        await services.close()


def test_digest_command(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["digest", "--station", "floda", "--month", "2026-10"]) == 0
    assert "ligger i kö till 0 följare." in capsys.readouterr().out
    assert main(["digest", "--station", "floda", "--month", "October"]) == 2
    assert "Skriv månaden som 2026-10, inte October." in capsys.readouterr().err
