"""Trust between staff: who may invite and revoke whom, what a code may change, who hears of
an escalation, two officers at once, and staff the deployment file no longer lists."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.domain.access import may_grant, may_open, may_revoke
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.domain.lifecycle import Action
from bot.emulator import Emulator
from bot.emulator.state import World
from bot.i18n import Catalogs
from bot.services import CrimeTip, Services
from bot.services.desk import AlreadyHandled, Outcome
from bot.settings import Settings
from storage import Database
from storage.migrations import MIGRATIONS
from storage.staff import AlreadyStaff, StaffEntry, StaffRepository
from tests.people import Person
from tests.people import db_rows as rows

POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN = 100000001, 100000002, 100000003, 100000009
RESIDENT = 1001
LOCAL_ADMIN = 4501  # an admin for Jakobsberg only, actor "drift"
REFUSED = "Det här kan du inte göra."


# ---------------------------------------------------------------------- the policy, as a table
class M:
    def __init__(
        self, role: str, actor: str, stations: tuple[str, ...], source: str = "invite", id: int = 0
    ) -> None:
        self.role, self.actor_id, self.stations, self.source, self.id = (
            role,
            actor,
            stations,
            source,
            id,
        )


NATIONAL = M("admin", "drift", (), "deployment", 1)
LOCAL = M("admin", "drift", ("jakobsberg", "barkarby"), "invite", 2)
POLIS = M("kommunpolis", "polisen-jarfalla", ("jakobsberg",), "deployment", 3)
PARTNER = M("partner", "jarfalla-kommun", ("jakobsberg",), "invite", 4)


@pytest.mark.parametrize(
    ("member", "station", "actors", "allowed"),
    [
        (NATIONAL, "floda", [], True),
        (LOCAL, "jakobsberg", [], True),
        (LOCAL, "floda", ["drift"], False),  # its actor routed elsewhere is not enough
        (POLIS, "jakobsberg", ["trafikverket"], True),
        (POLIS, "floda", ["polisen-jarfalla"], False),
        (PARTNER, "jakobsberg", ["jarfalla-kommun"], True),
        (PARTNER, "jakobsberg", ["trafikverket"], False),
        (M("admin", "jarfalla-kommun", ("floda",)), "jakobsberg", ["jarfalla-kommun"], False),
    ],
)
def test_who_may_open_a_case(member: M, station: str, actors: list[str], allowed: bool) -> None:
    assert may_open(member, station, actors) is allowed


@pytest.mark.parametrize(
    ("member", "role", "actor", "stations", "allowed"),
    [
        (NATIONAL, "admin", "polisen-alingsas", ["floda"], True),
        (LOCAL, "partner", "drift", ["jakobsberg"], True),
        (LOCAL, "admin", "drift", ["jakobsberg", "barkarby"], True),  # no wider than itself
        (LOCAL, "partner", "drift", ["floda"], False),
        (LOCAL, "partner", "drift", ["jakobsberg", "floda"], False),
        (LOCAL, "kommunpolis", "polisen-jarfalla", ["jakobsberg"], False),  # not its actor
        (LOCAL, "partner", "drift", [], False),
        (LOCAL, "boss", "drift", ["jakobsberg"], False),
        (POLIS, "partner", "polisen-jarfalla", ["jakobsberg"], False),  # admins only
        (PARTNER, "partner", "jarfalla-kommun", ["jakobsberg"], False),
    ],
)
def test_who_may_grant_what(
    member: M, role: str, actor: str, stations: list[str], allowed: bool
) -> None:
    assert may_grant(member, role, actor, stations) is allowed


@pytest.mark.parametrize(
    ("member", "target", "allowed"),
    [
        (NATIONAL, PARTNER, True),
        (NATIONAL, POLIS, False),  # the file's staff leave the file
        (NATIONAL, M("admin", "drift", (), "invite", 1), False),  # never oneself
        (LOCAL, M("partner", "drift", ("jakobsberg",), "invite", 9), True),
        (LOCAL, PARTNER, False),  # another actor
        (LOCAL, M("partner", "drift", ("floda",), "invite", 9), False),
        (POLIS, PARTNER, False),
    ],
)
def test_who_may_revoke_whom(member: M, target: M, allowed: bool) -> None:
    assert may_revoke(member, target) is allowed


# ---------------------------------------------------------------------- in Telegram
@pytest.fixture
async def staff_bot(live_bot: Emulator) -> Emulator:
    for staff in (POLIS_JKB, KOMMUN_JKB, POLIS_STK, ADMIN, LOCAL_ADMIN):
        live_bot.world.user(staff, f"Person {staff}").started = True
    return live_bot


async def code_from(admin: Person, command: str) -> str:
    reply = (await admin.say(command))[-1].text
    assert "Engångskod: " in reply, reply
    return reply.split("Engångskod: ")[1].split(" ")[0]


async def local_admin(world: World, catalogs: Catalogs) -> Person:
    """The national admin makes an admin for Jakobsberg (actor drift), who links up."""
    national = Person(world, ADMIN, catalogs)
    code = await code_from(national, "/invite drift jakobsberg admin")
    local = Person(world, LOCAL_ADMIN, catalogs)
    linked = await local.say(f"/start {code}")
    assert "admin för Trygghetsboten drift (jakobsberg)" in linked[-1].text
    return local


def invites(settings: Settings) -> list[tuple[str, str, str]]:
    return [
        (r["role"], r["actor_id"], r["stations"])
        for r in rows(settings, "SELECT * FROM invites ORDER BY rowid")
    ]


async def test_a_station_admin_invites_only_inside_its_scope(
    staff_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    local = await local_admin(staff_bot.world, catalogs)
    before = invites(bot_settings)
    for command in (
        "/invite polisen-alingsas floda admin",  # another station and actor
        "/invite drift jakobsberg,floda admin",  # one station too many
        "/invite polisen-jarfalla jakobsberg kommunpolis",  # its station, another actor
    ):
        reply = (await local.say(command))[-1].text
        assert "Skriv: /invite" in reply, command
        lists = reply.split("\n", 1)[1]  # the actors and stations it may choose from
        assert lists == "Aktörer: drift\nStationer: jakobsberg", command
    assert invites(bot_settings) == before  # no code was made
    await code_from(local, "/invite drift jakobsberg partner")
    assert invites(bot_settings)[-1] == ("partner", "drift", '["jakobsberg"]')


async def test_a_code_never_widens_or_replaces_an_existing_member(
    staff_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = staff_bot.world
    national = Person(world, ADMIN, catalogs)
    wide = await code_from(national, "/invite polisen-alingsas floda,lerum kommunpolis")
    partner = Person(world, KOMMUN_JKB, catalogs)
    reply = (await partner.say(f"/start {wide}"))[-1].text
    assert "Du har redan åtkomst som partner för Järfälla kommun (jakobsberg)" in reply
    (row,) = rows(bot_settings, "SELECT * FROM staff WHERE telegram_id = ?", KOMMUN_JKB)
    assert (row["role"], row["actor_id"], row["stations"], row["source"]) == (
        "partner",
        "jarfalla-kommun",
        '["jakobsberg"]',
        "deployment",
    )
    (invite,) = rows(bot_settings, "SELECT * FROM invites")
    assert invite["used_at"] is None  # the code is still there for whom it was meant
    # A station admin redeeming its own admin code gains nothing either.
    local = await local_admin(world, catalogs)
    own = await code_from(local, "/invite drift jakobsberg admin")
    assert "Du har redan åtkomst" in (await local.say(f"/start {own}"))[-1].text
    refused = (await Person(world, POLIS_STK, catalogs).say(f"/start {own}"))[-1].text
    assert "Du har redan åtkomst som kommunpolis" in refused


def staff_id(settings: Settings, telegram_id: int) -> int:
    (row,) = rows(settings, "SELECT id FROM staff WHERE telegram_id = ?", telegram_id)
    return int(row["id"])


def active(settings: Settings, telegram_id: int) -> bool:
    (row,) = rows(settings, "SELECT active FROM staff WHERE telegram_id = ?", telegram_id)
    return bool(row["active"])


async def test_revoking_stays_inside_the_admins_scope(
    staff_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = staff_bot.world
    national = Person(world, ADMIN, catalogs)
    local = await local_admin(world, catalogs)
    for chat, command in (
        (4601, "/invite vasttrafik floda partner"),  # the national admin's, elsewhere
        (4602, "/invite drift jakobsberg partner"),  # inside the station admin's scope
    ):
        await Person(world, chat, catalogs).say(f"/start {await code_from(national, command)}")
    listing = (await local.say("/staff"))[-1]
    labels = [b["text"] for b in listing.inline_buttons]
    assert labels == ["Återkalla Person 4602"]
    for target in (4601, POLIS_JKB, ADMIN, LOCAL_ADMIN):
        await local.press_forged(f"v1:s:rev:{staff_id(bot_settings, target)}")
        assert local.answer() == REFUSED, target
        assert active(bot_settings, target), target
    # Not even the national admin revokes the file's staff: they leave the file.
    await national.press_forged(f"v1:s:rev:{staff_id(bot_settings, POLIS_JKB)}")
    assert national.answer() == REFUSED
    assert active(bot_settings, POLIS_JKB)
    await local.tap("Återkalla Person 4602")
    assert "Person 4602 har inte längre åtkomst" in local.last_text()
    assert not active(bot_settings, 4602)


# ---------------------------------------------------------------------- the deployment file
def entry(
    telegram_id: int, role: str = "partner", stations: tuple[str, ...] = ("floda",)
) -> StaffEntry:
    return StaffEntry(f"Staff {telegram_id}", role, "vasttrafik", stations, telegram_id, None)


async def test_removed_from_the_file_loses_access_whatever_linked_them(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite3") as db:
        staff = StaffRepository(db)
        await staff.sync_deployment([entry(1), entry(2)])
        # 1, listed in the file, tries a code; 2 links by code first and is added to the file
        # later; 3 only ever had a code.
        wide, _ = await staff.create_invite("admin", "drift", ["floda", "lerum"], None, 1)
        with pytest.raises(AlreadyStaff):
            await staff.redeem(wide, 1, "Staff 1")
        for chat in (3, 4):
            code, _ = await staff.create_invite("partner", "vasttrafik", ["floda"], None, 1)
            await staff.redeem(code, chat, f"Staff {chat}")
        await staff.sync_deployment([entry(1), entry(2), entry(3)])
        member = await staff.by_telegram(1)
        assert member is not None
        assert (member.role, member.stations, member.source) == (
            "partner",
            ("floda",),
            "deployment",
        )
        # The next start, with 1, 2 and 3 out of the file.
        await staff.sync_deployment([])
        assert [await staff.by_telegram(chat) for chat in (1, 2, 3)] == [None, None, None]
        still = await staff.by_telegram(4)
        assert still is not None
        assert still.source == "invite"  # never in the file: stays until revoked


async def test_upgrade_gives_the_file_back_rows_a_code_took_over(tmp_path: Path) -> None:
    """Before schema 7 a code could turn a file row into an invite row; the upgrade undoes it."""
    path = tmp_path / "db.sqlite3"
    async with await Database.open(path, migrations=MIGRATIONS[:6]) as old:
        staff = StaffRepository(old)
        await staff.sync_deployment([entry(1)])
        code, _ = await staff.create_invite("partner", "vasttrafik", ["floda"], None, 1)
        # A plain invite, linked as redeem links it (redeem reads the row back with today's
        # columns, which schema 6 lacks).
        async with old.transaction() as conn:
            now = "2030-01-01T09:00:00+00:00"
            await conn.execute(
                "UPDATE invites SET used_by = 2, used_at = ? WHERE code = ?", (now, code)
            )
            await conn.execute(
                "INSERT INTO staff (key, telegram_id, name, role, actor_id, stations, source,"
                " active, created_at) VALUES ('tg:2', 2, 'Staff 2', 'partner', 'vasttrafik',"
                " '[\"floda\"]', 'invite', 1, ?)",
                (now,),
            )
        async with old.transaction() as conn:  # what the old redeem did to a file row
            await conn.execute(
                "INSERT INTO invites (code, role, actor_id, stations, created_by, created_at,"
                " expires_at, used_by, used_at) VALUES ('OLDCODE1', 'admin', 'drift', '[]',"
                " NULL, '2030-01-01T00:00:00+00:00', '2030-01-02T00:00:00+00:00', 1,"
                " '2030-01-01T10:00:00+00:00')"
            )
            await conn.execute("UPDATE staff SET source = 'invite' WHERE telegram_id = 1")
    async with await Database.open(path) as db:
        staff = StaffRepository(db)
        await staff.sync_deployment([])
        assert await staff.by_telegram(1) is None
        assert await staff.by_telegram(2) is not None


def test_purge_leaves_the_staff_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`trygghetsbot purge` run with another deployment file in its environment."""
    from bot.cli import main
    from bot.settings import bundled_deployment_path

    database = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("TRYGG_DATABASE", str(database))
    assert main(["migrate"]) == 0
    other = tmp_path / "other.toml"
    text = bundled_deployment_path().read_text(encoding="utf-8")
    other.write_text(text.replace("telegram_id = 100000001", "telegram_id = 100000071"))

    async def start_bot() -> None:
        from bot.config import load_deployment

        deployment = load_deployment(bundled_deployment_path())
        settings = Settings(database=database, media_dir=tmp_path / "media")
        services = await Services.open(settings, deployment, Catalogs.load(["sv"]))
        await services.close()

    asyncio.run(start_bot())
    monkeypatch.setenv("TRYGG_DEPLOYMENT", str(other))
    assert main(["purge"]) == 0
    assert "Purged:" in capsys.readouterr().out
    with sqlite3.connect(database) as conn:
        listed = dict(conn.execute("SELECT telegram_id, active FROM staff").fetchall())
    assert listed[POLIS_JKB] == 1
    assert 100000071 not in listed


# ---------------------------------------------------------------------- escalation and races
@pytest.fixture
async def services(
    tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[Services]:
    settings = Settings(database=tmp_path / "bot.sqlite3", media_dir=tmp_path / "media")
    opened = await Services.open(settings, deployment, catalogs)
    try:
        yield opened
    finally:
        await opened.close()


def draft(station: str = "jakobsberg") -> Draft:
    return Draft(
        kind="report",
        station=station,
        category="belysning",
        description="Lamporna är trasiga.",
        place_text="Trappan",
        times=["evening"],
    )


async def link(services: Services, chat: int, role: str, actor: str, stations: list[str]) -> None:
    code, _ = await services.staff.create_invite(role, actor, stations, None, 1)
    await services.staff.redeem(code, chat, f"Staff {chat}")


async def texts_to(services: Services, recipient: int | None = None) -> list[tuple[int, str]]:
    """(chat, text) of every queued Telegram text, oldest first."""
    found = await services.db.fetchall(
        "SELECT recipient, payload FROM outbox WHERE channel = 'telegram' AND kind = 'text'"
        " ORDER BY id"
    )
    texts = [(int(r["recipient"]), json.loads(r["payload"])["text"]) for r in found]
    return [(chat, text) for chat, text in texts if recipient in (None, chat)]


async def outbox_to(services: Services, text: str) -> set[int]:
    return {chat for chat, queued in await texts_to(services) if text in queued}


async def test_escalation_reaches_only_admins_who_may_open_the_case(
    services: Services,
) -> None:
    # The kommun's admin at Floda: its actor owns lighting at Jakobsberg, but not its station.
    await link(services, 4701, "admin", "jarfalla-kommun", ["floda"])
    await link(services, 4702, "admin", "drift", ["jakobsberg"])
    case = await services.submit(RESIDENT, draft(), "sv")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
    assert await services.escalation.run(later) == 1
    alerted = await outbox_to(services, f"{case.reference} vid Jakobsberg har inte kvitterats")
    assert alerted == {ADMIN, 4702}


async def test_a_removed_station_does_not_stop_escalation_elsewhere(
    services: Services, deployment: Deployment, catalogs: Catalogs, caplog: pytest.LogCaptureFixture
) -> None:
    gone = await services.submit(RESIDENT, draft("jakobsberg"), "sv")
    kept = await services.submit(RESIDENT + 1, draft("floda"), "sv")
    await services.close()
    # The next start: Jakobsberg is out of the file, its open case is still in the database.
    trimmed = deployment.model_copy(
        update={"stations": [s for s in deployment.stations if s.id != "jakobsberg"]}
    )
    restarted = await Services.open(services.settings, trimmed, catalogs)
    try:
        later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
        with caplog.at_level(logging.WARNING, logger="bot.services.escalation"):
            assert await restarted.escalation.run(later) == 1
        assert await outbox_to(restarted, f"Påminnelse: {kept.reference}")
        assert not await outbox_to(restarted, f"Påminnelse: {gone.reference}")
        assert any(gone.reference in r.getMessage() for r in caplog.records)
        # An officer can still open it: the card names the station by its id.
        stored = await restarted.cases.get(gone.reference)
        assert stored is not None
        assert "jakobsberg" in restarted.desk.card_text(stored)
    finally:
        await restarted.close()


async def test_two_officers_at_once_one_wins(services: Services) -> None:
    case = await services.submit(RESIDENT, draft(), "sv")
    polis = await services.desk.member(POLIS_JKB)
    kommun = await services.desk.member(KOMMUN_JKB)
    await services.desk.act(polis, case.reference, Action.ACKNOWLEDGE)
    results = await asyncio.gather(
        services.desk.act(polis, case.reference, Action.RESOLVE, "Lamporna är bytta."),
        services.desk.act(kommun, case.reference, Action.REJECT, "Inte vår trappa."),
        return_exceptions=True,
    )
    won = [r for r in results if isinstance(r, Outcome)]
    lost = [r for r in results if isinstance(r, AlreadyHandled)]
    assert (len(won), len(lost)) == (1, 1), results
    winner = "polisen-jarfalla" if won[0].action is Action.RESOLVE else "jarfalla-kommun"
    assert lost[0].actor == services.desk.actor_name(winner)
    assert lost[0].status is won[0].status
    told = [text for _, text in await texts_to(services, RESIDENT)]
    closing = [t for t in told if "är åtgärdat" in t or "kan tyvärr inte åtgärdas" in t]
    assert len(closing) == 1, told
    actions = [e["action"] for e in await services.cases.events(case.id)]
    assert actions[:2] == ["created", "acknowledge"]
    assert actions[2:] in (["resolve"], ["reject"])


async def test_the_second_officer_is_told_who_was_first(
    staff_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """Both officers write their note; the bot takes both at the same moment."""
    from tests.test_desk import report, wait_for_text

    world = staff_bot.world
    assert "JKB-0001" in await report(Person(world, RESIDENT, catalogs))
    polis, kommun = Person(world, POLIS_JKB, catalogs), Person(world, KOMMUN_JKB, catalogs)
    await wait_for_text(world, POLIS_JKB, "JKB-0001")
    await wait_for_text(world, KOMMUN_JKB, "JKB-0001")
    await world.wait_for(KOMMUN_JKB, lambda m: m.kind == "location")  # the whole card is here
    await polis.tap("Kvittera")
    await polis.tap("Åtgärdad")
    await kommun.tap("Kan inte åtgärdas")
    for person in (polis, kommun):
        person._mark = person.mark()
    world.send_text(POLIS_JKB, "Lamporna är bytta.")
    world.send_text(KOMMUN_JKB, "Inte vår trappa.")
    replies = {
        p.id: [m.text for m in await p.settle() if m.kind == "text"] for p in (polis, kommun)
    }
    done = {"JKB-0001: åtgärdad.", "JKB-0001: kan inte åtgärdas."}
    (winner,) = [chat for chat, texts in replies.items() if texts and texts[0] in done]
    (loser,) = set(replies) - {winner}
    first = {  # the status as a sentence: never "ärendet är åtgärdad" or "är kan inte ..."
        POLIS_JKB: ("Lokalpolisområde Järfälla", "ärendet är åtgärdat"),
        KOMMUN_JKB: ("Järfälla kommun", "ärendet kan inte åtgärdas"),
    }
    actor, state = first[winner]
    assert replies[loser] == [
        f"JKB-0001 har redan hanterats av {actor}: {state}. Inget har ändrats."
    ], replies
    told = [
        json.loads(r["payload"])["text"]
        for r in rows(bot_settings, "SELECT payload FROM outbox WHERE recipient = ?", RESIDENT)
    ]
    closing = [t for t in told if "är åtgärdat" in t or "kan tyvärr inte åtgärdas" in t]
    assert len(closing) == 1, told


async def test_the_first_admin_from_the_server_is_an_admin_of_every_station(
    staff_bot: Emulator, bot_settings: Settings, catalogs: Catalogs, tmp_path: Path
) -> None:
    """`trygghetsbot invite --role admin` without --stations, as admin.md shows: that admin
    may invite anyone (a station-bound admin only its own actor)."""
    from tests.processes import bot_env, cli

    env = bot_env(None, tmp_path, TRYGG_DATABASE=str(bot_settings.database))
    status, out, _ = await cli(env, "invite", "--actor", "drift", "--role", "admin")
    assert status == 0
    code = out.split("/start ")[1].split()[0]
    first = Person(staff_bot.world, 4801, catalogs)
    linked = (await first.say(f"/start {code}"))[-1].text
    assert "Du är nu kopplad som admin för Trygghetsboten drift (*)" in linked
    await code_from(first, "/invite polisen-alingsas floda kommunpolis")
    status, _, err = await cli(env, "invite", "--actor", "drift", "--role", "partner")
    assert status == 2  # everyone else needs stations
    assert "Skriv vilka stationer inbjudan gäller" in err


async def test_a_tip_split_over_place_and_description_is_not_stored(services: Services) -> None:
    tip = draft()
    tip.place_text = "Kalle Svensson, Storgatan 5"
    tip.description = "han langar knark vid porten varje kväll"
    with pytest.raises(CrimeTip):
        await services.submit(RESIDENT, tip, "sv")
    assert await services.cases.count() == 0
    # The place with a drug scene and nobody named is a report.
    scene = draft()
    scene.place_text = "Gångtunneln under spåren"
    scene.description = "Det luktar hasch och folk dealar öppet i tunneln."
    assert (await services.submit(RESIDENT, scene, "sv")).reference == "JKB-0001"


async def test_an_answer_reaches_the_asker_only_while_they_may_open_the_case(
    services: Services,
) -> None:
    case = await services.submit(RESIDENT, draft(), "sv")
    asker = 5001
    await link(services, asker, "kommunpolis", "polisen-jarfalla", ["jakobsberg"])
    await services.desk.act(await services.desk.member(asker), case.reference, Action.ASK, "Var?")
    # The officer moves to Floda: revoked, then linked again (the same staff row comes back).
    member = await services.desk.member(asker)
    assert member is not None
    await services.staff.revoke(member.id)
    await link(services, asker, "kommunpolis", "polisen-alingsas", ["floda"])
    await services.desk.answer(RESIDENT, case.reference, "Vid trappan upp till perrong 1.")
    assert not await outbox_to(services, "Vid trappan upp till perrong 1.") & {asker}
    assert await outbox_to(services, "Vid trappan upp till perrong 1.")  # the kommunpolis
