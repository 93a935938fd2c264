"""Issue 20's "Done when", as one story in a real Chromium, over the real bot in process.

Two residents report in the emulator, one at Jakobsberg and one at Alingsås (an STK
station). The Jakobsberg kommunpolis signs in with a link from /webb, sees only Jakobsberg's
cases on the map and in the list, and acknowledges one on its page: the resident hears of it
in the emulator. An admin downloads an export that reads back in Excel's CSV dialect. The
Alingsås kommunpolis can neither see nor act on the Jakobsberg case. The public promise page
shows the promise and nothing personal. axe-core finds no serious or critical violation on
any page visited, on a desktop and on a 390 px phone.

The same story saves the screenshots the docs show (SCREENSHOTS): into the test's tmp_path,
or into the folder TRYGG_DOC_SCREENSHOTS names (`make screenshots` writes docs/img). The map
tiles are a local 404 (a plain grey map, nothing loaded from outside), the data is fixed,
and the times the pages show are set to one fixed moment before a picture is taken, so the
pictures stay the same from run to run.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.domain.deployment import Deployment
from bot.i18n import Catalogs
from tests.browser import TIMEOUT_MS, axe_violations
from tests.people import Person, db_rows
from tests.test_desk import report
from tests.web import Site, browser_sign_in, live_site

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page, ViewportSize

pytestmark = pytest.mark.asyncio(loop_scope="session")

POLIS_JKB, PARTNER_JKB, POLIS_STK, VASTTRAFIK, ADMIN = (
    100000001,
    100000002,
    100000003,
    100000004,
    100000009,
)
RESIDENT_JKB, RESIDENT_ALS = 1001, 1002
PROMISE = "jarfalla-2019-2020"
REFERENCE = re.compile(r"\b[A-Z]{3}-\d{4}\b")
TILES = "/static/no-tiles/{z}/{x}/{y}.png"  # a local 404: a grey map, nothing from outside
WHAT_RESIDENTS_WROTE = ("Lamporna är trasiga och det är helt mörkt.", "Trappan till perrong 1")
DESKTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
#: The pictures the docs show (docs/img/<name>.png); tests/test_docs_screenshots.py checks
#: that the docs link exactly these.
SCREENSHOTS = ("dashboard", "dashboard-mobil", "arende", "export", "lofte")
#: Pictures show dates as if taken on FIXED_DAY, and every clock time as FIXED_TIME.
FIXED_DAY, FIXED_TIME = dt.date(2026, 3, 12), "18:40"


@pytest.fixture(scope="session")
def doc_screenshots(request: pytest.FixtureRequest) -> Path | None:
    """The folder TRYGG_DOC_SCREENSHOTS names (make screenshots: docs/img), relative to where
    pytest was started; read by a session fixture, before conftest's clean_env removes every
    TRYGG_ variable for the test."""
    chosen = os.environ.get("TRYGG_DOC_SCREENSHOTS", "").strip()
    return Path(request.config.invocation_params.dir, chosen) if chosen else None


def screenshot_folder(chosen: Path | None, tmp_path: Path) -> Path:
    """Where the pictures go: the docs' folder when asked for, else the test's own."""
    folder = chosen or tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


_STEADY_TIMES = """([shift, time]) => {
    const months = ["jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.",
                    "okt.", "nov.", "dec."];
    const moved = (y, m, d) => new Date(Date.UTC(y, m, d + shift));
    const iso = (t) => t.toISOString().slice(0, 10);
    const swedish = (t) => `${t.getUTCDate()} ${months[t.getUTCMonth()]} ${t.getUTCFullYear()}`;
    const isoDate = /(\\d{4})-(\\d{2})-(\\d{2})/g;
    const names = months.map((m) => m.replace(".", "\\\\.")).join("|");
    const swedishDate = new RegExp(`(\\\\d{1,2}) (${names}) (\\\\d{4})`, "g");
    const clock = /\\b\\d{2}:\\d{2}\\b/g;
    const steady = (text) => text
        .replace(isoDate, (_, y, m, d) => iso(moved(+y, +m - 1, +d)))
        .replace(swedishDate, (_, d, m, y) => swedish(moved(+y, months.indexOf(m), +d)))
        .replace(clock, time);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        node.nodeValue = steady(node.nodeValue);
    }
    for (const input of document.querySelectorAll('input[type="date"]')) {
        input.value = steady(input.value);
    }
}"""


@asynccontextmanager
async def swedish_browser(browser: Browser) -> AsyncIterator[Page]:
    """A page in a fresh browser (no cookies) set to Swedish and Swedish time, as a
    kommun's staff have it; uncaught script errors in it fail the test."""
    context = await browser.new_context(
        accept_downloads=True, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    context.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    try:
        opened = await context.new_page()
        opened.on("pageerror", lambda error: errors.append(str(error)))
        await opened.set_viewport_size(DESKTOP)
        yield opened
    finally:
        await context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


async def picture(page: Page, folder: Path, name: str, steady: bool = True) -> None:
    """Save the visible page as `name`.png as a 256-colour PNG (a small file for the
    repository); `steady`: first move its dates as if today were FIXED_DAY and set its clock
    times to FIXED_TIME (for pages that show when cases came)."""
    assert name in SCREENSHOTS
    if steady:
        today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()
        await page.evaluate(_STEADY_TIMES, [(FIXED_DAY - today).days, FIXED_TIME])
    # From the top of the page (a page opened at #said is scrolled), and two frames later,
    # so what was just changed is drawn before the picture.
    await page.evaluate("() => window.scrollTo(0, 0)")
    await page.evaluate(
        "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
    )
    path = folder / f"{name}.png"
    await page.screenshot(path=str(path), animations="disabled", caret="hide")
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(colors=256)
    small.save(path, optimize=True)


async def no_serious_violations(page: Page, map_loaded: bool = False) -> None:
    """axe-core on the page as it is, then again at a phone's width (reloaded), where
    nothing may be wider than the screen; back to the desktop size after."""
    for size in (DESKTOP, PHONE):
        await page.set_viewport_size(size)
        await page.reload()
        if map_loaded:
            await page.locator("#map[data-markers]").wait_for(state="attached")
        assert await axe_violations(page) == [], (page.url, size)
        wide = await page.evaluate("() => document.documentElement.scrollWidth")
        assert wide <= size["width"], (page.url, size)
    # Leave no image of the map half loaded (it would be reported as an unclosed file).
    await page.wait_for_load_state("networkidle")
    await page.set_viewport_size(DESKTOP)


async def on_the_map(page: Page) -> list[str]:
    """The references the map's markers name in their titles, sorted (a marker of several
    cases at one place names each)."""
    markers = page.locator("#map .leaflet-marker-icon")
    titles = [await marker.get_attribute("title") or "" for marker in await markers.all()]
    return sorted(ref for title in titles for ref in REFERENCE.findall(title))


async def residents_report(site: Site, catalogs: Catalogs) -> None:
    """Real residents in the emulator: two reports at Jakobsberg, one at Alingsås."""
    for staff in (POLIS_JKB, PARTNER_JKB, POLIS_STK, VASTTRAFIK, ADMIN):
        site.person(staff)  # staff have opened the bot, so their cards reach them
    world = site.emulator.world
    at_jkb = Person(world, RESIDENT_JKB, catalogs)
    assert "JKB-0001" in await report(at_jkb)
    assert "JKB-0002" in await report(at_jkb, category="Klotter och skadegörelse")
    assert "ALS-0001" in await report(Person(world, RESIDENT_ALS, catalogs), station="Alingsås")
    await world.wait_for(POLIS_JKB, lambda m: "JKB-0002" in m.text and bool(m.inline_buttons))


async def officer_sees_own_stations_only(page: Page, site: Site, shots: Path) -> None:
    """The Jakobsberg kommunpolis signs in with a link from /webb and sees Jakobsberg's two
    cases as markers and rows, and not Alingsås's, in the map or in the list."""
    await browser_sign_in(page, site, POLIS_JKB)
    await page.locator("#map[data-markers]").wait_for(state="attached")
    markers = page.locator("#map .leaflet-marker-icon")
    assert await on_the_map(page) == ["JKB-0001", "JKB-0002"]
    listed = page.get_by_role("table").get_by_role("link")
    assert sorted(await listed.all_inner_texts()) == ["JKB-0001", "JKB-0002"]
    assert await page.locator('a[href="/arende/ALS-0001"]').count() == 0
    assert "ALS-0001" not in await page.content()
    await page.wait_for_load_state("networkidle")
    await markers.last.click()  # the picture shows a popup with its link to the case
    await page.locator(".leaflet-popup-content").wait_for()
    await picture(page, shots, "dashboard")
    await no_serious_violations(page, map_loaded=True)
    await page.set_viewport_size(PHONE)
    await page.reload()
    await page.locator("#map[data-markers]").wait_for(state="attached")
    await page.wait_for_load_state("networkidle")
    await picture(page, shots, "dashboard-mobil")
    await page.set_viewport_size(DESKTOP)


async def officer_acknowledges(page: Page, site: Site, catalogs: Catalogs, shots: Path) -> None:
    """On JKB-0001's page the officer presses Kvittera; the page says so and the resident
    gets the bot's message in the emulator."""
    t = catalogs.text
    await page.get_by_role("link", name="JKB-0001").first.click()
    await page.wait_for_url(f"{site.url}/arende/JKB-0001")
    assert await page.get_by_text(WHAT_RESIDENTS_WROTE[0]).is_visible()
    await page.get_by_role("button", name=t("sv", "desk.btn.ack")).click()
    done = t("sv", "desk.done", reference="JKB-0001", status=t("sv", "status.acknowledged"))
    await page.get_by_role("status").filter(has_text=done).wait_for()
    world = site.emulator.world
    heard = await world.wait_for(RESIDENT_JKB, lambda m: "JKB-0001 är läst" in m.text)
    assert "är läst av Lokalpolisområde Järfälla" in heard.text
    await picture(page, shots, "arende")
    await no_serious_violations(page)
    (case,) = db_rows(site.settings, "SELECT status FROM cases WHERE reference = 'JKB-0001'")
    assert case["status"] == "acknowledged"


async def admin_exports(admin: Page, site: Site, tmp_path: Path, shots: Path) -> None:
    """An admin, in their own browser, looks at the statistics and the audit log and
    downloads an export of all stations as CSV; it reads back in Excel's dialect with both
    stations' cases."""
    await browser_sign_in(admin, site, ADMIN)
    await admin.wait_for_load_state("networkidle")
    await admin.goto(f"{site.url}/statistik")
    assert await admin.get_by_role("heading", level=1).inner_text() == "Statistik"
    await no_serious_violations(admin)
    await admin.goto(f"{site.url}/logg")
    assert await admin.get_by_role("table").count() == 1  # the officers' views are logged
    await no_serious_violations(admin)
    await admin.goto(f"{site.url}/export")
    await no_serious_violations(admin)
    await picture(admin, shots, "export")
    await admin.get_by_label("Format").select_option("csv")
    async with admin.expect_download() as started:
        await admin.get_by_role("button", name="Ladda ner").click()
    download = await started.value
    assert download.suggested_filename.endswith(".csv")
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text("utf-8-sig")), "excel", delimiter=";"))
    cells = {cell for row in rows[1:] for cell in row}
    assert {"JKB-0001", "JKB-0002", "ALS-0001"} <= cells
    assert len(rows) == 4  # a header and the three cases


async def other_station_is_refused(other: Page, site: Site) -> None:
    """The Alingsås kommunpolis sees Alingsås's case, but JKB-0001 is an unknown page to
    them, and posting its action with their own valid CSRF token is refused the same way:
    the case does not change and the resident hears nothing more."""
    world = site.emulator.world
    heard = len(world.received(RESIDENT_JKB))
    await browser_sign_in(other, site, POLIS_STK)
    await other.locator("#map[data-markers]").wait_for(state="attached")
    listed = other.get_by_role("table").get_by_role("link")
    assert await listed.all_inner_texts() == ["ALS-0001"]
    assert await on_the_map(other) == ["ALS-0001"]
    await other.wait_for_load_state("networkidle")
    csrf = await other.locator('input[name="csrf"]').first.get_attribute("value")
    assert csrf
    opened = await other.goto(f"{site.url}/arende/JKB-0001")
    assert opened is not None
    assert opened.status == 404
    body = await other.content()
    assert all(text not in body for text in WHAT_RESIDENTS_WROTE)
    for action in ("start", "res", "rej"):
        posted = await other.request.post(
            f"{site.url}/arende/JKB-0001",
            form={"csrf": csrf, "action": action, "note": "Stängs."},
            headers={"Origin": site.url},
        )
        assert posted.status == 404, action
    (case,) = db_rows(site.settings, "SELECT status FROM cases WHERE reference = 'JKB-0001'")
    assert case["status"] == "acknowledged"
    events = db_rows(
        site.settings,
        "SELECT e.action FROM case_events e JOIN cases c ON c.id = e.case_id"
        " WHERE c.reference = 'JKB-0001' ORDER BY e.id",
    )
    assert [e["action"] for e in events] == ["created", "acknowledge"]
    await world.settle(RESIDENT_JKB, world.actions_in.get(RESIDENT_JKB, 0), quiet=0.3)
    assert len(world.received(RESIDENT_JKB)) == heard


async def public_page_is_impersonal(
    page: Page, site: Site, deployment: Deployment, shots: Path
) -> None:
    """The public page of Järfälla's promise, to anyone (not signed in): the promise and its
    commitments, and no resident's text, chat id or name and no staff member's name."""
    opened = await page.goto(f"{site.url}/lofte/{PROMISE}")
    assert opened is not None
    assert opened.status == 200
    promise = next(p for p in deployment.promises if p.id == PROMISE)
    assert await page.get_by_role("heading", name=promise.title).count() == 1
    assert await page.get_by_text(promise.commitments[0].text).count() == 1
    body = await page.content()
    personal = [
        *WHAT_RESIDENTS_WROTE,
        *(str(chat) for chat in (RESIDENT_JKB, RESIDENT_ALS)),
        *(f"Person {chat}" for chat in (RESIDENT_JKB, RESIDENT_ALS)),  # Telegram names
        *(member.name for member in deployment.staff),
    ]
    assert [text for text in personal if text in body] == []
    await page.wait_for_load_state("networkidle")
    await picture(page, shots, "lofte", steady=False)  # the promise's own dates
    await no_serious_violations(page)


async def test_the_dashboard_done_when(
    browser: Browser,
    doc_screenshots: Path | None,
    tmp_path: Path,
    deployment: Deployment,
    catalogs: Catalogs,
) -> None:
    shots = screenshot_folder(doc_screenshots, tmp_path)
    async with live_site(
        tmp_path,
        deployment,
        catalogs,
        web_tile_url=TILES,
        bot_username="trygg_test_bot",
    ) as site:
        await residents_report(site, catalogs)
        async with swedish_browser(browser) as officer:
            await officer_sees_own_stations_only(officer, site, shots)
            await officer_acknowledges(officer, site, catalogs, shots)
        async with swedish_browser(browser) as admin:
            await admin_exports(admin, site, tmp_path, shots)
        async with swedish_browser(browser) as other:
            await other_station_is_refused(other, site)
        async with swedish_browser(browser) as visitor:
            await public_page_is_impersonal(visitor, site, deployment, shots)
    written = {path.stem for path in shots.glob("*.png")}
    assert set(SCREENSHOTS) <= written
