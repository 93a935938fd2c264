"""The browser-test harness itself (tests/browser.py): Debian's chromium under Playwright shows a
page that uses the vendored Leaflet, axe-core finds what a bad page breaks, a download is
saved, and an HttpOnly cookie stays out of the page's scripts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web
from playwright.async_api import Page

from tests.browser import axe_violations

pytestmark = pytest.mark.asyncio(loop_scope="session")

LEAFLET = Path(__file__).resolve().parent.parent / "bot" / "web" / "static" / "leaflet"
# The dashboard's policy: nothing from another origin, no inline script.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"
EXPORT = "id;station\r\n1;Floda\r\n"

MAP_PAGE = """<!doctype html>
<html lang="sv">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Karta över ärenden</title>
<link rel="stylesheet" href="/static/leaflet/leaflet.css">
<link rel="stylesheet" href="/app.css">
<script src="/static/leaflet/leaflet.js"></script>
</head>
<body>
<main>
<h1>Ärenden</h1>
<div id="map" role="region" aria-label="Karta över ärenden"></div>
<p><a href="/export.csv" download>Ladda ner ärendena (CSV)</a></p>
</main>
<script src="/app.js"></script>
</body>
</html>
"""

# Leaflet's attribution link is told from its text by colour alone; the feasibility study saw
# axe's link-in-text-block (serious) on it. The dashboard underlines it, as here.
APP_CSS = """#map { height: 320px; }
.leaflet-container .leaflet-control-attribution a { text-decoration: underline; }
"""

APP_JS = """const map = L.map("map").setView([57.93, 12.37], 13);
L.tileLayer("/tiles/{z}/{x}/{y}.png", {
    attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>',
}).addTo(map);
L.marker([57.93, 12.37], {alt: "Ärende 1"}).addTo(map);
"""

BAD_PAGE = """<!doctype html>
<html>
<head><meta charset="utf-8"><title>Dålig sida</title><link rel="stylesheet" href="/bad.css"></head>
<body>
<img src="/tiles/1/1/1.png">
<p class="faint">Grå text som knappt syns</p>
<button></button>
</body>
</html>
"""


@dataclass
class Site:
    url: str = ""
    tiles_asked: list[str] = field(default_factory=list)
    session_seen: list[str | None] = field(default_factory=list)


SITE = web.AppKey("site", Site)


def html(text: str) -> web.Response:
    return web.Response(
        text=text, content_type="text/html", headers={"Content-Security-Policy": CSP}
    )


async def map_page(request: web.Request) -> web.Response:
    return html(MAP_PAGE)


async def app_css(request: web.Request) -> web.Response:
    return web.Response(text=APP_CSS, content_type="text/css")


async def bad_css(request: web.Request) -> web.Response:
    return web.Response(text=".faint { color: #bbb; background: #fff; }", content_type="text/css")


async def app_js(request: web.Request) -> web.Response:
    return web.Response(text=APP_JS, content_type="text/javascript")


async def tile(request: web.Request) -> web.Response:
    request.app[SITE].tiles_asked.append(request.path)
    raise web.HTTPNotFound


async def bad_page(request: web.Request) -> web.Response:
    return html(BAD_PAGE)


async def export(request: web.Request) -> web.Response:
    disposition = 'attachment; filename="arenden.csv"'
    return web.Response(
        text=EXPORT, content_type="text/csv", headers={"Content-Disposition": disposition}
    )


async def sign_in(request: web.Request) -> web.Response:
    response = html('<!doctype html><html lang="sv"><meta charset="utf-8"><title>In</title>')
    response.set_cookie("session", "s3cret", httponly=True, samesite="Strict", path="/")
    response.set_cookie("theme", "dark", samesite="Strict", path="/")
    return response


async def whoami(request: web.Request) -> web.Response:
    request.app[SITE].session_seen.append(request.cookies.get("session"))
    return web.Response(text=request.cookies.get("session", "-"))


@pytest_asyncio.fixture(loop_scope="session")
async def site() -> AsyncIterator[Site]:
    app = web.Application()
    app[SITE] = served = Site()
    app.router.add_get("/", map_page)
    app.router.add_get("/app.css", app_css)
    app.router.add_get("/app.js", app_js)
    app.router.add_static("/static/leaflet/", LEAFLET)
    app.router.add_get("/tiles/{z}/{x}/{y}.png", tile)
    app.router.add_get("/bad", bad_page)
    app.router.add_get("/bad.css", bad_css)
    app.router.add_get("/export.csv", export)
    app.router.add_get("/sign-in", sign_in)
    app.router.add_get("/whoami", whoami)
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        served.url = f"http://127.0.0.1:{runner.addresses[0][1]}"
        yield served
    finally:
        await runner.cleanup()


async def test_the_map_page_renders_with_the_vendored_leaflet(
    page: Page, page_errors: list[str], site: Site
) -> None:
    asked: list[str] = []
    page.on("request", lambda request: asked.append(request.url))
    await page.goto(site.url + "/")
    await page.locator("#map.leaflet-container").wait_for()
    marker = page.get_by_role("button", name="Ärende 1")
    await marker.wait_for()
    await page.locator(".leaflet-tile").first.wait_for(state="attached")
    box = await page.locator("#map").bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] == 320
    attribution = await page.locator(".leaflet-control-attribution").inner_text()
    assert attribution.strip() == "Leaflet | © OpenStreetMap"
    assert site.tiles_asked, "the map asked for no tile"
    assert all(url.startswith(site.url) for url in asked), asked
    assert await axe_violations(page) == []
    assert page_errors == []


async def test_axe_finds_what_a_bad_page_breaks(page: Page, site: Site) -> None:
    await page.goto(site.url + "/bad")
    found = await axe_violations(page)
    rules = {violation.rule: violation for violation in found}
    assert {"html-has-lang", "image-alt", "button-name", "color-contrast"} <= set(rules)
    assert rules["image-alt"].impact == "critical"
    assert rules["color-contrast"].targets == ["p"]
    assert {v.rule for v in await axe_violations(page, impacts=("critical",))} >= {"image-alt"}
    assert "color-contrast" not in {v.rule for v in await axe_violations(page, ("critical",))}


async def test_a_download_is_saved(page: Page, site: Site, tmp_path: Path) -> None:
    await page.goto(site.url + "/")
    async with page.expect_download() as started:
        await page.get_by_role("link", name="Ladda ner ärendena (CSV)").click()
    download = await started.value
    assert download.suggested_filename == "arenden.csv"
    await download.save_as(tmp_path / download.suggested_filename)
    assert (tmp_path / "arenden.csv").read_bytes() == EXPORT.encode()


async def test_an_httponly_cookie_is_sent_but_hidden_from_scripts(page: Page, site: Site) -> None:
    await page.goto(site.url + "/sign-in")
    assert await page.evaluate("() => document.cookie") == "theme=dark"
    cookies = {cookie["name"]: cookie for cookie in await page.context.cookies()}
    assert cookies["session"]["httpOnly"] is True
    assert cookies["session"]["sameSite"] == "Strict"
    seen = await page.evaluate("async () => (await fetch('/whoami')).text()")
    assert seen == "s3cret"
    assert site.session_seen == ["s3cret"]
