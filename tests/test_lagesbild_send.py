"""The monthly lägesbild to admins (bot.services.lagesbild_send): on the month's first working
day each admin gets last month's lägesbild of their stations as a PDF in Telegram, one per
kommun, once, however often the job runs or the bot restarts; officers get none, and an admin
of Alingsås never gets Jakobsberg's."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from bot.context import BotApp
from bot.domain.deployment import Deployment, Role, StaffMember
from bot.domain.workdays import easter, first_workday, is_first_workday
from bot.emulator import Emulator
from bot.emulator.models import Message
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.lagesbild_send import LagesbildMail
from bot.settings import Settings
from tests.bots import in_process
from tests.people import db_rows
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
        assert await mail.run(FIRST + dt.timedelta(days=1)) == 0  # not the first working day
        assert await mail.run(dt.date(2026, 11, 30)) == 0
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


async def test_the_bot_runs_the_job_every_morning(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    async with in_process(emulator, bot_settings, deployment) as app:
        assert app.job_queue is not None
        (job,) = app.job_queue.get_jobs_by_name("lagesbild")
        trigger = str(job.trigger)
        assert "hour='8'" in trigger
        assert "minute='0'" in trigger
        await job.run(app)  # today, whatever day it is: no error
