"""The trygghetsmätning's results on the web: the "Trygghetsmätning" section of /statistik
(a table per station of the member's, and each running promise's before/during/change), the
dashboard's panel of last month, and the public promise page's one line for the last month
that ended before the weekly snapshot. Answers are seeded under the month's pseudonym, as the
pulse stores them; the numbers are the ones hand-checked in tests/test_trygghet.py."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from bot.domain.deployment import Deployment
from bot.domain.trygghet import add_months, first_during, month_of
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.public import week_start
from bot.settings import Settings
from storage.pulse import PulseRepository
from tests.browser import axe_violations
from tests.pulse_seed import seed as seed_scores
from tests.test_trygghet_views import months_now, named
from tests.test_web_downloads import WIDEST_RIGHT_EDGE
from tests.web import (
    WEB_URL,
    Client,
    Clock,
    as_member,
    browser_sign_in,
    live_site,
    web_and_bot,
)

if TYPE_CHECKING:
    from playwright.async_api import Page

POLIS_JKB, PARTNER_JKB, POLIS_ALS, ADMIN = 100000001, 100000002, 100000003, 100000009
PROMISE = "jarfalla-2019-2020"  # at Jakobsberg
NBSP = "\xa0"
#: 13 of 20 feel safe (4 or 5): 65 %, 95 % interval 43 %-82 % (tests/test_trygghet.py).
TWENTY = [5] * 6 + [4] * 7 + [3] * 3 + [2] * 2 + [1] * 2
SHARE_20 = f"65{NBSP}%"
INTERVAL_20 = f"43{NBSP}%–82{NBSP}%"


async def seed(services: Services, answers: list[tuple[str, str, list[int]]]) -> None:
    """(month, station, scores): each score from another resident."""
    repo = PulseRepository(services.db)
    for n, (month, station, scores) in enumerate(answers):
        await seed_scores(repo, month, station, scores, 5000 + 100 * n)


@asynccontextmanager
async def signing_in(
    emulator: Emulator, settings: Settings, deployment: Deployment
) -> AsyncIterator[tuple[Client, Services]]:
    """`web_and_bot` with sign-in links to the client's site (WEB_URL), on a still clock."""
    async with web_and_bot(
        emulator, settings.model_copy(update={"web_url": WEB_URL}), deployment, Clock()
    ) as (client, services):
        yield client, services


def text_of(html: str) -> str:
    """The page's words: tags out, one space between cells."""
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html))


def section(body: str, start: str, end: str) -> str:
    found = re.search(re.escape(start) + r"(.*?)" + re.escape(end), body, re.S)
    assert found, body
    return found.group(1)


async def test_statistik_shows_each_stations_months_and_the_promise_before_and_during(
    emulator: Emulator,
    bot_settings: Settings,
    running_deployment: Deployment,
    catalogs: Catalogs,
) -> None:
    last, this = months_now(running_deployment)
    promise = next(p for p in running_deployment.promises if p.id == PROMISE)
    before = add_months(month_of(promise.start), -1)
    async with signing_in(emulator, bot_settings, running_deployment) as (client, services):
        await seed(
            services,
            [
                (last, "jakobsberg", TWENTY),
                (this, "jakobsberg", [5, 5, 4, 1]),  # 4 answers: hidden
                (before, "jakobsberg", [5] * 4 + [2] * 16),  # 4 of 20 before the promise
                (last, "floda", [5] * 10),
            ],
        )
        await as_member(client, emulator, POLIS_JKB, catalogs)
        page = await client.get("/statistik")
        assert page.status == 200
        body = await page.text()
        part = section(body, '<section id="trygghet"', "</section>")
        words = text_of(part)
        assert "Trygghetsmätning" in words
        assert "Trygga vid Jakobsberg, månad för månad" in words
        assert f"{named(last)} {SHARE_20} {INTERVAL_20} 20" in words, words
        # This month has not ended: not shown at all (complete months only).
        assert named(this) not in words
        assert f"{named(add_months(last, -1))} färre än 5 svar" in words
        assert '<td data-label="Svar" class="number">4</td>' not in part
        # The Jakobsberg officer sees no other station.
        assert "Floda" not in body
        assert "100" not in words
        # The promise: 4 of 20 before (20 %), 13 of 20 during (65 %; this month's answers
        # are not in: it has not ended): up by 45 points. It started after the 1st, so its
        # start month is in neither part.
        assert f"Före löftet ({named(add_months(month_of(promise.start), -12))}" in words
        assert f"20{NBSP}%" in words
        during = f"({named(first_during(promise.start))} – {named(last)}) 65{NBSP}%"
        assert f"Under löftet {during}" in words
        assert (
            "Andelen trygga har ökat med 45 procentenheter (95 % konfidensintervall: +14 till +66)"
            in words
        )
        assert "Stationer och månader med färre än 5 svar räknas inte med." in words
        # Each hidden row says why in its own cell, and the numbers sit in labelled cells.
        assert '<td colspan="3">färre än 5 svar</td>' in part
        assert f'<td data-label="Trygga" class="number">{SHARE_20}</td>' in part

        await as_member(client, emulator, ADMIN, catalogs)
        words = text_of(
            section(await (await client.get("/statistik")).text(), 'id="trygghet"', "</section>")
        )
        assert "Trygga vid Floda, månad för månad" in words
        assert f"{named(last)} 100{NBSP}% 72{NBSP}%–100{NBSP}% 10" in words


async def test_the_dashboard_shows_last_months_share_at_the_members_stations(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    last, this = months_now(deployment)
    async with signing_in(emulator, bot_settings, deployment) as (client, services):
        await seed(
            services,
            [
                (last, "jakobsberg", TWENTY),
                (this, "jakobsberg", [5] * 30),  # this month is not over: not shown
                (last, "alingsas", [5, 5, 4]),  # 3 answers: hidden
                (last, "floda", [5] * 10),
            ],
        )
        await as_member(client, emulator, POLIS_JKB, catalogs)
        body = await (await client.get("/")).text()
        panel = text_of(section(body, '<section class="trygghet"', "</section>"))
        assert f"Trygghet i {named(last)}" in panel
        line = f"{SHARE_20} trygga (95 % konfidensintervall: {INTERVAL_20}) av 20 svar"
        assert f"Jakobsberg {line}" in panel, panel
        # The column is the result, so 'trygga' is not said twice under a 'Trygga' heading.
        assert "Station Resultat Jakobsberg" in panel
        assert "av 30" not in panel
        assert "Floda" not in panel
        assert "Alingsås" not in panel
        assert 'href="/statistik#trygghet"' in body

        await as_member(client, emulator, POLIS_ALS, catalogs)  # five stations: a table
        panel = text_of(
            section(await (await client.get("/")).text(), 'class="trygghet"', "</section>")
        )
        assert "Alingsås färre än 5 svar" in panel
        assert "av 3" not in panel
        floda = f"100{NBSP}% trygga (95 % konfidensintervall: 72{NBSP}%–100{NBSP}%) av 10 svar"
        assert f"Floda {floda}" in panel
        assert "Jakobsberg" not in panel

        await as_member(client, emulator, ADMIN, catalogs)  # all six stations: a link
        panel = text_of(
            section(await (await client.get("/")).text(), 'class="trygghet"', "</section>")
        )
        assert "Trygghetsmätningen för alla dina stationer finns under Statistik" in panel
        assert "%" not in panel

        await as_member(client, emulator, PARTNER_JKB, catalogs)  # may not see statistics
        body = await (await client.get("/")).text()
        assert 'class="trygghet"' not in body


def snapshot_months(clock: Clock, deployment: Deployment) -> tuple[str, str]:
    """(the last month that ended before the clock's week began, the clock's month)."""
    today = clock.now.astimezone(ZoneInfo(deployment.deployment.timezone)).date()
    return add_months(month_of(week_start(today)), -1), month_of(today)


async def test_the_public_page_shows_the_last_complete_month_before_the_snapshot(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> None:
    clock = Clock()
    shown, current = snapshot_months(clock, running_deployment)
    promise = next(p for p in running_deployment.promises if p.id == PROMISE)
    before = add_months(month_of(promise.start), -2)
    async with web_and_bot(emulator, bot_settings, running_deployment, clock) as (client, services):
        running = [(m, "jakobsberg", [5] * 7) for m in {add_months(shown, 1), current}]
        await seed(
            services,
            [(shown, "jakobsberg", TWENTY), (before, "jakobsberg", [5] * 5 + [1] * 5), *running],
        )
        body = await (await client.get(f"/lofte/{PROMISE}")).text()
        line = text_of(section(body, '<p class="trygghet" id="trygghet">', "</p>")).strip()
        assert line == (
            f"Av de 20 som svarade på månadsfrågan i {named(shown)} kände sig {SHARE_20} "
            f"trygga vid Jakobsberg på kvällen (felmarginal {INTERVAL_20}). "
            f"Före löftet, under året innan det började, kände sig 50{NBSP}% av 10 som svarade "
            f"trygga (felmarginal 23{NBSP}%–77{NBSP}%). "
            "Stationer och månader med färre än 5 svar räknas inte med."
        )
        # The month still running (and any after the one shown) is not on the page.
        assert "av 7" not in text_of(body)
        assert "100" not in line


async def test_the_public_page_says_too_few_answers_and_shows_no_count(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> None:
    clock = Clock()
    shown, current = snapshot_months(clock, running_deployment)
    async with web_and_bot(emulator, bot_settings, running_deployment, clock) as (client, services):
        await seed(
            services, [(shown, "jakobsberg", [5, 4, 1, 2]), (current, "jakobsberg", [5] * 30)]
        )
        body = await (await client.get(f"/lofte/{PROMISE}")).text()
        line = text_of(section(body, '<p class="trygghet" id="trygghet">', "</p>")).strip()
        assert line == (
            "Det finns ännu för få svar för att visa hur trygga människor känner sig vid "
            "stationerna."
        )
        assert "av 4" not in body
        assert "av 30" not in body


async def test_with_no_answers_the_pages_say_so_in_one_line_without_tables(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    last, _ = months_now(deployment)
    async with signing_in(emulator, bot_settings, deployment) as (client, services):
        await seed(services, [(last, "floda", [5] * 10)])  # not the officer's station
        await as_member(client, emulator, POLIS_JKB, catalogs)
        part = section(await (await client.get("/statistik")).text(), 'id="trygghet"', "</section>")
        assert "Ingen har svarat på trygghetsmätningen vid dina stationer de senaste" in part
        assert "<table" not in part
        body = await (await client.get("/")).text()
        panel = section(body, '<section class="trygghet"', "</section>")
        assert (
            f"Ingen har svarat på trygghetsmätningen vid dina stationer i {named(last)}." in panel
        )
        assert "<table" not in panel


@pytest.mark.asyncio(loop_scope="session")
async def test_the_trygghet_tables_read_well_on_a_phone_in_a_browser(
    page: Page, tmp_path: Path, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    last, this = months_now(running_deployment)
    async with live_site(tmp_path, running_deployment, catalogs) as site:
        site.person(POLIS_JKB)
        await seed(site.services, [(last, "jakobsberg", TWENTY), (this, "jakobsberg", [5])])
        await browser_sign_in(page, site, POLIS_JKB)
        await page.set_viewport_size({"width": 390, "height": 844})
        panel = page.get_by_role("table", name="Andel som känner sig trygga vid dina stationer")
        assert await panel.get_by_role("row", name=f"Jakobsberg {SHARE_20}").count() == 1
        assert await axe_violations(page) == []
        await page.get_by_role("link", name="Mer om trygghetsmätningen under Statistik").click()
        await page.wait_for_url(f"{site.url}/statistik#trygghet")
        station = page.get_by_role("table", name="Trygga vid Jakobsberg, månad för månad")
        row = station.get_by_role("row", name=named(last))
        assert await row.get_by_role("cell").all_inner_texts() == [SHARE_20, INTERVAL_20, "20"]
        assert await station.get_by_role("row", name=named(this)).count() == 0  # running
        hidden = station.get_by_role("row", name=named(add_months(last, -1)))
        assert await hidden.get_by_role("cell").all_inner_texts() == ["färre än 5 svar"]
        assert await page.get_by_role("table", name="Före och under löftet").count() == 1
        assert await page.evaluate(WIDEST_RIGHT_EDGE) <= 390
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert await axe_violations(page) == []
