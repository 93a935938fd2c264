"""Statistics and the Telegram export: numbers, the weekly chart, and who may see them."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import os
from collections.abc import AsyncIterator, Iterable
from pathlib import Path

import pytest
from PIL import Image, ImageFont

from bot import charts
from bot.cli import main
from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.exports import ExportChoice
from bot.domain.intake import Draft
from bot.domain.stats import Period, named_period, summarise, weekly
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.admin import ExportScope
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person, db_rows

POLIS_JKB, KOMMUN_JKB, ADMIN = 100000001, 100000002, 100000009
RESIDENT = 1001

# (station, kind, category, created (UTC), hours to acknowledge, hours to resolve)
CASES = [
    ("jakobsberg", "report", "belysning", "2026-10-05T08:00:00+00:00", 2, 50),
    ("jakobsberg", "report", "belysning", "2026-10-06T08:00:00+00:00", 4, None),
    ("jakobsberg", "report", "klotter", "2026-10-20T08:00:00+00:00", None, None),
    ("jakobsberg", "idea", None, "2026-10-21T08:00:00+00:00", None, None),
    # Sunday 23:30 UTC is Monday 00:30 in Stockholm: it belongs to the next ISO week.
    ("floda", "report", "belysning", "2026-10-25T23:30:00+00:00", 10, 20),
]


async def seed(settings: Settings, deployment: Deployment, catalogs: Catalogs) -> None:
    services = await Services.open(settings, deployment, catalogs)
    try:
        for station, kind, category, *_ in CASES:
            draft = Draft(
                kind=kind,
                station=station,
                description="Mörkt.",
                category=category,
                times=["night"],
                place_text="Perrongen" if kind == "report" else None,
            )
            await services.submit(RESIDENT, draft, "sv")
    finally:
        await services.close()
    import sqlite3

    with sqlite3.connect(settings.database) as conn:
        for number, (_, _, _, created, ack, resolved) in enumerate(CASES, start=1):
            start = dt.datetime.fromisoformat(created)

            def later(hours: int | None, start: dt.datetime = start) -> str | None:
                return None if hours is None else (start + dt.timedelta(hours=hours)).isoformat()

            status = "resolved" if resolved else "acknowledged" if ack else "new"
            conn.execute(
                "UPDATE cases SET created_at = ?, acknowledged_at = ?, resolved_at = ?,"
                " status = ? WHERE id = ?",
                (created, later(ack), later(resolved), status, number),
            )


@pytest.fixture
def seeded(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Settings:
    settings = Settings(database=tmp_path / "stats.sqlite3", media_dir=tmp_path / "media")
    asyncio.run(seed(settings, deployment, catalogs))
    return settings


# ---------------------------------------------------------------------- the pure parts
def test_durations_weeks_and_periods() -> None:
    d = summarise([3600 * h for h in (1, 2, 3, 4, 100)])
    assert (d.count, d.median_hours, d.p90_hours) == (5, 3, 100)
    assert summarise([]).median_hours is None
    weeks, series = weekly(
        [
            (dt.date(2026, 10, 5), "a", 2),
            (dt.date(2026, 10, 26), "b", 1),
            (dt.date(2026, 10, 6), "a", 1),
        ]
    )
    assert weeks == ["2026-v41", "2026-v42", "2026-v43", "2026-v44"]  # the gap weeks are there
    assert series == {"a": [3, 0, 0, 0], "b": [0, 0, 0, 1]}
    today = dt.date(2026, 11, 22)
    assert named_period("30d", today) == Period(dt.date(2026, 10, 24), dt.date(2026, 11, 23))
    assert named_period("year", today).since == dt.date(2026, 1, 1)
    assert named_period("all", today) == Period(None, None)
    with pytest.raises(ValueError, match="unknown period"):
        named_period("forever", today)
    # Local midnight in Stockholm, in winter and in summer time.
    assert Period(dt.date(2026, 1, 1), None).utc_bounds("Europe/Stockholm")[0] == (
        "2025-12-31T23:00:00+00:00"
    )
    assert Period(dt.date(2026, 7, 1), None).utc_bounds("Europe/Stockholm")[0] == (
        "2026-06-30T22:00:00+00:00"
    )


def test_export_choice_round_trip_and_forgery() -> None:
    stations = ["floda", "jakobsberg", "a-station-id-much-longer-than-callback-data-allows-x"]
    choice = ExportChoice().choose("floda").choose("report").choose("30d")
    assert choice.next_step() == "fmt"
    assert ExportChoice.parse(choice.encode(stations), stations) == choice
    long = ExportChoice(stations[2], "all", "year", "xlsx")
    assert callbacks.encode("x", "c", long.encode(stations))  # fits in 64 bytes
    assert ExportChoice.parse(long.encode(stations), stations) == long
    assert ExportChoice.parse("-", stations) == ExportChoice()
    for forged in ("7", "floda", "0.bogus", "0.all.30d.exe", "a.b.c.d.e", "0..30d"):
        assert ExportChoice.parse(forged, stations) is None, forged


def test_export_scope_of_a_station_bound_admin() -> None:
    bound = ExportScope(["floda"], all_stations=False)
    assert bound.allows(ExportChoice())
    assert bound.allows(ExportChoice("floda", "all", "all", "csv"))
    assert not bound.allows(ExportChoice("all", "all", "all", "csv"))  # not every station
    assert not bound.allows(ExportChoice("lerum"))
    assert ExportScope(["floda", "lerum"], all_stations=True).allows(ExportChoice("all"))


# ---------------------------------------------------------------------- the service and CLI
async def test_report_counts_times_and_chart(
    seeded: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    services = await Services.open(seeded, deployment, catalogs)
    try:
        stats = services.stats
        report = await stats.report(Period(dt.date(2026, 10, 1), dt.date(2026, 11, 1)))
        assert report.counts == {
            ("floda", "belysning", "resolved"): 1,
            ("jakobsberg", "belysning", "acknowledged"): 1,
            ("jakobsberg", "belysning", "resolved"): 1,
            ("jakobsberg", "idea", "new"): 1,
            ("jakobsberg", "klotter", "new"): 1,
        }
        assert report.to_acknowledge.count == 3
        assert report.to_acknowledge.median_hours == pytest.approx(4)
        assert report.to_resolve.median_hours == pytest.approx(35)  # median of 50 and 20
        # The whole period (1-31 October: weeks 40-44), also the week without cases.
        assert report.weeks == ["2026-v40", "2026-v41", "2026-v42", "2026-v43", "2026-v44"]
        assert report.per_week["belysning"] == [0, 2, 0, 0, 1]  # the Sunday-night case: v44
        assert report.per_week["idea"] == [0, 0, 0, 1, 0]

        text = stats.text(report)
        assert "<b>Jakobsberg</b>: 4" in text
        assert "• Belysning: 2 (läst 1, åtgärdad 1)" in text
        assert "Idéer: 1" in text
        assert "median 4 timmar" in text  # Babel's units: the plural form, a decimal comma
        assert "90 % inom 2,1 dygn (2 ärenden)" in text

        only_floda = await stats.report(Period(None, None), ["floda"])
        assert only_floda.total == 1
        assert set(only_floda.by_station()) == {"floda"}
        empty = await stats.report(Period(dt.date(2030, 1, 1), None))
        assert empty.total == 0
        assert "Inga ärenden" in stats.text(empty)

        # Pillow's built-in font has no å, ä, ö: the chart must find a real one.
        font = charts.font(16)
        assert isinstance(font, ImageFont.FreeTypeFont)
        assert font.getname()[0] != "Aileron"
        png = stats.chart(report)
        image = Image.open(io.BytesIO(png))
        assert image.format == "PNG"
        assert image.size == (1200, 675)
        colours = {c for _, c in image.convert("RGB").getcolors(1_000_000) or []}
        assert (0, 0x72, 0xB2) in colours  # the first category's bars are drawn
        blank = Image.open(io.BytesIO(stats.chart(empty))).convert("RGB")
        assert (0, 0x72, 0xB2) not in {c for _, c in blank.getcolors(1_000_000) or []}
    finally:
        await services.close()


def test_stats_command(
    seeded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    os.environ["TRYGG_DATABASE"] = str(seeded.database)
    try:
        chart = tmp_path / "chart.png"
        assert (
            main(["stats", "--since", "2026-10-01", "--until", "2026-11-01", "--chart", str(chart)])
            == 0
        )
        out = capsys.readouterr().out
        assert main(["stats", "--station", "gotham"]) == 2
        assert main(["stats", "--since", "last week"]) == 2
    finally:
        del os.environ["TRYGG_DATABASE"]
    # Swedish through and through: headings, status labels, dates, plural, decimal comma.
    assert "Period 1 okt. 2026 – 31 okt. 2026: 5 ärenden" in out
    assert "Tid till åtgärd: median 35 timmar, 90 % inom 2,1 dygn (2 ärenden)." in out
    assert f"Diagrammet (ärenden per vecka och kategori) är sparat i {chart}." in out
    lines = [line.split() for line in out.splitlines()]
    assert lines[0] == ["Station", "Kategori", "Status", "Antal"]
    assert ["Jakobsberg", "Belysning", "läst", "1"] in lines
    assert ["Floda", "Belysning", "åtgärdad", "1"] in lines
    english = {"cases", "category", "count", "chart", "written", "acknowledged", "resolved", "h"}
    assert not english & {word.strip(".:,()").lower() for line in lines[1:] for word in line}
    with Image.open(chart) as image:
        assert image.size == (1200, 675)


# ---------------------------------------------------------------------- Telegram
@pytest.fixture
async def staff_bot(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> AsyncIterator[Emulator]:
    await seed(bot_settings, deployment, catalogs)
    for staff in (POLIS_JKB, KOMMUN_JKB, ADMIN):
        emulator.world.user(staff, f"Staff {staff}").started = True
    async with in_process(emulator, bot_settings, deployment):
        yield emulator


async def test_statistik_in_telegram(staff_bot: Emulator, catalogs: Catalogs) -> None:
    world = staff_bot.world
    polis = Person(world, POLIS_JKB, catalogs)
    await polis.say("/statistik")
    got = await polis.tap(polis.t("stats.period_all"))
    text = next(m.text for m in got if m.text.startswith("Statistik"))  # cards may arrive too
    assert "<b>" not in text
    assert "Jakobsberg: 4" in text
    assert "Floda" not in text  # the Jakobsberg kommunpolis sees Jakobsberg only
    document = next(m for m in got if "document" in m.data).data["document"]
    assert document["file_name"].endswith(".png")
    png = world.files[document["file_id"]].content
    assert Image.open(io.BytesIO(png)).size == (1200, 675)

    admin = Person(world, ADMIN, catalogs)
    await admin.say("/statistik")
    got = await admin.tap(admin.t("stats.period_all"))
    assert "Floda: 1" in next(m.text for m in got if m.text.startswith("Statistik"))

    for outsider in (Person(world, KOMMUN_JKB, catalogs), Person(world, RESIDENT, catalogs)):
        got = await outsider.say("/statistik")
        assert outsider.t("desk.refused") in [m.text for m in got]
        assert outsider.t("stats.choose_period") not in [m.text for m in got]
    # A resident pressing a forged statistics button learns nothing.
    resident = Person(world, RESIDENT, catalogs)
    await resident.press_forged("v1:st:p:all")
    assert resident.answer() == resident.t("desk.refused")


async def test_export_in_telegram(
    staff_bot: Emulator,
    catalogs: Catalogs,
    bot_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = staff_bot.world
    admin = Person(world, ADMIN, catalogs)
    await admin.say("/export")
    await admin.tap("Jakobsberg")
    await admin.tap(admin.t("export.kind_report"))
    await admin.tap(admin.t("stats.period_all"))
    loads: list[list[str]] = []  # catalogs loaded by the export: none, the bot's are at hand
    load = Catalogs.load

    def counted(languages: Iterable[str]) -> Catalogs:
        loads.append(list(languages))
        return load(loads[-1])

    monkeypatch.setattr(Catalogs, "load", counted)
    got = await admin.tap("CSV")
    assert loads == []
    sent = next(m for m in got if "document" in m.data)
    assert sent.text == admin.t("export.done", rows=3)
    document = sent.data["document"]
    raw = world.files[document["file_id"]].content
    assert raw.startswith(b"\xef\xbb\xbf")  # the CSV for Swedish Excel (test_export_formats.py)
    content = raw.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(content, newline=""), delimiter=";"))
    assert sorted(r["Ärende"] for r in rows) == ["JKB-0001", "JKB-0002", "JKB-0003"]
    assert {r["Typ"] for r in rows} == {"rapport"}
    assert str(RESIDENT) not in content
    assert "Person" not in content
    audit = db_rows(bot_settings, "SELECT who, details FROM audit WHERE action = 'export'")
    assert len(audit) == 1
    assert audit[0]["who"].startswith("staff:")
    details = json.loads(audit[0]["details"])
    assert details == {
        "format": "csv",
        "dialect": "excel-sv",
        "rows": 3,
        "via": "telegram",
        "station": "jakobsberg",
        "kind": "report",
    }

    # The kommunpolis may see statistics but not export; a forged final button does nothing.
    polis = Person(world, POLIS_JKB, catalogs)
    got = await polis.say("/export")
    assert polis.t("desk.refused") in [m.text for m in got]
    await polis.press_forged("v1:x:c:all.all.all.csv")
    assert polis.answer() == polis.t("desk.refused")
    assert not any("document" in m.data for m in world.received(POLIS_JKB))
    assert len(db_rows(bot_settings, "SELECT 1 FROM audit WHERE action = 'export'")) == 1


async def test_statistics_and_exports_never_go_to_a_group(
    staff_bot: Emulator, catalogs: Catalogs
) -> None:
    """A partner group (stations.group_chat_id) must not see statistics or export files."""
    world = staff_bot.world
    group = world.group(-100200300, "Samverkan Jakobsberg", [ADMIN, KOMMUN_JKB])
    admin = Person(world, ADMIN, catalogs)
    before = len(world.received(group.id))
    for command in ("/statistik", "/export"):
        world.send_text(ADMIN, command, chat_id=group.id)
    await world.wait_idle()  # in-process: until the bot is done with both, exactly
    sent = world.received(group.id)[before:]
    assert not any(m.inline_buttons or "document" in m.data for m in sent)
    # A button pressed in the group (forged there) is refused as well.
    message = world.send_text(ADMIN, "…", chat_id=group.id)
    query = world.press(ADMIN, message.id, "v1:st:p:all", chat_id=group.id, forge=True)
    await world.wait_idle()
    assert (world.callback_answers.get(query) or {}).get("text") == admin.t("desk.refused")
    assert not any("document" in m.data for m in world.received(group.id))
