"""Issue 20, item 4: the public promise page, open without signing in. A promise's
commitments with status and progress, the latest updates, "ni sa, vi gjorde" counts with
counts under three not shown exactly, a map of report cells of at least three reports (and
the same cells as a list), the deployment's languages and a link and QR code to the bot.
Nothing personal: reports are seeded with text, places and chat ids that must not appear in
the page or its JSON. The counts and cells are a weekly snapshot (reports received before
this week's Monday), computed once a week per promise: so the tests seeding reports now move
the web app's clock to next week before they look."""

from __future__ import annotations

import datetime as dt
import html
import json
import sqlite3
import threading
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
import segno
from babel.dates import format_date

from bot.domain.deployment import CommitmentStatus, Deployment
from bot.domain.models import CaseKind, NewCase
from bot.domain.public_map import (
    CELL_DEGREES,
    MINIMUM,
    Cell,
    Place,
    aggregate,
    cell_key,
    centre,
)
from bot.emulator import Emulator
from bot.i18n import Catalogs, Percent, written
from bot.services import Services
from bot.services.public import PublicPromises
from bot.settings import Settings
from bot.web.public import PUBLIC
from tests.browser import axe_violations
from tests.web import Clock, live_site, web_and_bot

if TYPE_CHECKING:
    from playwright.async_api import Page

PROMISE = "jarfalla-2019-2020"
#: What residents wrote and who they are: none of it may reach the public page.
SECRET = "Hemlig beskrivning Zebrafink 4711"
PLACE = "Hemliggatan 99"
CHAT_ID = 987654321
STAFF_NAME = "Kommunpolis Järfälla (platshållare)"
#: A cluster of four reports (one cell), a pair (another cell) and one alone, each from
#: another resident; and three from one resident (a third cell).
CLUSTER = [(59.42391, 17.83281), (59.42402, 17.83312), (59.42377, 17.83255), (59.42395, 17.8329)]
PAIR = [(59.4512, 17.8612), (59.4513, 17.8613)]
LONE = (59.4871234, 17.9054321)
ONE_RESIDENT = [(59.4301, 17.8501), (59.43012, 17.85013), (59.43014, 17.85011)]
UPDATE_TEXT = "Nya lampor sitter uppe vid gångtunneln"
#: A week in the Clock's minutes: the snapshot then takes the reports seeded now.
WEEK = 7 * 24 * 60


# ------------------------------------------------------------------ the aggregation rule
def _centre_of(lat: float, lon: float) -> tuple[float, float]:
    return centre(cell_key(lat, lon))


def _places(points: list[tuple[float, float]], reporters: list[int | None] | None) -> list[Place]:
    """`points` as places, from the `reporters` given (else each from another one)."""
    chosen = reporters if reporters is not None else list(range(len(points)))
    return [Place(lat, lon, who) for (lat, lon), who in zip(points, chosen, strict=True)]


@pytest.mark.parametrize(
    ("points", "reporters", "expected"),
    [
        ([], None, []),
        ([LONE], None, []),
        (PAIR, None, []),
        ([*PAIR, PAIR[0]], None, [(*_centre_of(*PAIR[0]), 3)]),
        (CLUSTER, None, [(*_centre_of(*CLUSTER[0]), 4)]),
        ([*CLUSTER, *PAIR, LONE], None, [(*_centre_of(*CLUSTER[0]), 4)]),
        (
            PAIR * 3 + CLUSTER + [LONE] * 2,
            None,
            [(*_centre_of(*PAIR[0]), 6), (*_centre_of(*CLUSTER[0]), 4)],
        ),
        # Reports enough, but from fewer than three residents: left out.
        (ONE_RESIDENT, [7, 7, 7], []),
        (CLUSTER, [1, 2, 1, 2], []),
        (CLUSTER, [1, 2, 3, 1], [(*_centre_of(*CLUSTER[0]), 4)]),
        # Reporters no longer known count as one.
        (CLUSTER, [None, None, None, 1], []),
        (CLUSTER, [None, None, 2, 1], [(*_centre_of(*CLUSTER[0]), 4)]),
    ],
    ids=[
        "none",
        "one",
        "two",
        "three",
        "four",
        "four-two-one",
        "six-four-two",
        "three-from-one",
        "four-from-two",
        "four-from-three",
        "unknown-as-one",
        "unknown-and-two",
    ],
)
def test_cells_of_fewer_than_three_reports_or_reporters_are_left_out(
    points: list[tuple[float, float]],
    reporters: list[int | None] | None,
    expected: list[tuple[float, float, int]],
) -> None:
    assert MINIMUM == 3
    cells = aggregate(_places(points, reporters))
    assert [(c.lat, c.lon, c.count) for c in cells] == expected
    shown = {(c.lat, c.lon) for c in cells}
    # A cell is shown at its grid centre, never at a report's own place.
    assert not shown & set(points)
    for cell in cells:
        assert any(cell_key(cell.lat, cell.lon) == cell_key(*p) for p in points)


def test_a_cells_centre_is_the_grids_not_the_reports() -> None:
    (cell,) = aggregate(_places([CLUSTER[0]] * 3, None))
    assert cell == Cell(*_centre_of(*CLUSTER[0]), 3)
    assert abs(cell.lat - CLUSTER[0][0]) <= CELL_DEGREES / 2
    # The same cell whatever reports fall in it: the centre does not move towards them.
    assert aggregate(_places([CLUSTER[1]] * 3, None))[0] == Cell(cell.lat, cell.lon, 3)


# ------------------------------------------------------------------ the page
#: The residents' chat ids: CHAT_ID + n for the n-th report.
CHAT_IDS = [CHAT_ID + n for n in range(len(CLUSTER) + len(PAIR) + 1)]


async def report(
    services: Services, resident_id: int, category: str, lat: float, lon: float
) -> None:
    """One report at Jakobsberg, received now."""
    station = services.deployment.station("jakobsberg")
    await services.cases.create(
        NewCase(
            station_id=station.id,
            station_code=station.code,
            kind=CaseKind.REPORT,
            description=SECRET,
            resident_id=resident_id,
            category=category,
            place_text=PLACE,
            lat=lat,
            lon=lon,
            language="sv",
        )
    )


async def seed(services: Services) -> None:
    """Reports with distinctive text and places (lighting: the cluster and the pair, each
    from another resident; graffiti: the lone one; sight lines: three from one resident),
    and a published update."""
    reports = [(p, "belysning") for p in CLUSTER + PAIR] + [(LONE, "klotter")]
    senders = [await services.residents.touch(chat_id, "sv") for chat_id in CHAT_IDS]
    one = senders[0]
    for ((lat, lon), category), resident in [
        *zip(reports, senders, strict=True),
        *(((p, "sikt"), one) for p in ONE_RESIDENT),
    ]:
        await report(services, resident.id, category, lat, lon)
    await services.promises.publish(
        "jkb-trygghetsbesiktning",
        CommitmentStatus.IN_PROGRESS,
        50,
        UPDATE_TEXT,
        None,
        "polisen-jarfalla",
        None,
        [],
    )


def assert_nothing_personal(text: str) -> None:
    for secret in (SECRET, PLACE, STAFF_NAME, html.escape(STAFF_NAME)):
        assert secret not in text
    for chat_id in CHAT_IDS:
        assert str(chat_id) not in text
    for lat, lon in [LONE, *PAIR, *CLUSTER, *ONE_RESIDENT]:
        assert f"{lat:.4f}" not in text
        assert f"{lon:.4f}" not in text
        assert str(lat) not in text
        assert str(lon) not in text


async def test_the_promise_page_shows_progress_and_counts_and_nothing_personal(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(update={"bot_username": "@trygg_test_bot"})
    clock = Clock()
    async with web_and_bot(emulator, settings, running_deployment, clock) as (client, services):
        await seed(services)
        clock.advance(WEEK)  # the reports seeded now count in next week's snapshot
        promise = next(p for p in running_deployment.promises if p.id == PROMISE)

        listed = await client.get("/lofte")
        body = await listed.text()
        assert listed.status == 200
        assert f'href="/lofte/{PROMISE}?lang=sv"' in body
        assert html.escape(promise.title) in body

        response = await client.get(f"/lofte/{PROMISE}")
        body = await response.text()
        assert response.status == 200
        assert '<html lang="sv">' in body
        # Security headers stay on a public page.
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        t = catalogs.text
        for commitment in promise.commitments:
            assert html.escape(commitment.text, quote=False) in body
        assert t("sv", "commitment.in_progress") in body
        assert f"<td>{written(Percent(50), 'sv')}</td>" in body
        assert UPDATE_TEXT in body
        # 6 lighting reports counted; the one graffiti report is "fewer than 3".
        label = running_deployment.category_label("belysning", "sv")
        assert f"<td>{label}</td><td>6</td>" in body
        graffiti = running_deployment.category_label("klotter", "sv")
        assert f"<td>{graffiti}</td><td>{t('sv', 'web.public.few')}</td>" in body
        # The map's list: one cell of four, at its centre; the pair and the lone one left out.
        lat, lon = _centre_of(*CLUSTER[0])
        assert f"<td>{lat:.4f}, {lon:.4f}</td><td>4</td>" in body
        assert "<td>2</td>" not in body
        # Three sight-line reports: counted, but from one resident, so not on the map.
        sight = running_deployment.category_label("sikt", "sv")
        assert f"<td>{sight}</td><td>3</td>" in body
        lat3, lon3 = _centre_of(*ONE_RESIDENT[0])
        assert f"{lat3:.4f}, {lon3:.4f}" not in body
        # The bot: a deep link that starts a report at the promise's one station, and its QR
        # code; the list of promises links the plain address.
        deep = "https://t.me/trygg_test_bot?start=s_jakobsberg"
        assert f'<a href="{deep}">' in body
        assert segno.make(deep, error="m").svg_inline(scale=4, omitsize=False) in body
        assert '<a href="https://t.me/trygg_test_bot">' in await listed.text()
        plain = segno.make("https://t.me/trygg_test_bot", error="m")
        assert plain.svg_inline(scale=4, omitsize=False) in await listed.text()
        assert "<script>" not in body
        assert "style=" not in body
        assert_nothing_personal(body)

        cells = await client.get(f"/lofte/{PROMISE}/karta.json")
        text = await cells.text()
        assert cells.status == 200
        data = json.loads(text)
        assert data["cells"] == [
            {"lat": lat, "lon": lon, "count": 4, "label": t("sv", "web.public.cell_count", count=4)}
        ]
        assert_nothing_personal(text)


async def test_the_page_speaks_the_deployments_languages(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    async with web_and_bot(emulator, bot_settings, running_deployment, Clock()) as (client, _):
        for lang in ("sv", "en", "fi", "ar"):
            body = await (await client.get(f"/lofte/{PROMISE}?lang={lang}")).text()
            frame = f'<html lang="{lang}" dir="rtl">' if lang == "ar" else f'<html lang="{lang}">'
            assert frame in body
            assert catalogs.text(lang, "web.public.commitments") in body
            # Links to the other languages, each named in its own language.
            for other in ("sv", "en", "fi", "ar"):
                assert f'<a href="/lofte/{PROMISE}?lang={other}" lang="{other}"' in body
                assert catalogs.text(other, "language.name") in body
        # The untranslated title is marked as Swedish.
        body = await (await client.get(f"/lofte/{PROMISE}?lang=en")).text()
        promise = next(p for p in running_deployment.promises if p.id == PROMISE)
        assert catalogs.text("en", "promise.in_swedish", text=promise.title) in body
        # An unknown language: the deployment's default.
        body = await (await client.get("/lofte?lang=xx")).text()
        assert '<html lang="sv">' in body
        # Without the bot's user name: no link and no QR code.
        assert "t.me" not in body
        assert "<svg" not in body


async def test_the_page_says_report_as_the_bot_does_never_a_police_report(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """ "Anmälan" reads as a report of a crime to the police, which this service is not: the
    page and its map speak of reports ("rapporter") like the bot; English never of
    complaints or crime reports."""
    clock = Clock()
    async with web_and_bot(emulator, bot_settings, running_deployment, clock) as (client, services):
        await seed(services)
        clock.advance(WEEK)
        # Jakobsberg has counts and a cell; STK has neither (no reports, no cells).
        for promise_id in (PROMISE, "stk-2021-2022"):
            body = await (await client.get(f"/lofte/{promise_id}")).text()
            cells = await (await client.get(f"/lofte/{promise_id}/karta.json")).text()
            for text in (body, cells):
                assert "anmäl" not in text.lower()
            english = await (await client.get(f"/lofte/{promise_id}?lang=en")).text()
            for word in ("complaint", "crime report"):
                assert word not in english.lower()
        said = await (await client.get(f"/lofte/{PROMISE}")).text()
        assert "Ni sa: rapporter och idéer under löftet" in said
        assert "4 rapporter" in await (await client.get(f"/lofte/{PROMISE}/karta.json")).text()
        empty = await (await client.get("/lofte/stk-2021-2022")).text()
        assert "Inga rapporter eller idéer ännu." in empty


def _stations(deployment: Deployment, promise_id: str) -> list[str]:
    return next(p for p in deployment.promises if p.id == promise_id).stations


async def test_the_bot_is_near_the_top_with_a_deep_link_and_where_to_call_instead(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """ "Berätta för oss" comes right after the summary, before the commitments: a deep link
    that starts a report at the promise's station (one per station when it has several,
    with the plain address as QR code) and, in every language, that this is no emergency or
    crime-tip line: 112 and 114 14."""
    settings = bot_settings.model_copy(update={"bot_username": "@trygg_test_bot"})
    async with web_and_bot(emulator, settings, running_deployment, Clock()) as (client, _):
        for lang in ("sv", "en", "fi", "ar"):
            t = catalogs.text
            body = await (await client.get(f"/lofte/{PROMISE}?lang={lang}")).text()
            block = body.index('id="bot-heading"')
            assert body.index('class="summary"') < block < body.index('class="facts"')
            assert block < body.index(t(lang, "web.public.commitments"))
            assert t(lang, "web.public.bot_title") in body
            urgent = (
                f'<p class="urgent">{t(lang, "poster.emergency")} {t(lang, "web.public.tips")}</p>'
            )
            assert urgent in body
            assert "112" in t(lang, "poster.emergency")
            assert "114 14" in t(lang, "web.public.tips")
            deep = "https://t.me/trygg_test_bot?start=s_jakobsberg"
            assert body.index(f'<a href="{deep}">') > block
            assert body.count("https://t.me/") == 2  # the link and its text
            listed = await (await client.get(f"/lofte?lang={lang}")).text()
            assert urgent in listed
            assert listed.index('id="bot-heading"') < listed.index('class="promises"')
        # Several stations: one deep link per station, named; the QR code is the plain address
        # (the bot then asks which station).
        body = await (await client.get("/lofte/stk-2021-2022")).text()
        for station_id in _stations(running_deployment, "stk-2021-2022"):
            name = running_deployment.station(station_id).name
            link = f"https://t.me/trygg_test_bot?start=s_{station_id}"
            assert f'<li><a href="{link}">{html.escape(name)}</a></li>' in body
        plain = segno.make("https://t.me/trygg_test_bot", error="m")
        assert plain.svg_inline(scale=4, omitsize=False) in body


async def test_with_no_bot_named_the_page_has_no_empty_tell_us_block(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    """Review: with TRYGG_BOT_USERNAME unset the page showed "Berätta för oss" with nothing
    under it to tell us through. Then there is no heading, text, link or QR code; the line
    on 112 and 114 14 stays, as its own paragraph."""
    settings = bot_settings.model_copy(update={"bot_username": ""})
    t = catalogs.text
    async with web_and_bot(emulator, settings, running_deployment, Clock()) as (client, _):
        for path in (f"/lofte/{PROMISE}", "/lofte", "/lofte/stk-2021-2022"):
            body = await (await client.get(path)).text()
            assert t("sv", "web.public.bot_title") not in body, path
            assert t("sv", "web.public.bot_text") not in body, path
            assert 'id="bot-heading"' not in body, path
            assert "https://t.me/" not in body, path
            assert 'class="qr"' not in body, path
            urgent = (
                f'<p class="urgent">{t("sv", "poster.emergency")} {t("sv", "web.public.tips")}</p>'
            )
            assert urgent in body, path


async def test_an_untranslated_summary_is_marked_swedish_and_left_to_right(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> None:
    async with web_and_bot(emulator, bot_settings, running_deployment, Clock()) as (client, _):
        arabic = await (await client.get(f"/lofte/{PROMISE}?lang=ar")).text()
        assert '<html lang="ar" dir="rtl">' in arabic
        assert '<p class="summary" lang="sv" dir="ltr">' in arabic
        swedish = await (await client.get(f"/lofte/{PROMISE}?lang=sv")).text()
        assert '<p class="summary">' in swedish


async def test_an_unknown_promise_is_not_found(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with web_and_bot(emulator, bot_settings, deployment, Clock()) as (client, _):
        page = await client.get("/lofte/no-such-promise?lang=en")
        assert page.status == 404
        assert catalogs.text("en", "web.public.not_found") in await page.text()
        cells = await client.get("/lofte/no-such-promise/karta.json")
        assert cells.status == 404
        # The bundled promises have ended: their outcome is shown.
        promise = next(p for p in deployment.promises if p.id == PROMISE)
        body = await (await client.get(f"/lofte/{PROMISE}")).text()
        assert catalogs.text("sv", "web.public.ended", end=promise.end) in body
        assert catalogs.text("sv", "promise.outcome", done=1, total=9) in body


# ------------------------------------------------------------------ the weekly snapshot
def backdate(settings: Settings, days: int) -> None:
    """Move every report's received time `days` back, as if sent then."""
    with sqlite3.connect(settings.database) as conn:
        for case_id, created in conn.execute("SELECT id, created_at FROM cases").fetchall():
            then = dt.datetime.fromisoformat(created) - dt.timedelta(days=days)
            conn.execute(
                "UPDATE cases SET created_at = ? WHERE id = ?",
                (then.isoformat(timespec="seconds"), case_id),
            )


def lighting_and_cell(body: str, deployment: Deployment, lighting: int, cell: int) -> bool:
    label = deployment.category_label("belysning", "sv")
    lat, lon = _centre_of(*CLUSTER[0])
    return (
        f"<td>{label}</td><td>{lighting}</td>" in body
        and f"<td>{lat:.4f}, {lon:.4f}</td><td>{cell}</td>" in body
    )


async def test_a_report_made_now_changes_nothing_until_next_week(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment
) -> None:
    clock = Clock()
    async with web_and_bot(emulator, bot_settings, running_deployment, clock) as (client, services):
        await seed(services)
        backdate(bot_settings, 14)  # received two weeks ago: in this week's snapshot
        page, cells = f"/lofte/{PROMISE}", f"/lofte/{PROMISE}/karta.json"
        before = await (await client.get(page)).text()
        assert lighting_and_cell(before, running_deployment, lighting=6, cell=4)
        assert [c["count"] for c in (await (await client.get(cells)).json())["cells"]] == [4]

        # Someone new reports lighting in the cluster's cell: the page and the map stay.
        resident = await services.residents.touch(CHAT_ID + 100, "sv")
        await report(services, resident.id, "belysning", *CLUSTER[0])
        after = await (await client.get(page)).text()
        assert after == before
        assert [c["count"] for c in (await (await client.get(cells)).json())["cells"]] == [4]

        # Next week's snapshot takes it.
        clock.advance(WEEK)
        later = await (await client.get(page)).text()
        assert lighting_and_cell(later, running_deployment, lighting=7, cell=5)
        assert [c["count"] for c in (await (await client.get(cells)).json())["cells"]] == [5]


def monday_after(clock: Clock, deployment: Deployment) -> tuple[dt.date, dt.datetime]:
    """The next Monday after the clock's time in the deployment's time zone, and its
    00:00 there in UTC."""
    zone = ZoneInfo(deployment.deployment.timezone)
    today = clock.now.astimezone(zone).date()
    monday = today + dt.timedelta(days=7 - today.weekday())
    return monday, dt.datetime.combine(monday, dt.time(), zone).astimezone(dt.UTC)


async def test_a_report_before_the_cut_off_counts_and_the_page_says_the_cut_off(
    emulator: Emulator, bot_settings: Settings, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    clock = Clock()
    async with web_and_bot(emulator, bot_settings, running_deployment, clock) as (client, services):
        await seed(services)
        day, monday = monday_after(clock, running_deployment)
        sunday = day - dt.timedelta(days=1)
        # A second before the week ends, this week's reports are not yet counted ...
        clock.now = monday - dt.timedelta(seconds=1)
        body = await (await client.get(f"/lofte/{PROMISE}")).text()
        assert catalogs.text("sv", "web.public.no_reports") in body
        assert catalogs.text("sv", "web.public.no_cells", minimum=MINIMUM) in body
        assert (await (await client.get(f"/lofte/{PROMISE}/karta.json")).json())["cells"] == []
        last_week = format_date(sunday - dt.timedelta(days=7), "full", locale="sv")
        assert catalogs.text("sv", "web.public.snapshot", date=last_week) in body
        # ... and from Monday 00:00 they are, with the Sunday before as the cut-off.
        clock.now = monday
        for lang in ("sv", "en", "fi", "ar"):
            body = await (await client.get(f"/lofte/{PROMISE}?lang={lang}")).text()
            through = format_date(sunday, "full", locale=lang)
            assert catalogs.text(lang, "web.public.snapshot", date=through) in body
        body = await (await client.get(f"/lofte/{PROMISE}")).text()
        assert lighting_and_cell(body, running_deployment, lighting=6, cell=4)
        assert "söndag" in catalogs.text(
            "sv", "web.public.snapshot", date=format_date(sunday, "full", locale="sv")
        )


async def test_the_snapshot_is_computed_once_a_week_off_the_event_loop(
    emulator: Emulator,
    bot_settings: Settings,
    running_deployment: Deployment,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    threads: list[threading.Thread] = []

    def recorded(places: list[Place]) -> list[Cell]:
        threads.append(threading.current_thread())
        return aggregate(places)

    monkeypatch.setattr("bot.services.public.aggregate", recorded)
    clock = Clock()
    async with web_and_bot(emulator, bot_settings, running_deployment, clock) as (client, services):
        assert client.app is not None
        public: PublicPromises = client.app[PUBLIC]
        calls: list[str] = []
        places, counts = public.repository.report_places, public.repository.reports_by_category

        async def counted_places(*args: object) -> list[Place]:
            calls.append("places")
            return await places(*args)  # type: ignore[arg-type]

        async def counted_counts(*args: object) -> dict[str, int]:
            calls.append("counts")
            return await counts(*args)  # type: ignore[arg-type]

        monkeypatch.setattr(public.repository, "report_places", counted_places)
        monkeypatch.setattr(public.repository, "reports_by_category", counted_counts)
        await seed(services)
        for _ in range(2):
            assert (await client.get(f"/lofte/{PROMISE}")).status == 200
            assert (await client.get(f"/lofte/{PROMISE}/karta.json")).status == 200
        assert calls == ["counts", "places"]
        clock.advance(WEEK)
        for _ in range(2):
            assert (await client.get(f"/lofte/{PROMISE}")).status == 200
        assert calls == ["counts", "places"] * 2
        assert len(threads) == 2
        assert threading.main_thread() not in threads


# ------------------------------------------------------------------ in a browser
@pytest.mark.asyncio(loop_scope="session")
async def test_the_public_page_in_a_browser_has_a_map_of_cells(
    page: Page, tmp_path: Path, running_deployment: Deployment, catalogs: Catalogs
) -> None:
    async with live_site(
        tmp_path,
        running_deployment,
        catalogs,
        bot_username="trygg_test_bot",
        web_tile_url="/static/no-tiles/{z}/{x}/{y}.png",
    ) as site:
        await seed(site.services)
        site.clock.advance(WEEK)
        for lang in ("sv", "ar"):
            await page.set_viewport_size({"width": 390, "height": 844})
            await page.goto(f"{site.url}/lofte/{PROMISE}?lang={lang}")
            await page.locator('#map[data-cells-shown="1"]').wait_for(state="attached")
            assert await page.locator("#map path.leaflet-interactive").count() == 1
            assert await page.get_attribute("html", "lang") == lang
            assert (await page.get_attribute("html", "dir")) == ("rtl" if lang == "ar" else None)
            heading = catalogs.text(lang, "web.public.commitments")
            assert await page.get_by_role("heading", name=heading).count() == 1
            assert_nothing_personal(await page.content())
            wide = await page.evaluate("() => document.documentElement.scrollWidth")
            assert wide <= 390  # no sideways scrolling on a phone
            assert await axe_violations(page) == []
