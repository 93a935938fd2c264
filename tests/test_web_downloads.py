"""Issue 20, items 3 and 5 on the dashboard: statistics (the bot's /statistik report and
weekly chart for the member's stations), exports as streamed downloads for exactly whom
`may_export` allows (logged as from the bot), the audit log for national admins, and the
station posters as PDFs whose QR code is the bot's deep link. Forged stations are refused
like unknown ones. The browser test downloads an export in Chromium and runs axe."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

import openpyxl
import pytest

from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.auditlog import ACTIONS
from bot.settings import Settings
from tests.browser import axe_violations
from tests.people import db_rows
from tests.test_poster import qr_codes
from tests.web import (
    WEB_URL,
    Client,
    Clock,
    as_member,
    browser_sign_in,
    live_site,
    staff_person,
    web_and_bot,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

POLIS_JKB, PARTNER_JKB, POLIS_ALS, ADMIN = 100000001, 100000002, 100000003, 100000009
STATION_ADMIN = 100000077
CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def with_station_admin(deployment: Deployment) -> Deployment:
    """The bundled deployment and an admin of Jakobsberg only."""
    (national,) = [s for s in deployment.staff if s.telegram_id == ADMIN]
    local = national.model_copy(
        update={
            "telegram_id": STATION_ADMIN,
            "name": "Stationsadmin Jakobsberg (platshållare)",
            "stations": ["jakobsberg"],
        }
    )
    return deployment.model_copy(update={"staff": [*deployment.staff, local]})


async def report(services: Services, resident: int, station: str, text: str) -> str:
    draft = Draft(
        kind="report",
        station=station,
        category="belysning",
        place_text="Vid trappan",
        times=["evening"],
        description=text,
    )
    return (await services.submit_draft(resident, draft, "sv")).case.reference


async def two_cases(services: Services) -> tuple[str, str]:
    """A case at Jakobsberg and one at Alingsås."""
    return (
        await report(services, 1001, "jakobsberg", "Mörkt vid trappan."),
        await report(services, 1002, "alingsas", "Mörkt i tunneln."),
    )


def start_staff(emulator: Emulator, catalogs: Catalogs) -> None:
    """The staff have opened the bot (else a case's card finds one unreachable)."""
    for user_id in (POLIS_JKB, PARTNER_JKB, POLIS_ALS, ADMIN, STATION_ADMIN):
        staff_person(emulator, user_id, catalogs)


def csrf_of(body: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', body)
    assert found, body
    return found.group(1)


def one_line(body: str) -> str:
    """The message of a one-message page."""
    found = re.search(r"</h1>\s*<p>([^<]*)</p>", body)
    assert found, body
    return found.group(1)


def exports(settings: Settings) -> list[dict[str, object]]:
    rows = db_rows(settings, "SELECT * FROM audit WHERE action = 'export' ORDER BY id")
    return [{"who": r["who"], **json.loads(r["details"])} for r in rows]


async def test_an_officer_sees_statistics_of_their_stations_and_a_partner_is_refused(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, services):
        start_staff(emulator, catalogs)
        await two_cases(services)
        await as_member(client, emulator, POLIS_JKB, catalogs)
        page = await client.get("/statistik?period=90d")
        body = await page.text()
        assert page.status == 200
        assert ": 1 ärende</p>" in body  # Alingsås's case is not the officer's
        assert "Period " not in body.split("</form>")[-1]  # the form's label says it: once
        cells = re.sub(r' data-label="[^"]*"', "", body)  # each cell's column name on a phone
        assert "<td>Jakobsberg</td><td>Belysning</td><td>mottagen</td>" in cells
        assert "Alingsås" not in body
        assert '<option value="90d" selected>' in body
        assert '<label for="period">' in body
        assert 'src="/statistik/diagram.png?period=90d" alt="Stapeldiagram:' in body
        assert '<table id="weeks" class="stack">' in body  # the chart's numbers as a table
        chart = await client.get("/statistik/diagram.png?period=90d")
        assert chart.status == 200
        assert chart.content_type == "image/png"
        assert (await chart.read()).startswith(b"\x89PNG")

        bad = await client.get("/statistik?period=forever")
        assert bad.status == 400
        assert one_line(await bad.text()) == catalogs.text("sv", "web.stats.bad_period")
        assert "Traceback" not in await bad.text()

        # Alingsås's officer sees Alingsås only.
        await as_member(client, emulator, POLIS_ALS, catalogs)
        body = await (await client.get("/statistik?period=30d")).text()
        assert '<td data-label="Station">Alingsås</td>' in body
        assert "Jakobsberg" not in body

        # A partner sees no statistics, no chart, no export, no log.
        await as_member(client, emulator, PARTNER_JKB, catalogs)
        for path, status in (
            ("/statistik", 403),
            ("/statistik/diagram.png", 403),
            ("/export", 403),
            ("/logg", 403),
        ):
            refused = await client.get(path)
            assert refused.status == status, path
            assert refused.content_type == "text/html"
        body = await (await client.get("/statistik")).text()
        assert one_line(body) == catalogs.text("sv", "web.stats.refused")
        assert 'href="/statistik"' not in body  # nor in the menu


async def test_an_admin_downloads_csv_and_xlsx_and_each_is_in_the_audit_log(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, services):
        start_staff(emulator, catalogs)
        jkb, als = await two_cases(services)
        await as_member(client, emulator, ADMIN, catalogs)
        form = await (await client.get("/export")).text()
        assert '<option value="all">' in form  # a national admin: every station at once
        assert '<label for="format">' in form
        csrf = csrf_of(form)
        choice = {"csrf": csrf, "station": "all", "kind": "all", "period": "all"}

        got = await client.post("/export", data={**choice, "format": "csv"})
        assert got.status == 200, await got.text()
        assert got.headers["Content-Type"] == CSV_TYPE
        disposition = got.headers["Content-Disposition"]
        assert disposition.startswith('attachment; filename="trygghetsboten-all-')
        assert disposition.endswith('.csv"')
        text = (await got.read()).decode("utf-8-sig")  # Swedish Excel's CSV: a BOM, ';'
        rows = list(csv.reader(io.StringIO(text), dialect="excel", delimiter=";"))
        assert len(rows) == 3
        assert {jkb, als} <= {cell for row in rows[1:] for cell in row}

        got = await client.post("/export", data={**choice, "format": "xlsx"})
        assert got.status == 200
        assert got.headers["Content-Type"] == XLSX_TYPE
        sheet = openpyxl.load_workbook(io.BytesIO(await got.read())).active
        assert sheet is not None
        cells = {str(c.value) for row in sheet.iter_rows() for c in row}
        assert {jkb, als} <= cells

        # Logged as the bot logs an export, with where it came from.
        logged = exports(settings)
        assert [(e["format"], e["rows"], e["via"]) for e in logged] == [
            ("csv", 2, "web"),
            ("xlsx", 2, "web"),
        ]
        admin = await services.staff.by_telegram(ADMIN)
        assert admin is not None
        assert {e["who"] for e in logged} == {f"staff:{admin.id}"}

        # Without the form's token nothing is exported or logged.
        refused = await client.post("/export", data={**choice, "format": "csv", "csrf": "x"})
        assert refused.status == 403
        bad = await client.post("/export", data={**choice, "format": "pdf"})
        assert bad.status == 400
        assert one_line(await bad.text()) == catalogs.text("sv", "web.export.bad_choice")
        assert len(exports(settings)) == 2


async def test_a_station_admin_exports_only_their_station_and_sees_no_audit_log(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    local = with_station_admin(deployment)
    async with web_and_bot(emulator, settings, local, Clock()) as (client, services):
        start_staff(emulator, catalogs)
        jkb, als = await two_cases(services)
        await as_member(client, emulator, STATION_ADMIN, catalogs)
        form = await (await client.get("/export")).text()
        assert '<option value="jakobsberg">' in form
        assert '<option value="all">' not in form.split('name="station"')[1].split("</select>")[0]
        assert '<option value="alingsas">' not in form
        choice = {"csrf": csrf_of(form), "kind": "all", "period": "all", "format": "json"}
        for forged in ("alingsas", "all", "nowhere", ""):
            refused = await client.post("/export", data={**choice, "station": forged})
            assert refused.status == 400, forged
            assert one_line(await refused.text()) == catalogs.text("sv", "web.export.bad_choice")
        assert exports(settings) == []
        got = await client.post("/export", data={**choice, "station": "jakobsberg"})
        assert got.status == 200
        assert got.headers["Content-Type"] == "application/json"
        data = json.loads(await got.read())
        assert [row["reference"] for row in data["rows"]] == [jkb]
        assert als not in json.dumps(data)
        assert [(e["station"], e["via"]) for e in exports(settings)] == [("jakobsberg", "web")]

        # The audit log is the whole deployment's: national admins only.
        page = await client.get("/logg")
        assert page.status == 403
        assert one_line(await page.text()) == catalogs.text("sv", "web.audit.refused")
        assert 'href="/logg"' not in await page.text()


async def test_the_audit_log_shows_national_admins_names_and_local_time_a_page_at_a_time(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, services):
        await as_member(client, emulator, POLIS_JKB, catalogs)
        assert (await client.get("/logg")).status == 403
        for n in range(55):
            await services.audit.log("staff:1", "view", {"case": f"JKB-{n:04d}"})
        await as_member(client, emulator, ADMIN, catalogs)
        page = await client.get("/logg")
        body = await page.text()
        assert page.status == 200
        assert 'href="/logg" aria-current="page"' in body
        officer = await services.staff.by_telegram(POLIS_JKB)
        assert officer is not None
        assert officer.id == 1
        named = f'<td data-label="Vem">{officer.name}</td><td data-label="Personal-id">1</td>'
        # 50 a page: the admin's sign-in, then JKB-0054 down to JKB-0006.
        assert "JKB-0054" in body
        assert "JKB-0006" in body
        assert "JKB-0005" not in body
        assert "Loggade in på webben" in body  # web_sign_in, in plain Swedish
        assert "web_sign_in" not in body
        assert "staff:1" not in body
        assert 'href="/logg?sida=2" rel="next"' in body
        second = await (await client.get("/logg?sida=2")).text()
        assert "JKB-0005" in second
        assert named in second  # the officer's own sign-in, by name and staff number
        assert "(nr " not in second
        assert "JKB-0054" not in second
        assert 'href="/logg?sida=1" rel="prev"' in second
        for bad in ("0", "-1", "x", "99999999", "1" * 5000, "٣"):
            answer = await client.get(f"/logg?sida={bad}")
            assert answer.status == 400
            assert one_line(await answer.text()) == catalogs.text("sv", "web.audit.bad_page")


LOGGED_ACTION = re.compile(r'\.log\(\s*f?"(?:staff|cli):[^"]*",\s*"([a-z_]+)"')


def test_every_action_the_code_logs_has_a_plain_label_in_every_language(
    catalogs: Catalogs,
) -> None:
    source = Path(__file__).parent.parent / "bot"
    logged = {
        code
        for path in source.rglob("*.py")
        for code in LOGGED_ACTION.findall(path.read_text("utf-8"))
    }
    assert {"view", "export", "web_sign_in", "web_sign_out"} <= logged
    assert logged == set(ACTIONS)
    for lang in ("sv", "en", "fi", "ar"):
        for code in logged:
            assert f"web.audit.action.{code}" in catalogs.keys(lang), (lang, code)


async def test_the_audit_log_reads_as_plain_swedish_with_cases_linked(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, services):
        officer = await as_staff(client, emulator, POLIS_JKB, catalogs, services)
        await services.audit.log(f"staff:{officer}", "view", {"case": "ALS-0001"})
        await services.audit.log(
            f"staff:{officer}",
            "export",
            {"format": "csv", "rows": 2, "via": "web", "station": "jakobsberg", "kind": "idea"},
        )
        # Review: a status filter showed its code ('Status: resolved' on a Swedish page).
        await services.audit.log("cli:operator", "export", {"status": "resolved", "rows": 0})
        await services.audit.log("cli:operator", "mystery", {"odd": 3})
        await as_member(client, emulator, ADMIN, catalogs)
        body = await (await client.get("/logg")).text()
        assert '<th scope="col">Personal-id</th>' in body
        assert "(nr " not in body
        assert '{"' not in body  # no raw JSON
        assert "{}" not in body
        assert 'Ärende: <a href="/arende/ALS-0001">ALS-0001</a>' in body
        assert ">Öppnade ett ärende<" in body
        assert ">Exporterade ärenden<" in body
        for line in ("Station: Jakobsberg", "Typ: Idéer", "Format: csv", "Rader: 2", "Via: webben"):
            assert f'<span class="detail">{line}</span>' in body, line
        assert '<span class="detail">Status: åtgärdad</span>' in body
        assert "resolved" not in body
        assert ">mystery<" in body  # an unknown action as logged
        assert '<span class="detail">odd: 3</span>' in body  # an unknown field as key: value
        assert "operator (kommandoraden)" in body
        assert "staff:" not in body
        assert "cli:" not in body


async def as_staff(
    client: Client, emulator: Emulator, user_id: int, catalogs: Catalogs, services: Services
) -> int:
    """Sign `user_id` in once (so their staff row exists); their staff number."""
    await as_member(client, emulator, user_id, catalogs)
    member = await services.staff.by_telegram(user_id)
    assert member is not None
    return member.id


async def test_statistics_without_cases_say_so_once_with_no_chart_or_table(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, _):
        await as_member(client, emulator, POLIS_JKB, catalogs)
        page = await client.get("/statistik?period=30d")
        body = await page.text()
        assert page.status == 200
        assert re.search(r'<p class="summary">[^<]+: inga ärenden\.</p>', body), body
        assert body.lower().count("inga ärenden") == 1
        assert "under perioden" not in body
        assert "<img" not in body
        assert "<table" not in body
        assert "tabellen" not in body
        assert "Period " not in body.split("</form>")[-1]


async def test_posters_download_as_pdf_with_the_stations_code_and_a_forged_station_is_404(
    emulator: Emulator,
    bot_settings: Settings,
    deployment: Deployment,
    catalogs: Catalogs,
    tmp_path: Path,
) -> None:
    settings = bot_settings.model_copy(
        update={"web_url": WEB_URL, "bot_username": "trygghetsboten_bot"}
    )
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, _):
        await as_member(client, emulator, PARTNER_JKB, catalogs)  # every staff member
        page = await (await client.get("/affischer")).text()
        assert 'href="/affischer/jakobsberg.pdf"' in page
        assert "Affisch för Jakobsberg (PDF)" in page
        assert "/affischer/alingsas.pdf" not in page
        got = await client.get("/affischer/jakobsberg.pdf")
        assert got.status == 200
        assert got.content_type == "application/pdf"
        assert got.headers["Content-Disposition"].startswith("attachment;")
        pdf = tmp_path / "poster.pdf"
        pdf.write_bytes(await got.read())
        assert qr_codes(pdf) == ["https://t.me/trygghetsboten_bot?start=s_jakobsberg"]
        unknown = await client.get("/affischer/nowhere.pdf")
        forged = await client.get("/affischer/alingsas.pdf")
        assert unknown.status == forged.status == 404
        assert await unknown.text() == await forged.text()
        assert one_line(await forged.text()) == catalogs.text("sv", "web.posters.unknown")

    without = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, without, deployment, Clock()) as (client, _):
        await as_member(client, emulator, POLIS_JKB, catalogs)
        page = await (await client.get("/affischer")).text()
        assert catalogs.text("sv", "web.posters.no_username") in page
        assert ".pdf" not in page
        assert (await client.get("/affischer/jakobsberg.pdf")).status == 503


@pytest.mark.asyncio(loop_scope="session")
async def test_an_admin_downloads_an_export_in_the_browser(
    page: Page, tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    # The front page's map asks for tiles: a local 404, so nothing loads from outside.
    tiles = "/static/no-tiles/{z}/{x}/{y}.png"
    async with live_site(tmp_path, deployment, catalogs, web_tile_url=tiles) as site:
        for user_id in (POLIS_JKB, PARTNER_JKB, POLIS_ALS, ADMIN):
            site.person(user_id)
        jkb, als = await two_cases(site.services)
        await browser_sign_in(page, site, ADMIN)
        # The front page's map loads its marker images after load: let it finish (a file
        # cut off mid-response is reported as unclosed) before leaving the page.
        await page.wait_for_load_state("networkidle")
        await page.set_viewport_size({"width": 390, "height": 844})  # a phone
        await page.goto(f"{site.url}/statistik")
        assert await page.get_by_role("heading", level=1).inner_text() == "Statistik"
        assert await page.get_by_role("table").count() == 2
        assert await axe_violations(page) == []
        await page.get_by_label("Period").select_option("all")
        await page.get_by_role("button", name="Visa").click()
        await page.wait_for_url(f"{site.url}/statistik?period=all")
        assert await page.locator("img.chart").evaluate("img => img.naturalWidth") == 1200

        await page.get_by_role("link", name="Export").click()
        await page.wait_for_url(f"{site.url}/export")
        assert await axe_violations(page) == []
        wide = await page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= 390  # nothing wider than the phone
        await page.get_by_label("Format").select_option("csv")
        async with page.expect_download() as started:
            await page.get_by_role("button", name="Ladda ner").click()
        download = await started.value
        assert download.suggested_filename.endswith(".csv")
        saved = tmp_path / download.suggested_filename
        await download.save_as(saved)
        rows = list(
            csv.reader(io.StringIO(saved.read_text("utf-8-sig")), dialect="excel", delimiter=";")
        )
        assert {jkb, als} <= {cell for row in rows[1:] for cell in row}


WIDEST_RIGHT_EDGE = """() => Math.max(...[...document.querySelectorAll('main *')]
    .map(e => e.getBoundingClientRect().right))"""


@pytest.mark.asyncio(loop_scope="session")
async def test_statistics_and_the_audit_log_fit_a_phone(
    page: Page, tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with live_site(tmp_path, deployment, catalogs) as site:
        for user_id in (POLIS_JKB, PARTNER_JKB, POLIS_ALS, ADMIN):
            site.person(user_id)
        _, als = await two_cases(site.services)
        await site.services.audit.log(
            "staff:1", "export", {"format": "xlsx", "rows": 2, "via": "web", "station": "alingsas"}
        )
        await site.services.audit.log("staff:1", "view", {"case": als})
        await browser_sign_in(page, site, ADMIN)
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.goto(f"{site.url}/statistik?period=all")
        assert await page.get_by_role("table").count() == 2
        # Nothing reaches past the phone's edge, in a scrolling box or not.
        assert await page.evaluate(WIDEST_RIGHT_EDGE) <= 390
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
        # The chart takes the width and keeps its shape; its numbers stay in a table.
        chart = await page.locator("img.chart").bounding_box()
        main = await page.locator("main").evaluate("m => m.clientWidth")
        assert chart is not None
        assert chart["width"] >= main - 40
        assert abs(chart["height"] - chart["width"] * 675 / 1200) < 2
        assert await page.get_by_role("table", name="Ärenden per vecka och kategori").count() == 1
        assert await axe_violations(page) == []

        await page.goto(f"{site.url}/logg")
        assert await page.evaluate(WIDEST_RIGHT_EDGE) <= 390
        link = page.get_by_role("link", name=als)
        box = await link.bounding_box()
        assert box is not None
        assert box["x"] + box["width"] <= 390  # the details are on the screen, not cut off
        assert await page.get_by_text("Exporterade ärenden").count() == 1
        assert await axe_violations(page) == []
        await link.click()
        await page.wait_for_url(f"{site.url}/arende/{als}")
