"""The dashboard's front page: the cases of the member's stations on a map and in a list.

(First slice: the member's stations; the map, list and filters come next.)
"""

from __future__ import annotations

from aiohttp import web

from bot.domain.access import station_scope
from bot.web.app import SERVICES, render, signed_in, signed_out, translator


async def home(request: web.Request) -> web.StreamResponse:
    signed = await signed_in(request)
    if signed is None:
        return signed_out(request)
    services = request.app[SERVICES]
    scope = station_scope(signed.member)
    stations = [s.name for s in services.deployment.stations if scope is None or s.id in scope]
    t = translator(services, signed.lang)
    return render(request, "home.html", signed=signed, title=t("web.home_title"), stations=stations)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", home)
