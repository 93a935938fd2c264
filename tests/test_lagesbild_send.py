"""The monthly lägesbild to admins (bot.services.lagesbild_send): from the month's first working
day each admin gets last month's lägesbild of their stations as a PDF in Telegram (or else by
e-mail), one per kommun, once, however often the job runs or the bot restarts; officers get
none, and an admin of Alingsås never gets Jakobsberg's. The PDF files do not stay on disk."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import os
import re
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from bot.app import build_application
from bot.context import BotApp
from bot.domain.deployment import Deployment, Role, StaffMember
from bot.domain.workdays import easter, first_workday, is_first_workday
from bot.emulator import Emulator
from bot.emulator import shell as shell_module
from bot.emulator.models import Message
from bot.emulator.shell import run_shell
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.lagesbild import Lagesbild
from bot.services.lagesbild_send import FOLDER, LagesbildMail, _forget
from bot.settings import Settings, load_settings
from tests.bots import in_process
from tests.people import db_rows
from tests.processes import Sink
from tests.web import ADMIN, POLIS_JKB, staff_person

ADMIN_ALINGSAS, ADMIN_JKB = 100000031, 100000032
POLIS_ALINGSAS = 100000003
FIRST = dt.date(2026, 12, 1)  # a Tuesday: December's first working day


def with_station_admins(deployment: Deployment) -> Deployment:
    """The bundled deployment with an admin of Alingsås and Lerum's stations and one of
    Jakobsberg, besides the national admin."""
    extra = [
        StaffMember(
            telegram_id=ADMIN_ALINGSAS,
            name="Admin Alingsås (platshållare)",
            role=Role.ADMIN,
            actor="drift",
            stations=["alingsas", "floda", "lerum"],
        ),
        StaffMember(
            telegram_id=ADMIN_JKB,
            name="Admin Järfälla (platshållare)",
            role=Role.ADMIN,
            actor="drift",
            stations=["jakobsberg"],
            language="en",
        ),
    ]
    return deployment.model_copy(update={"staff": [*deployment.staff, *extra]})


def documents(emulator: Emulator, chat: int) -> list[Message]:
    """The documents the bot sent to `chat` (none: a chat the bot never reached)."""
    try:
        received = emulator.world.received(chat)
    except KeyError:
        return []
    return [m for m in received if m.kind == "document"]


def pdf_text(emulator: Emulator, message: Message) -> str:
    content = emulator.world.file(message.data["document"]["file_id"]).content
    assert content.startswith(b"%PDF")
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def services_of(app: BotApp) -> Services:
    services = app.bot_data.services
    assert services is not None
    return services


@pytest.mark.parametrize(
    ("day", "first"),
    [
        (dt.date(2026, 12, 1), True),  # Tuesday the 1st
        (dt.date(2026, 12, 2), False),
        (dt.date(2027, 1, 1), False),  # nyårsdagen
        (dt.date(2027, 1, 4), True),  # Monday after nyårsdagen and a weekend
        (dt.date(2026, 8, 3), True),  # Saturday the 1st: Monday the 3rd
        (dt.date(2026, 8, 1), False),
        (dt.date(2029, 4, 2), False),  # annandag påsk (Easter Sunday 1 April 2029)
        (dt.date(2029, 4, 3), True),
        (dt.date(2008, 5, 2), True),  # 1 May was also Kristi himmelsfärdsdag
        (dt.date(2000, 6, 2), True),  # Kristi himmelsfärdsdag on Thursday 1 June 2000
    ],
)
def test_the_first_working_day_of_a_month(day: dt.date, first: bool) -> None:
    assert is_first_workday(day) is first


def test_easter_and_first_workdays_by_hand() -> None:
    assert [easter(y) for y in (2024, 2025, 2026, 2029)] == [
        dt.date(2024, 3, 31),
        dt.date(2025, 4, 20),
        dt.date(2026, 4, 5),
        dt.date(2029, 4, 1),
    ]
    assert first_workday(2026, 11) == dt.date(2026, 11, 2)  # Sunday the 1st


async def test_the_first_working_day_sends_each_admin_their_kommuner_once(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    dep = with_station_admins(deployment)
    for user in (ADMIN, ADMIN_ALINGSAS, ADMIN_JKB, POLIS_JKB, POLIS_ALINGSAS):
        staff_person(emulator, user, catalogs)
    async with in_process(emulator, bot_settings, dep) as app:
        mail = LagesbildMail.of(services_of(app))
        assert await mail.run(dt.date(2027, 1, 1)) == 0  # before January's first working day
        assert await mail.run(dt.date(2026, 8, 1)) == 0  # a Saturday before 3 August
        # National: the five kommuner; Alingsås' admin: Alingsås and Lerum; Järfälla's: one.
        assert await mail.run(FIRST) == 8
        await emulator.world.wait_for(ADMIN_JKB, lambda m: m.kind == "document")
        await emulator.world.wait_idle()
        assert await mail.run(FIRST) == 0  # a second run that day
    async with in_process(emulator, bot_settings, dep) as app:  # a restart
        assert await LagesbildMail.of(services_of(app)).run(FIRST) == 0
        await emulator.world.wait_idle()

    assert len(documents(emulator, ADMIN)) == 5
    assert documents(emulator, POLIS_JKB) == documents(emulator, POLIS_ALINGSAS) == []
    ours = documents(emulator, ADMIN_ALINGSAS)
    assert sorted(m.data["document"]["file_name"] for m in ours) == [
        "lagesbild-alingsas-2026-11.pdf",
        "lagesbild-lerum-2026-11.pdf",
    ]
    texts = [pdf_text(emulator, m) for m in ours]
    assert any("Alings" in text for text in texts)
    assert all("Jakobsberg" not in t and "rf" + "lla" not in t for t in texts)
    assert any(m.text.startswith("📄 Lägesbild för Alingsås, november 2026") for m in ours)
    (jkb,) = documents(emulator, ADMIN_JKB)
    assert jkb.text.startswith("📄 Situation report for Järfälla, November 2026")  # English
    assert "Alings" not in pdf_text(emulator, jkb)
    sent = db_rows(
        bot_settings, "SELECT COUNT(*) AS n FROM lagesbild_sent WHERE month = ?", "2026-11"
    )
    assert sent[0]["n"] == 8


async def test_an_admin_who_never_opened_the_bot_is_reported_to_the_others(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    dep = with_station_admins(deployment)
    national = staff_person(emulator, ADMIN, catalogs)  # Alingsås' admin never started it
    async with in_process(emulator, bot_settings, dep) as app:
        # Queued: nothing says yet that the bot cannot reach them; Telegram refuses it.
        assert await LagesbildMail.of(services_of(app)).run(FIRST) == 8
        told = await emulator.world.wait_for(
            ADMIN, lambda m: "Admin Alingsås (platshållare)" in m.text
        )
        await emulator.world.wait_idle()
    assert national.t("alert.fallback_none") in told.text
    assert documents(emulator, ADMIN_ALINGSAS) == []
    assert len(documents(emulator, ADMIN)) == 5


def monthly(settings: Settings) -> Settings:
    """The settings with the monthly lägesbild's jobs on (the tests' settings have them off)."""
    return settings.model_copy(update={"lagesbild_monthly": True})


async def test_the_bot_runs_the_job_every_morning(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    async with in_process(emulator, monthly(bot_settings), deployment) as app:
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name("lagesbild")
        trigger = str(job.trigger)
        assert "hour='8'" in trigger
        assert "minute='0'" in trigger
        await job.run(app)  # today, whatever day it is: no error


def files_left(settings: Settings) -> list[str]:
    folder = settings.media_dir / FOLDER
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


async def test_a_month_missed_on_its_first_working_day_is_sent_on_a_later_day(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The bot was down on 1 December: the 3rd working day sends November's; the day after,
    nothing; an admin added in the middle of the month gets November's too (their first)."""
    dep = with_station_admins(deployment)
    for user in (ADMIN, ADMIN_ALINGSAS, ADMIN_JKB):
        staff_person(emulator, user, catalogs)
    async with in_process(emulator, bot_settings, dep) as app:
        mail = LagesbildMail.of(services_of(app))
        assert await mail.run(dt.date(2026, 12, 3)) == 8  # Thursday, the 3rd working day
        assert await mail.run(dt.date(2026, 12, 4)) == 0  # everything sent
        await emulator.world.wait_idle()
    new_admin = 100000033
    added = StaffMember(
        telegram_id=new_admin,
        name="Ny admin (platshållare)",
        role=Role.ADMIN,
        actor="drift",
        stations=["jakobsberg"],
    )
    staff_person(emulator, new_admin, catalogs)
    dep = dep.model_copy(update={"staff": [*dep.staff, added]})
    async with in_process(emulator, bot_settings, dep) as app:
        assert await LagesbildMail.of(services_of(app)).run(dt.date(2026, 12, 15)) == 1
        await emulator.world.wait_idle()
    (got,) = documents(emulator, new_admin)
    assert got.data["document"]["file_name"] == "lagesbild-jarfalla-2026-11.pdf"
    assert len(documents(emulator, ADMIN)) == 5  # nobody got anything twice


async def test_the_job_also_runs_shortly_after_each_start(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    async with in_process(emulator, monthly(bot_settings), deployment) as app:
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name("lagesbild after start")
        assert job.next_t is not None
        wait = job.next_t - dt.datetime.now(dt.UTC)
        assert dt.timedelta(seconds=30) < wait <= dt.timedelta(minutes=5)


async def test_a_sent_pdf_is_deleted_and_the_purge_deletes_what_a_failed_send_left(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    dep = with_station_admins(deployment)
    for user in (ADMIN, ADMIN_JKB):  # Alingsås' admin never opened the bot: theirs fail
        staff_person(emulator, user, catalogs)
    async with in_process(emulator, bot_settings, dep) as app:
        services = services_of(app)
        assert await LagesbildMail.of(services).run(FIRST) == 8
        await emulator.world.wait_for(ADMIN, lambda m: "Admin Alingsås (platshållare)" in m.text)
        await emulator.world.wait_idle()
        assert len(documents(emulator, ADMIN)) == 5
        # Telegram has six of them: gone from disk; the two refused ones are left.
        left = files_left(bot_settings)
        assert len(left) == 2
        assert all(re.search(r"-(alingsas|lerum)-[0-9a-f]{8}\.pdf$", name) for name in left)
        now = dt.datetime.now(dt.UTC)
        await services.purge(now)
        assert files_left(bot_settings) == left  # not a week old yet
        await services.purge(now + dt.timedelta(days=8))
        assert files_left(bot_settings) == []


def test_the_purge_keeps_a_file_a_pending_message_is_still_to_send(tmp_path: Path) -> None:
    folder = tmp_path / FOLDER
    folder.mkdir()
    for name in ("waiting.pdf", "old.pdf", "new.pdf"):
        (folder / name).write_bytes(b"%PDF")
    week_ago = dt.datetime.now(dt.UTC).timestamp() - 8 * 86400
    for name in ("waiting.pdf", "old.pdf"):
        os.utime(folder / name, (week_ago, week_ago))
    before = dt.datetime.now(dt.UTC).timestamp() - 7 * 86400
    assert _forget(tmp_path, {f"{FOLDER}/waiting.pdf"}, before) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["new.pdf", "waiting.pdf"]


async def test_an_admin_without_telegram_gets_it_by_e_mail(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    smtp: tuple[Sink, int],
) -> None:
    settings = bot_settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1], "smtp_tls": "none"}
    )
    by_mail = StaffMember(
        name="Admin med e-post (platshållare)",
        role=Role.ADMIN,
        actor="drift",
        stations=["jakobsberg"],
        email="admin@example.org",
    )
    dep = deployment.model_copy(update={"staff": [*deployment.staff, by_mail]})
    staff_person(emulator, ADMIN, catalogs)
    async with in_process(emulator, settings, dep) as app:
        assert await LagesbildMail.of(services_of(app)).run(FIRST) == 6  # 5 national, 1 mail
        await emulator.world.wait_idle()
    (mail,) = smtp[0].messages
    assert mail["To"] == "admin@example.org"
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "Lägesbild för Järfälla, november 2026"
    (pdf,) = [part for part in mail.walk() if part.get_filename()]
    assert pdf.get_filename() == "lagesbild-jarfalla-2026-11.pdf"  # as in Telegram
    assert pdf.get_content_type() == "application/pdf"
    content = pdf.get_payload(decode=True)
    assert isinstance(content, bytes)
    assert content.startswith(b"%PDF")
    assert "Jakobsberg" in "".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert files_left(settings) == []  # the mail server has it: deleted


def smtp_settings(settings: Settings, smtp: tuple[Sink, int]) -> Settings:
    return settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": smtp[1], "smtp_tls": "none"}
    )


async def test_an_admin_whose_telegram_refuses_it_gets_it_by_e_mail_the_next_run(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    smtp: tuple[Sink, int],
) -> None:
    """Alingsås' admin never opened the bot but has an e-mail address: Telegram refuses the
    two documents; the next run sends both by e-mail, and no run after it sends them again."""
    settings = smtp_settings(bot_settings, smtp)
    dep = with_station_admins(deployment)
    staff = [
        m.model_copy(update={"email": "alingsas@example.org"})
        if m.telegram_id == ADMIN_ALINGSAS
        else m
        for m in dep.staff
    ]
    dep = dep.model_copy(update={"staff": staff})
    for user in (ADMIN, ADMIN_JKB):
        staff_person(emulator, user, catalogs)
    async with in_process(emulator, settings, dep) as app:
        mail = LagesbildMail.of(services_of(app))
        assert await mail.run(FIRST) == 8
        await emulator.world.wait_for(ADMIN, lambda m: "Admin Alingsås (platshållare)" in m.text)
        await emulator.world.wait_idle()
        assert documents(emulator, ADMIN_ALINGSAS) == []
        assert await mail.run(dt.date(2026, 12, 2)) == 2  # the next morning: by e-mail
        await emulator.world.wait_idle()
        assert await mail.run(dt.date(2026, 12, 3)) == 0
    async with in_process(emulator, settings, dep) as app:  # a restart
        assert await LagesbildMail.of(services_of(app)).run(dt.date(2026, 12, 4)) == 0
        await emulator.world.wait_idle()
    subjects = sorted(str(make_header(decode_header(m["Subject"]))) for m in smtp[0].messages)
    assert subjects == [
        "Lägesbild för Alingsås, november 2026",
        "Lägesbild för Lerum, november 2026",
    ]
    assert all(m["To"] == "alingsas@example.org" for m in smtp[0].messages)
    assert len(documents(emulator, ADMIN)) == 5  # nobody else got anything twice


async def test_an_admin_whose_telegram_refuses_it_and_has_no_e_mail_is_not_sent_it_again(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    dep = with_station_admins(deployment)
    staff_person(emulator, ADMIN, catalogs)
    async with in_process(emulator, bot_settings, dep) as app:
        mail = LagesbildMail.of(services_of(app))
        assert await mail.run(FIRST) == 8  # nor Järfälla's: Telegram refuses 3
        await emulator.world.wait_for(ADMIN, lambda m: "Admin Järfälla (platshållare)" in m.text)
        await emulator.world.wait_idle()
        assert await mail.run(dt.date(2026, 12, 2)) == 0  # unreachable, no address: left out
        await emulator.world.wait_idle()
        # Once they open the bot, the next run sends them theirs in Telegram.
        staff_person(emulator, ADMIN_JKB, catalogs)
        await services_of(app).db.write(
            lambda c: c.execute("UPDATE chats SET active = 1 WHERE chat_id = ?", (ADMIN_JKB,))
        )
        assert await mail.run(dt.date(2026, 12, 3)) == 1
        await emulator.world.wait_idle()
    (got,) = documents(emulator, ADMIN_JKB)
    assert got.data["document"]["file_name"] == "lagesbild-jarfalla-2026-11.pdf"
    assert len(documents(emulator, ADMIN)) == 5


async def test_kommuner_whose_names_read_alike_in_a_file_name_each_get_their_own_file(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """'Alingsås' and 'Alingsas' (as 'Håbo' and 'Habo'): two PDFs, each of its kommun, both
    shown as lagesbild-alingsas-2026-11.pdf."""
    dep = with_station_admins(deployment)
    stations = [
        s.model_copy(update={"kommun": "Alingsas"}) if s.id in ("floda", "lerum") else s
        for s in dep.stations
    ]
    dep = dep.model_copy(update={"stations": stations})
    staff_person(emulator, ADMIN_ALINGSAS, catalogs)
    async with in_process(emulator, bot_settings, dep) as app:
        assert await LagesbildMail.of(services_of(app)).run(FIRST) == 8
        await emulator.world.wait_idle()
    ours = sorted(documents(emulator, ADMIN_ALINGSAS), key=lambda m: m.text)
    assert [m.data["document"]["file_name"] for m in ours] == ["lagesbild-alingsas-2026-11.pdf"] * 2
    assert [m.text.partition(":")[0] for m in ours] == [
        "📄 Lägesbild för Alingsas, november 2026",
        "📄 Lägesbild för Alingsås, november 2026",
    ]
    other, own = (pdf_text(emulator, m) for m in ours)
    assert "Lerum" in other
    assert "Lerum" not in own
    rows = db_rows(
        bot_settings,
        "SELECT json_extract(payload, '$.path') AS path FROM outbox WHERE recipient = ?",
        str(ADMIN_ALINGSAS),
    )
    assert len({row["path"] for row in rows}) == 2  # not one file written over the other


async def test_two_runs_at_once_build_each_pdf_once(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The morning's run and the one after a start at the same time: one waits for the
    other, then finds everything sent."""
    dep = with_station_admins(deployment)
    for user in (ADMIN, ADMIN_ALINGSAS, ADMIN_JKB):
        staff_person(emulator, user, catalogs)
    async with in_process(emulator, bot_settings, dep) as app:
        services = services_of(app)
        made: list[str] = []
        pdf = services.lagesbild.pdf

        def counted(report: Lagesbild, lang: str) -> bytes:
            made.append(report.scope.name)
            return pdf(report, lang)

        monkeypatch.setattr(services.lagesbild, "pdf", counted)
        mail = LagesbildMail.of(services)
        assert sorted(await asyncio.gather(mail.run(FIRST), mail.run(FIRST))) == [0, 8]
        await emulator.world.wait_idle()
    assert len(made) == 8
    assert len(documents(emulator, ADMIN)) == 5
    assert files_left(bot_settings) == []


def test_the_monthly_lagesbild_is_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().lagesbild_monthly is True
    monkeypatch.setenv("TRYGG_LAGESBILD_MONTHLY", "false")
    assert load_settings().lagesbild_monthly is False


async def test_without_the_setting_the_bot_has_no_lagesbild_jobs(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    async with in_process(emulator, bot_settings, deployment) as app:  # the tests' settings
        assert app.job_queue is not None
        assert app.job_queue.get_jobs_by_name("lagesbild") == ()
        assert app.job_queue.get_jobs_by_name("lagesbild after start") == ()
        assert app.job_queue.get_jobs_by_name("purge")  # the other jobs run


@pytest.mark.parametrize(("env", "jobs"), [(None, False), ("true", True)])
async def test_the_shell_runs_no_monthly_lagesbild_unless_asked(
    deployment: Deployment, monkeypatch: pytest.MonkeyPatch, env: str | None, jobs: bool
) -> None:
    if env is not None:
        monkeypatch.setenv("TRYGG_LAGESBILD_MONTHLY", env)
    seen: list[bool] = []

    def build(settings: Settings, *args: Any, **kwargs: Any) -> BotApp:
        seen.append(settings.lagesbild_monthly)
        return build_application(settings, *args, **kwargs)

    monkeypatch.setattr(shell_module, "build_application", build)
    await run_shell(load_settings(), deployment, stdin=io.StringIO(""), stdout=io.StringIO())
    assert seen == [jobs]
