"""Issue 20, item 3 (first part): the dashboard's front page, a map and a list of the cases
the signed-in member may open in the bot, with filters. An officer sees their stations'
cases only, a partner only those routed to their actor; a filter outside what the member may
see is refused like an unknown value; the map's JSON obeys the same rules. The browser test
signs in in Chromium and finds a marker per case of the officer's station, axe finds no
serious violation, and a phone-wide window shows the list."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest

from bot.domain.access import may_open
from bot.domain.dashboard import case_scope
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.browser import axe_violations
from tests.web import Client, Clock, browser_sign_in, live_site, sign_in, staff_person, web_and_bot

if TYPE_CHECKING:
    from playwright.async_api import Page

WEB_URL = "http://127.0.0.1:8080"
POLIS_JKB, PARTNER_JKB, POLIS_ALS, ADMIN = 100000001, 100000002, 100000003, 100000009
TILES = "/static/no-tiles/{z}/{x}/{y}.png"  # a local 404: the test loads nothing from outside


async def report(
    services: Services, resident: int, station: str, category: str, text: str, **more: object
) -> str:
    """A resident's report, sent through the intake service; its reference."""
    draft = Draft(
        kind="report",
        station=station,
        category=category,
        place_text="Vid trappan upp till perrong 1",
        times=["evening"],
        description=text,
        **more,  # type: ignore[arg-type]
    )
    return (await services.submit_draft(resident, draft, "sv")).case.reference


async def three_cases(services: Services) -> dict[str, str]:
    """A lighting case at Jakobsberg (routed to Järfälla kommun), a platform case there
    (Trafikverket only) with its own location, and a lighting case at Alingsås."""
    return {
        "lamp": await report(services, 1001, "jakobsberg", "belysning", "Lampan <b>trasig</b>."),
        "platform": await report(
            services, 1002, "jakobsberg", "perrong", "Kant på perrongen.", lat=59.42, lon=17.83
        ),
        "alingsas": await report(services, 1003, "alingsas", "belysning", "Mörkt i tunneln."),
    }


@dataclass(frozen=True)
class Member:
    role: str
    actor_id: str
    stations: list[str]


async def signed_in(client: Client, emulator: Emulator, user_id: int, catalogs: Catalogs) -> str:
    """Sign `user_id` in with a link from /webb (cards of the new cases may come with the
    answer); the front page's HTML."""
    answers = await staff_person(emulator, user_id, catalogs).say("/webb")
    found = [m for m in answers if m.text and f"{WEB_URL}/login/" in m.text]
    assert found, [m.text for m in answers]
    token = found[-1].text.split(f"{WEB_URL}/login/", 1)[1].split()[0]
    await sign_in(client, token)
    page = await client.get("/")
    assert page.status == 200
    return await page.text()


async def idea(services: Services, resident: int, station: str, text: str) -> str:
    """A resident's idea (no category, no place of its own); its reference."""
    draft = Draft(kind="idea", station=station, description=text)
    return (await services.submit_draft(resident, draft, "sv")).case.reference


def references(body: str, refs: dict[str, str]) -> set[str]:
    return {name for name, ref in refs.items() if f'href="/arende/{ref}"' in body}


def test_the_scope_is_may_open(deployment: Deployment) -> None:
    """The dashboard's query scope allows exactly what may_open allows, for every member
    of the bundled deployment, every station and a few actor sets."""
    actor_sets = [set(), {"jarfalla-kommun"}, {"trafikverket"}, {"vasttrafik", "polisen-jarfalla"}]
    for listed in deployment.staff:
        member = Member(listed.role, listed.actor, listed.stations)
        scope = case_scope(member)
        for station in deployment.stations:
            for actors in actor_sets:
                assert scope.allows(station.id, actors) == may_open(member, station.id, actors)


async def test_an_officer_sees_their_stations_cases_and_a_partner_only_routed_ones(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, services):
        refs = await three_cases(services)
        body = await signed_in(client, emulator, POLIS_JKB, catalogs)
        assert references(body, refs) == {"lamp", "platform"}
        assert "Lampan &lt;b&gt;trasig&lt;/b&gt;." in body  # the resident's text, escaped
        assert "<b>trasig" not in body
        assert "<p>2 ärenden. Sida 1 av 1.</p>" in body
        # Newest first; the names of the category and status come from the catalogs.
        assert body.index(refs["platform"]) < body.index(refs["lamp"])
        assert f"<td>{deployment.category_label('belysning', 'sv')}</td>" in body
        assert f"<td>{catalogs.text('sv', 'status.new')}</td>" in body
        assert '<label for="f-station">' in body
        assert 'name="from" type="date"' in body
        assert '<option value="alingsas"' not in body  # only the officer's stations
        # The map's data: the same two, the one without a location at its station.
        data = await client.get("/karta.json")
        assert data.status == 200
        cases = {c["reference"]: c for c in (await data.json())["cases"]}
        assert set(cases) == {refs["lamp"], refs["platform"]}
        jkb = deployment.station("jakobsberg")
        assert (cases[refs["lamp"]]["lat"], cases[refs["lamp"]]["lon"]) == (jkb.lat, jkb.lon)
        assert cases[refs["lamp"]]["approximate"] is True
        assert cases[refs["platform"]]["lat"] == 59.42
        assert cases[refs["platform"]]["approximate"] is False
        assert cases[refs["lamp"]]["url"] == f"/arende/{refs['lamp']}"
        await client.post("/logout", data={"csrf": _csrf(body)})

        body = await signed_in(client, emulator, PARTNER_JKB, catalogs)
        assert references(body, refs) == {"lamp"}  # perrong goes to Trafikverket only
        data = await (await client.get("/karta.json")).json()
        assert [c["reference"] for c in data["cases"]] == [refs["lamp"]]
        assert data["total"] == 1


def _csrf(body: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([^"]+)"', body)
    assert found
    return found.group(1)


async def test_filters_narrow_the_cases_and_bad_values_get_one_message(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    clock = Clock()
    async with web_and_bot(emulator, settings, deployment, clock) as (client, services):
        refs = await three_cases(services)
        await signed_in(client, emulator, POLIS_ALS, catalogs)  # Alingsås and four more
        body = await (await client.get("/?station=alingsas&category=belysning")).text()
        assert references(body, refs) == {"alingsas"}
        assert '<option value="alingsas" selected>' in body
        body = await (await client.get("/?station=floda")).text()
        assert references(body, refs) == set()
        assert catalogs.text("sv", "web.dashboard.none") in body
        body = await (await client.get("/?status=resolved")).text()
        assert references(body, refs) == set()
        # The period: the default is the last 90 days; a period before today has none.
        today = clock.now.astimezone(dt.UTC).date()
        old = {"from": "2020-01-01", "to": (today - dt.timedelta(days=2)).isoformat()}
        assert references(await (await client.get("/", params=old)).text(), refs) == set()
        body = await (await client.get("/")).text()
        assert references(body, refs) == {"alingsas"}
        local = clock.now.astimezone(ZoneInfo(deployment.deployment.timezone)).date()
        assert f'name="from" type="date" value="{local - dt.timedelta(days=90)}"' in body
        assert f'name="to" type="date" value="{local}"' in body
        yesterday = {"to": (local - dt.timedelta(days=1)).isoformat()}
        assert references(await (await client.get("/", params=yesterday)).text(), refs) == set()
        # Unknown values and a station outside the officer's scope: the same one message,
        # for the page and for the map's data.
        problem = catalogs.text("sv", "web.dashboard.bad_filter")
        answers = set()
        for query in (
            "station=jakobsberg",  # exists, but not theirs
            "station=nowhere",
            "category=nothing",
            "status=lost",
            "from=2026-13-01",
            "from=2026-02-01&to=2026-01-01",
            "page=0",
            "page=abc",
            "kind=suggestion",
        ):
            page = await client.get(f"/?{query}")
            body = await page.text()
            assert page.status == 400, query
            assert problem in body, query
            assert references(body, refs) == set(), query
            answers.add(body.replace(query, ""))
            data = await client.get(f"/karta.json?{query}")
            assert data.status == 400, query
            assert await data.json() == {"error": problem}
        assert len(answers) == 1  # every bad value: the same page
        first = await (await client.get("/?station=jakobsberg")).text()
        second = await (await client.get("/?station=nowhere")).text()
        assert first == second  # another's station and no station look the same
        # The map's data asks for a session.
        client.session.cookie_jar.clear()
        assert (await client.get("/karta.json")).status == 401
        assert json.loads(await (await client.get("/karta.json")).text())["error"]


async def test_dates_outside_the_calendar_get_the_one_message_not_a_crash(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Review finding: a date at the calendar's ends made the period's arithmetic (the day
    after `to`, year 1 in Stockholm time to UTC) raise and the page answer 500 (the JSON in
    HTML). Any date before 2000 or over a year ahead, and a page number of thousands of
    digits, is a bad value like any other: the page and the map's data say the one line."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    clock = Clock()
    async with web_and_bot(emulator, settings, deployment, clock) as (client, services):
        refs = await three_cases(services)
        await signed_in(client, emulator, POLIS_ALS, catalogs)
        problem = catalogs.text("sv", "web.dashboard.bad_filter")
        local = clock.now.astimezone(ZoneInfo(deployment.deployment.timezone)).date()
        for query in (
            "to=9999-12-31",
            "from=0001-01-01",
            "from=0001-01-01&to=0001-01-01",
            "from=1999-12-31",
            f"to={local + dt.timedelta(days=400)}",
            "page=" + "9" * 5000,
        ):
            page = await client.get(f"/?{query}")
            assert page.status == 400, query
            body = await page.text()
            assert problem in body, query
            assert references(body, refs) == set(), query
            data = await client.get(f"/karta.json?{query}")
            assert data.status == 400, query
            assert await data.json() == {"error": problem}, query
        # The ends of the range still work.
        fine = {"from": "2000-01-01", "to": (local + dt.timedelta(days=365)).isoformat()}
        page = await client.get("/", params=fine)
        assert page.status == 200
        assert references(await page.text(), refs) == {"alingsas"}
        assert (await client.get("/karta.json", params=fine)).status == 200


LINES = """el => {
    const range = document.createRange();
    range.selectNodeContents(el);
    return new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
}"""


@pytest.mark.asyncio(loop_scope="session")
async def test_the_map_shows_the_officers_cases_in_a_browser(
    page: Page, tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Newcomer review, in the browser: cases at the same point (two without a place of
    their own at the station) are one marker with their number, named by its cases, whose
    popup links to each; at 1280 px the list has most of the width and neither a reference
    nor a date wraps; the menu's current page looks current; on a 390 x 844 phone the first
    case is on the first screen, above the map, and "Logga ut" stays on one line."""
    t = catalogs.text
    async with live_site(tmp_path, deployment, catalogs, web_tile_url=TILES) as site:
        await browser_sign_in(page, site, POLIS_JKB)
        refs = await three_cases(site.services)
        refs["dark"] = await report(
            site.services, 1004, "jakobsberg", "belysning", "Mörkt vid cykelstället."
        )
        await page.set_viewport_size({"width": 1280, "height": 800})
        await page.goto(f"{site.url}/")
        await page.locator("#map[data-markers]").wait_for(state="attached")
        markers = page.locator("#map .leaflet-marker-icon")
        titles = {await m.get_attribute("title") or "" for m in await markers.all()}
        assert await markers.count() == 2  # three cases: two share the station's point
        group_name = t("sv", "web.dashboard.map_group")
        single = {title for title in titles if not title.startswith(group_name)}
        assert {title.split(",")[0] for title in single} == {refs["platform"]}
        (grouped,) = titles - single
        assert grouped == f"{group_name}: 2. {refs['dark']}, {refs['lamp']}"
        group = page.locator(f'#map .leaflet-marker-icon[title^="{group_name}"]')
        assert (await group.inner_text()).strip() == "2"
        assert await group.get_attribute("aria-label") == grouped
        # A case's own popup links to its page twice; the group's popup lists its cases
        # (links) and says they stand at the station.
        await page.locator(f'#map .leaflet-marker-icon[title^="{refs["platform"]},"]').click()
        popup = page.locator(".leaflet-popup-content")
        assert await popup.locator(f'a[href="/arende/{refs["platform"]}"]').count() == 2
        await group.click()
        await popup.locator(f'a[href="/arende/{refs["lamp"]}"]').wait_for()
        assert await popup.locator(f'li a[href="/arende/{refs["dark"]}"]').count() == 1
        assert await popup.locator(f'li a[href="/arende/{refs["lamp"]}"]').count() == 1
        assert t("sv", "web.dashboard.at_station") in await popup.inner_text()
        assert await axe_violations(page) == []
        # At 1280 px: the list has 60 % of the width; references and dates on one line.
        table, area = page.get_by_role("table"), page.locator(".dashboard")
        table_box, area_box = await table.bounding_box(), await area.bounding_box()
        assert table_box is not None
        assert area_box is not None
        assert table_box["width"] >= 0.55 * area_box["width"]
        for row in await table.locator("tbody tr").all():
            assert await row.locator("td").nth(0).evaluate(LINES) == 1
            assert await row.locator("td").nth(4).evaluate(LINES) == 1
        # The menu shows which page this is (bold), not only to a screen reader.
        current = page.locator('header.top a[aria-current="page"]')
        weight = await current.evaluate("el => getComputedStyle(el).fontWeight")
        assert int(weight) >= 700
        # On a phone the list comes first, its first case on the first screen, the map
        # under it, and nothing is wider than the screen.
        await page.set_viewport_size({"width": 390, "height": 844})
        await page.goto(f"{site.url}/")
        await page.locator("#map[data-markers]").wait_for(state="attached")
        assert await table.is_visible()
        first_row = table.locator("tbody tr").first
        top = await first_row.evaluate("el => el.getBoundingClientRect().top + window.scrollY")
        assert 0 <= top < 844 - 40, top
        map_box, list_box = await page.locator("#map").bounding_box(), await table.bounding_box()
        assert map_box is not None
        assert list_box is not None
        assert map_box["y"] > list_box["y"] + list_box["height"]
        assert await page.get_by_role("link", name=refs["lamp"]).is_visible()
        sign_out = page.get_by_role("button", name=t("sv", "web.sign_out"))
        assert await sign_out.evaluate(LINES) == 1  # next to a long staff name
        assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
        assert await axe_violations(page) == []


async def test_ideas_have_a_type_filter_and_the_bots_name(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Newcomer review: ideas could not be filtered, and the list called one "idé" where the
    statistics say "Idéer". The form has a Typ filter with the export page's words (Alla,
    Rapporter, Idéer), for the page and the map's data; an idea's category cell says the
    bot's word, "Idé"."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, services):
        refs = await three_cases(services)
        refs["idea"] = await idea(services, 1004, "jakobsberg", "Fler bänkar vid entrén.")
        body = await signed_in(client, emulator, POLIS_JKB, catalogs)
        assert references(body, refs) == {"lamp", "platform", "idea"}
        t = catalogs.text
        assert f'<label for="f-kind">{t("sv", "web.export.kind")}</label>' in body
        assert f'<option value="">{t("sv", "export.kind_all")}</option>' in body
        assert f'<option value="report">{t("sv", "export.kind_report")}</option>' in body
        assert f'<option value="idea">{t("sv", "export.kind_idea")}</option>' in body
        assert (t("sv", "export.kind_all"), t("sv", "export.kind_idea")) == ("Alla", "Idéer")
        assert f"<td>{t('sv', 'field.idea')}</td>" in body
        assert "<td>Idé</td>" in body
        assert "<td>idé</td>" not in body
        body = await (await client.get("/?kind=idea")).text()
        assert references(body, refs) == {"idea"}
        assert '<option value="idea" selected>' in body
        assert "kind=idea" in body  # the map's data asks for the same
        body = await (await client.get("/?kind=report")).text()
        assert references(body, refs) == {"lamp", "platform"}
        data = await (await client.get("/karta.json?kind=idea")).json()
        assert [c["reference"] for c in data["cases"]] == [refs["idea"]]
        assert data["cases"][0]["category"] == "Idé"
        data = await (await client.get("/karta.json?kind=report")).json()
        assert {c["reference"] for c in data["cases"]} == {refs["lamp"], refs["platform"]}


async def test_a_new_deployment_says_no_cases_yet_and_filters_say_none_match(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Newcomer review: a new deployment showed "0 ärenden. Sida 1 av 1." and "Inga ärenden
    med det här urvalet.", as if the filters were wrong. With no filter and no cases the
    page says one plain line; with filters only that none match; no paging line either
    way. The title is the menu's name, and the member's stations have a visible label.
    Review: with cases only older than the default 90 days the page said "no cases yet";
    it says none in the last 90 days and that the dates show older ones."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    t = catalogs.text
    clock = Clock()
    async with web_and_bot(emulator, settings, deployment, clock) as (client, services):
        body = await signed_in(client, emulator, POLIS_JKB, catalogs)
        empty = t("sv", "web.dashboard.empty")
        assert empty == (
            "Inga ärenden ännu. När invånare skickar in rapporter eller idéer syns de här."
        )
        assert f"<p>{empty}</p>" in body
        assert t("sv", "web.dashboard.none") not in body
        assert "Sida 1 av 1" not in body
        assert "0 ärenden" not in body
        assert f"<h1>{t('sv', 'web.nav_cases')}</h1>" in body
        assert '<a href="/" aria-current="page">Ärenden</a>' in body
        assert f'<h2 id="stations-title">{t("sv", "web.stations")}</h2>' in body
        assert '<h2 class="visually-hidden">' not in body
        for query in ("status=resolved", "kind=idea", "station=jakobsberg"):
            body = await (await client.get(f"/?{query}")).text()
            assert f"<p>{t('sv', 'web.dashboard.none')}</p>" in body, query
            assert empty not in body, query
            assert "Sida 1 av 1" not in body, query
            assert "0 ärenden" not in body, query
        refs = await three_cases(services)
        body = await (await client.get("/")).text()
        assert references(body, refs) == {"lamp", "platform"}
        assert "<p>2 ärenden. Sida 1 av 1.</p>" in body
        assert empty not in body
        long_ago = (clock.now - dt.timedelta(days=120)).isoformat(timespec="seconds")
        async with services.db.transaction() as conn:
            await conn.execute("UPDATE cases SET created_at = ?", (long_ago,))
        body = await (await client.get("/")).text()
        recent = t("sv", "web.dashboard.none_recent", days=90)
        assert recent == (
            "Inga ärenden de senaste 90 dagarna. Ändra datumen ovan för att se äldre ärenden."
        )
        assert f"<p>{recent}</p>" in body
        assert empty not in body
        assert t("sv", "web.dashboard.none") not in body
        assert "Sida 1 av 1" not in body
        since = (clock.now - dt.timedelta(days=130)).date().isoformat()
        body = await (await client.get(f"/?from={since}")).text()
        assert references(body, refs) == {"lamp", "platform"}
