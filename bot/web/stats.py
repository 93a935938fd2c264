"""The dashboard's statistics: the same report as /statistik in the bot (bot.services.stats),
for the member's stations, with a period chosen in a GET form; the weekly chart is the bot's
PNG, served from its own route, with the weekly numbers as a table beside it (its text
alternative)."""

from __future__ import annotations

import asyncio

from aiohttp import web
from markupsafe import Markup

from bot.domain.stats import PERIODS, StatsReport, named_period
from bot.services.desk import Refused
from bot.services.stats import Statistics
from bot.services.trygghet_text import TrygghetText
from bot.web.app import SERVICES, Signed, message, render, staff_page, translator

DEFAULT_PERIOD = "30d"


async def _report(
    request: web.Request, signed: Signed
) -> tuple[Statistics, StatsReport, str, list[str] | None] | web.Response:
    """The member's report for the period asked, with the period's name and the member's
    stations (None: all), or a page that says why not."""
    services = request.app[SERVICES]
    try:
        scope = services.admin.stats_scope(signed.member)
    except Refused:
        return message(request, 403, "web.stats.title", "web.stats.refused", signed=signed)
    name = request.query.get("period", DEFAULT_PERIOD)
    if name not in PERIODS:
        return message(request, 400, "web.stats.title", "web.stats.bad_period", signed=signed)
    stats = services.stats.in_language(signed.lang)
    report = await stats.report(named_period(name, stats.today()), scope)
    return stats, report, name, scope


@staff_page
async def stats_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    found = await _report(request, signed)
    if isinstance(found, web.Response):
        return found
    stats, report, name, scope = found
    t = translator(request.app[SERVICES], signed.lang)
    waits = [
        Markup(stats.wait_line("stats.to_ack", report.to_acknowledge)),  # catalog HTML
        Markup(stats.wait_line("stats.to_resolve", report.to_resolve)),
    ]
    categories = list(report.per_week)
    services = request.app[SERVICES]
    overview = await services.trygghet.overview(scope)
    words = TrygghetText(services.deployment, services.catalogs, signed.lang)
    return render(
        request,
        "stats.html",
        signed=signed,
        title=t("web.stats.title"),
        periods=[(p, t(f"stats.period_{p}")) for p in PERIODS],
        chosen=name,
        period_label=stats.period_label(report.period),
        total=report.total,
        stations=[stats.station_name(s) for s in report.stations],
        rows=stats.table(report),
        waits=waits,
        weeks=[
            (week, [report.per_week[c][i] for c in categories])
            for i, week in enumerate(report.weeks)
        ],
        categories=[stats.category_name(c) for c in categories],
        answered=overview.answered,
        trygghet=words.stations(overview),
        promises=[words.promise(result) for result in overview.promises],
        pooled_note=words.pooled_note(),
        html=Markup,  # for TrygghetText's lines: catalog HTML, its fields escaped
    )


@staff_page
async def chart(request: web.Request, signed: Signed) -> web.StreamResponse:
    """The weekly chart of the same report as a PNG (the bot's chart)."""
    found = await _report(request, signed)
    if isinstance(found, web.Response):
        return found
    stats, report, _, _ = found
    png = await asyncio.to_thread(stats.chart, report)  # ~0.1 s of drawing: off the loop
    return web.Response(body=png, content_type="image/png")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/statistik", stats_page)
    app.router.add_get("/statistik/diagram.png", chart)
