"""The dashboard's front page: the member's cases on a map and in a list, with filters.

`/` is the page: a GET form of filters (station, kind, category, status, period), the list
(first: the map's accessible alternative and all there is without JS) and the map beside it
(under it on a phone), drawn by static/dashboard.js with Leaflet. `/karta.json` gives the
map its cases for the same filters. Both show exactly the cases the member may open in the
bot (bot.services.dashboard).
"""

from __future__ import annotations

from urllib.parse import urlencode

from aiohttp import web
from markupsafe import Markup

from bot.domain.dashboard import DEFAULT_DAYS, MAP_LIMIT
from bot.domain.trygghet import Share
from bot.services.dashboard import BadFilter, Dashboard, Filters, Listing
from bot.services.desk import Refused
from bot.services.trygghet_text import Cells, TrygghetText
from bot.web.app import (
    CLOCK,
    SERVICES,
    SETTINGS,
    Signed,
    render,
    signed_in,
    staff_page,
    translator,
)

DASHBOARD = web.AppKey("dashboard", Dashboard)

#: Up to this many stations the dashboard shows each one's trygghet; more: a link.
TRYGGHET_STATIONS = 5


async def _trygghet(request: web.Request, signed: Signed) -> dict[str, object] | None:
    """The last complete month's share feeling safe at each of the member's stations (as
    on /statistik); None for whoever may not see statistics."""
    services = request.app[SERVICES]
    try:
        scope = services.admin.stats_scope(signed.member)
    except Refused:
        return None
    stations = services.admin.station_ids if scope is None else scope
    month = services.trygghet.last_complete()
    words = TrygghetText(services.deployment, services.catalogs, signed.lang)
    rows: list[tuple[str, Cells]] = []
    if len(stations) <= TRYGGHET_STATIONS:
        shares = await services.trygghet.by_station(stations, month)
        if shares:  # else one line says nobody answered
            rows = [(words.station_name(s), words.cells(shares.get(s, Share()))) for s in stations]
    return {"month": words.month(month), "many": len(stations) > TRYGGHET_STATIONS, "rows": rows}


def _form(request: web.Request) -> dict[str, str]:
    """The first value of each query field."""
    form: dict[str, str] = {}
    for key, value in request.query.items():
        form.setdefault(key, value)
    return form


def _filters(request: web.Request, signed: Signed) -> Filters:
    now = request.app[CLOCK]()
    return request.app[DASHBOARD].filters(signed.member, _form(request), now)


@staff_page
async def home(request: web.Request, signed: Signed) -> web.StreamResponse:
    dashboard = request.app[DASHBOARD]
    t = translator(request.app[SERVICES], signed.lang)
    settings = request.app[SETTINGS]
    listing: Listing | None = None
    problem: str | None = None
    query: dict[str, str] = {}
    try:
        filters = _filters(request, signed)
    except BadFilter:
        filters = dashboard.default_filters(request.app[CLOCK]())
        problem = t("web.dashboard.bad_filter")
    else:
        listing = await dashboard.listing(signed.member, filters, signed.lang)
        query = filters.query()

    def page_url(page: int) -> str:
        return "/?" + urlencode({**query, "page": str(page)})

    return render(
        request,
        "dashboard.html",
        200 if problem is None else 400,
        signed=signed,
        title=t("web.nav_cases"),  # the menu's name for this page
        choices=dashboard.choices(signed.member, signed.lang),
        tiles=settings.web_tile_url,
        attribution=settings.web_tile_attribution,
        filters=filters,
        problem=problem,
        listing=listing,
        data_url="/karta.json?" + urlencode(query),
        page_url=page_url,
        default_days=DEFAULT_DAYS,
        trygghet=await _trygghet(request, signed),
        html=Markup,  # for TrygghetText's lines: catalog HTML, its fields escaped
    )


async def map_data(request: web.Request) -> web.StreamResponse:
    """The map's cases for the page's filters, as JSON (same access and checks as `/`)."""
    signed = await signed_in(request)
    if signed is None:
        return web.json_response({"error": "signed out"}, status=401)
    t = translator(request.app[SERVICES], signed.lang)
    try:
        filters = _filters(request, signed)
    except BadFilter:
        return web.json_response({"error": str(t("web.dashboard.bad_filter"))}, status=400)
    shown, total = await request.app[DASHBOARD].points(signed.member, filters, signed.lang)
    cases = [
        {
            "reference": case.reference,
            "url": "/arende/" + case.reference,
            "station": case.station,
            "category": case.category,
            "status": case.status,
            "when": case.when,
            "text": case.text,
            "lat": case.lat,
            "lon": case.lon,
            "approximate": case.approximate,
        }
        for case in shown
        if case.lat is not None and case.lon is not None
    ]
    return web.json_response({"total": total, "limit": MAP_LIMIT, "cases": cases})


def add_routes(app: web.Application) -> None:
    services = app[SERVICES]
    app[DASHBOARD] = Dashboard.of(services.deployment, services.catalogs, services.db)
    app.router.add_get("/", home)
    app.router.add_get("/karta.json", map_data)
