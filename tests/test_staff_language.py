"""Staff read the bot in their own language (issue 19, item 5): their `language` in the
deployment file, else their own choice, else their Telegram language, else the default. A
station's group chat reads the default."""

from __future__ import annotations

import asyncio
import re
from email.message import Message as EmailMessage
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services.cards import CASE_SCOPE
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person, agree, db_rows
from tests.processes import Sink
from tests.test_desk import report, wait_for_text

REPO = Path(__file__).resolve().parent.parent
RESIDENT = 1001
POLIS_JKB, KOMMUN_JKB, ADMIN = 100000001, 100000002, 100000009
JKB_GROUP = -1009001


def with_staff_language(deployment: Deployment, lang: str | None) -> Deployment:
    """The bundled deployment, the Jakobsberg kommunpolis reading `lang`, and a group chat
    for Jakobsberg."""
    staff = [
        s.model_copy(update={"language": lang}) if s.telegram_id == POLIS_JKB else s
        for s in deployment.staff
    ]
    stations = [
        s.model_copy(update={"group_chat_id": JKB_GROUP}) if s.id == "jakobsberg" else s
        for s in deployment.stations
    ]
    return deployment.model_copy(update={"staff": staff, "stations": stations})


async def test_a_staff_entry_in_english_reads_cards_and_replies_in_english(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    world.group(JKB_GROUP, "Samverkan Jakobsberg", [POLIS_JKB])
    officer = Person(world, POLIS_JKB, catalogs)  # Telegram says Swedish; the file says English
    world.users[POLIS_JKB].started = True
    async with in_process(emulator, bot_settings, with_staff_language(deployment, "en")):
        await report(Person(world, RESIDENT, catalogs))
        card = await wait_for_text(world, POLIS_JKB, "JKB-0001")
        assert catalogs.text("en", "kind.report") in card.text
        assert catalogs.text("en", "desk.btn.ack") in [b["text"] for b in card.inline_buttons]
        # The group has many readers: it reads the deployment's default, Swedish.
        group = await wait_for_text(world, JKB_GROUP, "JKB-0001")
        assert catalogs.text("sv", "kind.report") in group.text
        assert catalogs.text("en", "kind.report") not in group.text

        shown = (await officer.say("/arende JKB-0001"))[0]
        assert catalogs.text("en", "kind.report") in shown.text
        missing = (await officer.say("/arende JKB-9999"))[0].text
        assert missing == catalogs.text("en", "desk.no_such_case", reference="JKB-9999")
        await officer.press_forged(callbacks.encode(CASE_SCOPE, "ack", "XYZ-0001"))
        assert officer.answer() == catalogs.text("en", "desk.refused")


async def test_telegram_language_else_the_default(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """No `language` in the file: the Telegram language when the bot has it (Finnish), for
    replies and, once known, for the cards pushed to them; an unsupported one is Swedish."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs, lang="fi")
    world.users[POLIS_JKB].started = True
    resident = Person(world, RESIDENT, catalogs)
    async with in_process(emulator, bot_settings, with_staff_language(deployment, None)):
        await report(resident)
        await wait_for_text(world, POLIS_JKB, "JKB-0001")
        missing = (await officer.say("/arende JKB-9999"))[0].text
        assert missing == catalogs.text("fi", "desk.no_such_case", reference="JKB-9999")
        await report(resident)
        card = await wait_for_text(world, POLIS_JKB, "JKB-0002")
        assert catalogs.text("fi", "kind.report") in card.text

        world.users[POLIS_JKB].language_code = "de"
        missing = (await officer.say("/arende JKB-9999"))[0].text
        assert missing == catalogs.text("sv", "desk.no_such_case", reference="JKB-9999")


async def test_their_own_choice_in_the_bot_wins_over_telegram(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Telegram says Finnish, but the officer chose English with /sprak: English, for replies,
    and the cards pushed to them."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs, lang="fi")
    world.users[POLIS_JKB].started = True
    async with in_process(emulator, bot_settings, with_staff_language(deployment, None)):
        await officer.say("/sprak")
        await officer.tap("English")
        missing = (await officer.say("/arende JKB-9999"))[0].text
        assert missing == catalogs.text("en", "desk.no_such_case", reference="JKB-9999")
        await report(Person(world, RESIDENT, catalogs))
        card = await wait_for_text(world, POLIS_JKB, "JKB-0001")
        assert catalogs.text("en", "kind.report") in card.text


async def test_an_email_only_member_reads_the_card_in_the_entry_language(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    smtp: tuple[Sink, int],
) -> None:
    """The Jakobsberg kommunpolis without Telegram, `language = "fi"`: the card comes by
    e-mail (a real SMTP server), in Finnish."""
    settings = bot_settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1], "smtp_tls": "none"}
    )
    dep = with_staff_language(deployment, "fi")
    staff = [
        s.model_copy(update={"telegram_id": None}) if s.telegram_id == POLIS_JKB else s
        for s in dep.staff
    ]
    async with in_process(emulator, settings, dep.model_copy(update={"staff": staff})):
        await report(Person(emulator.world, RESIDENT, catalogs))
        for _ in range(100):
            if smtp[0].messages:
                break
            await asyncio.sleep(0.1)
    (mail,) = smtp[0].messages
    assert mail["To"] == "kommunpolis.jarfalla@example.org"
    assert "JKB-0001" in mail["Subject"]
    body = mail.get_payload(0)
    assert isinstance(body, EmailMessage)
    content = body.get_payload(decode=True)
    assert isinstance(content, bytes)
    text = content.decode()
    assert catalogs.text("fi", "kind.report") in text
    assert catalogs.text("sv", "kind.report") not in text


def test_a_bad_staff_language_is_one_line_from_check_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = (REPO / "deploy" / "deployment.toml").read_text(encoding="utf-8")
    marker = f"telegram_id = {POLIS_JKB}\n"
    assert marker in text
    bad = tmp_path / "deployment.toml"
    bad.write_text(text.replace(marker, marker + 'language = "de"\n'), encoding="utf-8")
    assert main(["check-config", str(bad)]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].endswith(".language: 'de' is not in sv, en, fi, ar"), lines
    assert "staff[0]" in lines[0]


async def test_staff_tools_and_admin_alerts_in_the_entry_language(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The kommunpolis and the admin read English: /statistik, /export (admins) and /staff
    answer in it, and the alert that a colleague cannot be reached reaches the admin in it."""
    world = emulator.world
    for chat in (POLIS_JKB, ADMIN):
        world.user(chat, f"Staff {chat}").started = True
    world.user(KOMMUN_JKB, "Kommun")  # never wrote to the bot: its card is refused
    staff = [
        s.model_copy(update={"language": "en"}) if s.telegram_id in (POLIS_JKB, ADMIN) else s
        for s in deployment.staff
    ]
    officer, admin = Person(world, POLIS_JKB, catalogs), Person(world, ADMIN, catalogs)
    async with in_process(emulator, bot_settings, deployment.model_copy(update={"staff": staff})):
        for who, command, key in (
            (officer, "/statistik", "stats.choose_period"),
            (admin, "/export", "export.choose_station"),
            (officer, "/staff", "staff.list_title"),
        ):
            replies = await who.say(command)
            shown = re.sub(r"</?b>", "", catalogs.text("en", key))  # Telegram shows no markup
            assert replies[0].text.startswith(shown), command
        await report(Person(world, RESIDENT, catalogs))
        alert = await world.wait_for(ADMIN, lambda m: "⚠️" in m.text, timeout=15)
        assert catalogs.text("en", "alert.fallback_none") in alert.text


# ---------------------------------------------------------------------- the staff help
PARTNER_JKB = 100000002


def commands_in(text: str) -> list[str]:
    return re.findall(r"^/([a-z_]+) – ", text, flags=re.MULTILINE)


async def test_staff_help_lists_the_staff_commands_each_may_use(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """/hjalp from staff in their own chat: the resident help, then a staff section with the
    commands their role may use (bot.domain.access), in their language. Residents get the
    resident help alone."""
    world = emulator.world
    for user in (POLIS_JKB, PARTNER_JKB, ADMIN):
        world.user(user, "Staff").started = True
    resident_help = [
        "start",
        "rapport",
        "ide",
        "lofte",
        "arenden",
        "installningar",
        "sprak",
        "prenumerationer",
        "integritet",
        "minadata",
        "radera",
        "avbryt",
        "hjalp",
    ]
    expected = {
        POLIS_JKB: ["arende", "uppdatera", "statistik", "staff", "webb"],
        PARTNER_JKB: ["arende", "uppdatera", "webb"],
        ADMIN: ["arende", "uppdatera", "statistik", "staff", "invite", "export", "webb"],
        RESIDENT: [],
    }
    async with in_process(emulator, bot_settings, with_staff_language(deployment, None)):
        for user, staff_commands in expected.items():
            (shown,) = await Person(world, user, catalogs).say("/hjalp")
            assert commands_in(shown.text) == resident_help + staff_commands, user
            assert ("För personal" in shown.text.splitlines()) == bool(staff_commands)

    # In English (the staff entry's language): the English names, the English texts.
    async with in_process(emulator, bot_settings, with_staff_language(deployment, "en")):
        (shown,) = await Person(world, POLIS_JKB, catalogs).say("/help")
        assert commands_in(shown.text)[-5:] == ["case", "update", "stats", "staff", "webb"]
        assert "/report – " in shown.text
        assert catalogs.text("en", "help.staff.case") in shown.text


def test_every_staff_command_name_is_registered(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    from bot.domain.commands import STAFF_COMMANDS
    from tests.test_command_names import registered

    answered = registered(emulator, bot_settings, deployment)
    for command in STAFF_COMMANDS:
        assert set(command.names) <= answered, command.key


# ---------------------------------------------------------------------- what residents hear
def actor_of(deployment: Deployment, telegram_id: int) -> str:
    """The name of the actor a staff member of the file acts for (what residents read)."""
    entry = next(s for s in deployment.staff if s.telegram_id == telegram_id)
    return deployment.directory.actors[entry.actor].name


async def test_resident_without_stored_language_hears_officer_in_their_own(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A resident who set a home station before reporting has no stored language; an
    English-reading officer's Kvittera reaches them in the language of their report (Swedish),
    never the officer's."""
    world = emulator.world
    resident = Person(world, RESIDENT, catalogs)
    officer = Person(world, POLIS_JKB, catalogs)
    world.users[POLIS_JKB].started = True
    async with in_process(emulator, bot_settings, with_staff_language(deployment, "en")):
        await resident.say("/installningar")
        await resident.tap(resident.t("settings.home"))
        await resident.tap("Jakobsberg")
        assert [r["language"] for r in db_rows(bot_settings, "SELECT language FROM residents")] == [
            None
        ]
        await report(resident)
        await wait_for_text(world, POLIS_JKB, "JKB-0001")
        after = len(world.received(RESIDENT))
        await officer.tap(catalogs.text("en", "desk.btn.ack"))
        actor = actor_of(deployment, POLIS_JKB)
        heard = await world.wait_for(RESIDENT, lambda m: "JKB-0001" in m.text, after=after)
        assert heard.text == catalogs.text(
            "sv", "resident.acknowledge", reference="JKB-0001", actor=actor
        ), heard.text


async def test_a_resident_without_stored_language_hears_in_the_case_language(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """No stored language, a report written in Finnish: the English officer's question, and
    its answer button, reach the resident in Finnish (not English, not the default)."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    world.users[POLIS_JKB].started = True
    Person(world, RESIDENT, catalogs, lang="fi")
    world.users[RESIDENT].started = True
    draft = Draft(
        kind="report",
        station="jakobsberg",
        category="belysning",
        description="Valot ovat rikki portaissa.",
        times=["night"],
        place_text="vid perrongen",
    )
    async with in_process(emulator, bot_settings, with_staff_language(deployment, "en")) as app:
        services = app.bot_data.services
        assert services is not None
        await services.set_home_station(RESIDENT, "jakobsberg")  # no language stored
        case = await services.submit(RESIDENT, draft, "fi")
        assert [r["language"] for r in db_rows(bot_settings, "SELECT language FROM residents")] == [
            None
        ]
        await world.wait_for(
            POLIS_JKB, lambda m: case.reference in m.text and bool(m.inline_buttons)
        )
        await officer.tap(catalogs.text("en", "desk.btn.ask"))
        await officer.say("Which staircase?")
        heard = await world.wait_for(RESIDENT, lambda m: "Which staircase?" in m.text)
        actor = actor_of(deployment, POLIS_JKB)
        assert heard.text == catalogs.text(
            "fi", "resident.ask", reference=case.reference, actor=actor, note="Which staircase?"
        ), heard.text
        assert [b["text"] for b in heard.inline_buttons] == [
            catalogs.text("fi", "resident.answer_btn")
        ]


# ---------------------------------------------------------------------- /update
async def test_the_update_flow_is_in_the_staff_language(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """/update (so named in the English staff help) answers an English-reading officer in
    English at every step, like /case does: the choice, the status, the text, the preview,
    and cancelling. (What followers get stays in each follower's language.)"""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs, lang="en")
    world.users[POLIS_JKB].started = True
    en = "en"

    def plain(key: str, **params: object) -> str:
        return re.sub(r"</?b>", "", catalogs.text(en, key, **params))

    async with in_process(emulator, bot_settings, with_staff_language(running_deployment, en)):
        assert (await officer.say("/update"))[-1].text == plain("update.choose")
        await officer.tap("Kommunen har trygghetsskapande personal")
        status = officer.last_text()
        assert status.startswith(plain("update.status", commitment="")), status
        assert catalogs.text(en, "update.keep") in [
            b["text"] for b in world.last(POLIS_JKB).inline_buttons
        ]
        await officer.tap(catalogs.text(en, "commitment.in_progress"))
        assert officer.last_text() == plain("update.text")
        preview = (await officer.say("Security staff are there every evening."))[-1]
        assert preview.text.startswith(plain("update.preview", preview="").strip()), preview.text
        labels = [b["text"] for b in preview.inline_buttons]
        assert labels == [catalogs.text(en, "update.publish"), catalogs.text(en, "nav.cancel")]
        await officer.tap(catalogs.text(en, "nav.cancel"))
        assert officer.last_text() == plain("update.cancelled")
        await officer.say("/update")
        assert (await officer.say("/cancel"))[-1].text == plain("update.cancelled")


# ---------------------------------------------------------------------- an implicit language
async def test_telegram_language_change_wins_over_an_implicit_resident_language(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The officer never used /sprak; they once agreed to the privacy notice (Telegram in
    Swedish then, so their resident row holds 'sv'), and follow a station. Telegram now says
    Finnish: they read Finnish, as the docs say; only /sprak is their own choice."""
    world = emulator.world
    officer = Person(world, POLIS_JKB, catalogs)
    world.users[POLIS_JKB].started = True
    async with in_process(emulator, bot_settings, with_staff_language(deployment, None)):
        await officer.say("/rapport")
        await officer.tap("Jakobsberg")
        await agree(officer)
        await officer.say("/avbryt")
        await officer.say("/installningar")
        await officer.tap(officer.t("settings.follow"))
        await officer.tap("Jakobsberg")
        assert [r["language"] for r in db_rows(bot_settings, "SELECT language FROM residents")] == [
            "sv"
        ]
        world.users[POLIS_JKB].language_code = "fi"
        missing = (await officer.say("/arende JKB-9999"))[0].text
        assert missing == catalogs.text("fi", "desk.no_such_case", reference="JKB-9999"), missing
