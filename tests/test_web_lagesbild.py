"""The lägesbild page (/lagesbild) and its PDF (/lagesbild.pdf): staff who may see statistics
choose one of their stations or kommuner and a month; the page shows the same numbers as the
lägesbild the admins get; anything not theirs is the same one-line 404."""

from __future__ import annotations

import html
import io
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pypdf import PdfReader

from bot.domain.deployment import Deployment
from bot.domain.trygghet import add_months, month_of
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.lagesbild import kommun_scope
from bot.services.lagesbild_text import LagesbildText
from bot.settings import Settings
from tests.browser import axe_violations
from tests.test_lagesbild_send import ADMIN_ALINGSAS, with_station_admins
from tests.test_web_dashboard import WEB_URL, report, signed_in
from tests.web import Client, Clock, browser_sign_in, live_site, web_and_bot

if TYPE_CHECKING:
    from playwright.async_api import Page

PARTNER_JKB, POLIS_ALINGSAS = 100000002, 100000003


def web_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"web_url": WEB_URL})


async def seed(services: Services) -> None:
    """Three lighting cases and one platform case at Alingsås, one at Jakobsberg."""
    for n in range(3):
        await report(services, 2001 + n, "alingsas", "belysning", f"Mörkt {n}.")
    await report(services, 2010, "alingsas", "perrong", "Kant.")
    await report(services, 2011, "jakobsberg", "belysning", "Trasig lampa.")


async def get(client: Client, url: str) -> tuple[int, str]:
    response = await client.get(url)
    return response.status, await response.text()


async def test_an_admin_sees_the_lagesbild_of_their_kommuner_and_nothing_else(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    t = catalogs.text
    clock = Clock()
    month = month_of(clock.now.date())
    dep = with_station_admins(deployment)
    async with web_and_bot(emulator, web_settings(bot_settings), dep, clock) as (client, services):
        await seed(services)
        await signed_in(client, emulator, ADMIN_ALINGSAS, catalogs)
        status, page = await get(client, f"/lagesbild?area=kommun:Alingsås&month={month}")
        assert status == 200, page
        assert '<html lang="sv"' in page
        assert '<label for="area">' in page
        assert '<label for="month">' in page
        assert '<option value="kommun:Lerum">' in page
        assert "station:floda" in page
        assert "jakobsberg" not in page
        assert "Järfälla" not in page
        scope = kommun_scope(dep, "Alingsås")
        assert scope is not None
        expected = await services.lagesbild.build(scope, month)
        assert expected.total == 4
        assert t("sv", "web.lagesbild.total", n=4) in page
        # Del 2, the analys: the same sentences as the PDF's (bot.services.lagesbild_text).
        labels = {"belysning": "Belysning", "perrong": "Perrong"}
        sentences = LagesbildText(catalogs, "sv", labels).analysis(expected)
        assert sentences
        for sentence in sentences:
            assert f"<li>{html.escape(sentence)}</li>" in page
        assert '<th scope="row">Belysning</th><td data-label' in page
        assert '<a class="pdf" href="/lagesbild.pdf?area=kommun%3AAlings%C3%A5s&amp;month=' in page
        pdf = await client.get(f"/lagesbild.pdf?area=kommun:Alingsås&month={month}")
        assert pdf.status == 200
        assert pdf.content_type == "application/pdf"
        body = await pdf.read()
        assert body.startswith(b"%PDF")
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        assert "Alings" in text
        # A kommun's trygghet pools its stations, so the page and the PDF say which cells are
        # left out; one station with no promise running pools nothing, and says nothing.
        note = t("sv", "lagesbild.pooled_note", min=5)
        for area, pooled in (("kommun:Lerum", True), ("station:floda", False)):
            status, page = await get(client, f"/lagesbild?area={area}&month={month}")
            assert status == 200, page
            assert (html.escape(note) in page) is pooled, area
            pdf = await client.get(f"/lagesbild.pdf?area={area}&month={month}")
            body = await pdf.read()
            text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
            assert (" ".join(note.split()) in " ".join(text.split())) is pooled, area
        # Not theirs, unknown, or a month not offered: the same one line, page and PDF alike.
        not_found = t("sv", "web.lagesbild.not_found")
        for query in (
            f"area=kommun:Järfälla&month={month}",
            f"area=station:jakobsberg&month={month}",
            f"area=station:nowhere&month={month}",
            "area=kommun:Alingsås&month=1999-01",
            "area=kommun:Alingsås&month=x",
        ):
            for path in ("/lagesbild", "/lagesbild.pdf"):
                status, body_text = await get(client, f"{path}?{query}")
                assert status == 404, (path, query)
                assert not_found in body_text


async def test_the_page_shows_the_pdf_s_figures_with_clear_trygghet_rows(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The trygghet table: 'Den här månaden (…)' and 'Månaden före (…)' rows, then per running
    promise 'Under löftet, månad för månad'; columns as /statistik (Trygga | 95 %
    konfidensintervall | Svar); dates in Swedish as in the PDF; response times as the PDF
    words them (median and count, no p90); a note on older months."""
    t = catalogs.text
    clock = Clock()
    month = month_of(clock.now.date())
    previous = add_months(month, -1)
    dep = with_station_admins(deployment)
    async with web_and_bot(emulator, web_settings(bot_settings), dep, clock) as (client, services):
        await seed(services)
        await signed_in(client, emulator, ADMIN_ALINGSAS, catalogs)
        for shown in (month, previous):
            status, page = await get(client, f"/lagesbild?area=kommun:Alingsås&month={shown}")
            assert status == 200, page
            text = LagesbildText(catalogs, "sv", {})
            expected = await services.lagesbild.build(kommun_scope(dep, "Alingsås"), shown)  # type: ignore[arg-type]
            this = t("sv", "web.lagesbild.this_month_row", month=text.month(shown))
            before = t("sv", "web.lagesbild.previous_row", month=text.month(add_months(shown, -1)))
            assert f'<th scope="row">{this}</th>' in page
            assert f'<th scope="row">{before}</th>' in page
            assert page.index(this) < page.index(before)
            if shown == month:  # the running month: its answers when it has ended
                assert html.escape(text.t("trygghet_not_ended")) in page
            heads = [t("sv", k) for k in ("web.lagesbild.safe_share", "web.lagesbild.interval",
                                          "web.lagesbild.answers")]  # fmt: skip
            table = page[page.index('id="trygghet"') :]
            assert table.index(heads[0]) < table.index(heads[1]) < table.index(heads[2])
            assert t("sv", "web.lagesbild.older") in page
            assert "trygghetsbot lagesbild" in page
            for promise in expected.promises:
                assert f"{text.day(promise.start)} – {text.day(promise.end)}" in page
            for p in expected.trygghet.promises:
                assert t("sv", "web.lagesbild.during_caption", title=html.escape(p.title)) in page
            everything = expected.response_all
            for d in (everything.to_acknowledge, everything.to_resolve):
                assert html.escape(text.waited(d)) in page
            assert "– / –" not in page  # no p90: the PDF has none


async def test_23_of_40_is_the_same_percent_on_statistik_the_pdf_and_the_page(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A reviewer's case: 23 of 40 feel safe last month at Alingsås, 57.5 %. Every view rounds
    it with the one formatter (trygghet_text.percent): 58 % on /statistik (web and bot), in
    the PDF and on /lagesbild; the lägesbild's own round(0.575 * 100) said 57. Wilson
    42.2–71.5 %: 42 %–72 % rounded outward."""
    from bot.domain.pulse import pseudonym
    from bot.services.trygghet_text import staff_text
    from storage.pulse import PulseRepository

    clock = Clock()
    previous = add_months(month_of(clock.now.date()), -1)
    dep = with_station_admins(deployment)
    async with web_and_bot(emulator, web_settings(bot_settings), dep, clock) as (client, services):
        pulse = PulseRepository(services.db)
        key = await pulse.key(previous)
        for r in range(40):
            await pulse.answer(pseudonym(key, 7000 + r), "alingsas", previous, 5 if r < 23 else 1)
        await signed_in(client, emulator, ADMIN_ALINGSAS, catalogs)
        share, bounds = "58\xa0%", "42\xa0%–72\xa0%"
        status, stats_page = await get(client, "/statistik")
        assert status == 200, stats_page
        bot_text = await staff_text(services.trygghet, catalogs, "sv", ["alingsas"])
        status, page = await get(client, f"/lagesbild?area=station:alingsas&month={previous}")
        assert status == 200, page
        pdf = await client.get(f"/lagesbild.pdf?area=station:alingsas&month={previous}")
        body = await pdf.read()
        pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(body)).pages)
        line = f"Den här månaden: {share} känner sig trygga (95 % konfidensintervall {bounds})"
        assert " ".join(line.split()) in " ".join(pdf_text.split())
        analysis = f"Trygghet den här månaden: {share} känner sig trygga"
        for shown in (stats_page, bot_text, page):
            assert share in shown
            assert bounds in shown
            assert "57\xa0%" not in shown
            assert "57 %" not in shown
        assert analysis in page
        assert "57" not in pdf_text


async def test_partners_may_not_and_signed_out_gets_the_sign_in_page(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with web_and_bot(emulator, web_settings(bot_settings), deployment, Clock()) as (
        client,
        _,
    ):
        status, _page = await get(client, "/lagesbild.pdf")
        assert status == 401
        front = await signed_in(client, emulator, PARTNER_JKB, catalogs)
        assert 'href="/lagesbild"' not in front  # not in the partner's menu
        for path in ("/lagesbild", "/lagesbild.pdf?area=station:jakobsberg"):
            status, page = await get(client, path)
            assert status == 403
            assert catalogs.text("sv", "web.lagesbild.refused") in page


@pytest.mark.asyncio(loop_scope="session")
async def test_the_lagesbild_page_in_a_browser(
    page: Page, tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    """An admin chooses Lerum in the form; the page is accessible (axe) and fits a phone."""
    dep = with_station_admins(deployment)
    async with live_site(tmp_path, dep, catalogs) as site:
        site.person(POLIS_ALINGSAS)  # has opened the bot: the cases reach them
        await browser_sign_in(page, site, ADMIN_ALINGSAS)
        await seed(site.services)
        await page.get_by_role("link", name=catalogs.text("sv", "web.nav_lagesbild")).click()
        await page.wait_for_url(f"{site.url}/lagesbild")
        assert await axe_violations(page) == []
        await page.get_by_label(
            catalogs.text("sv", "web.lagesbild.area"), exact=True
        ).select_option("kommun:Lerum")
        await page.get_by_role("button", name=catalogs.text("sv", "web.lagesbild.show")).click()
        await page.wait_for_url("**/lagesbild?area=kommun%3ALerum*")
        heading = page.get_by_role("heading", level=2).first
        assert (await heading.inner_text()).startswith("Lerum, ")
        await page.set_viewport_size({"width": 390, "height": 844})
        width = await page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390
        assert await axe_violations(page) == []
        async with page.expect_download() as download:
            await page.get_by_role("link", name=catalogs.text("sv", "web.lagesbild.pdf")).click()
        assert (await download.value).suggested_filename.startswith("lagesbild-lerum-")
