"""The public promise pages, open to anyone without signing in: /lofte lists the
deployment's promises, /lofte/{id} shows one (commitments with status and progress, the
latest updates, "ni sa, vi gjorde" counts, a map of report cells with a list beside it, and
a block near the top with the bot's link and QR code and where to call instead: 112, 114
14); /lofte/{id}/karta.json gives the map's cells to
static/public.js. Nothing personal: only what the deployment publishes and aggregated counts
(bot.services.public). The page speaks `?lang=` when it is one of the deployment's
languages, else the deployment's default."""

from __future__ import annotations

import datetime as dt

import segno
from aiohttp import web
from babel.dates import format_date
from markupsafe import Markup, escape

from bot.domain.deployment import Promise
from bot.domain.promises import Localized, title_in
from bot.domain.public_map import MINIMUM
from bot.i18n import Percent, written
from bot.services.public import PublicPromises, bot_links
from bot.services.trygghet_text import TrygghetText
from bot.web.app import CLOCK, SERVICES, SETTINGS, message, render, translator

PUBLIC = web.AppKey("public", PublicPromises)


def languages(request: web.Request) -> list[str]:
    """The deployment's languages the catalogs have, the default first."""
    services = request.app[SERVICES]
    default = services.deployment.deployment.default_language
    listed = [default, *services.deployment.deployment.languages]
    return [lang for lang in dict.fromkeys(listed) if lang in services.catalogs.languages]


def language(request: web.Request) -> str:
    asked = request.query.get("lang", "")
    offered = languages(request)
    return asked if asked in offered else offered[0]


def bot_url(request: web.Request) -> str | None:
    """The bot's address in Telegram; None when the settings do not name the bot."""
    name = request.app[SETTINGS].bot_username.removeprefix("@")
    return f"https://t.me/{name}" if name else None


def _qr(url: str | None) -> Markup | None:
    if url is None:
        return None
    # The URL is the settings' (a checked user name): segno's SVG holds nothing else.
    return Markup(segno.make(url, error="m").svg_inline(scale=4, omitsize=False))


def shown(request: web.Request, lang: str, value: Localized) -> Markup:
    """A promise's text as HTML: the Swedish marked "(på svenska)" when not translated."""
    if value.swedish:
        return translator(request.app[SERVICES], lang)("promise.in_swedish", text=value.text)
    return escape(value.text)


def _through(day: dt.date | None, lang: str) -> str | None:
    """The snapshot's last day with its weekday, as written in `lang` ('söndag 29 november
    2026'); None when there is no snapshot yet."""
    return None if day is None else format_date(day, "full", locale=lang)


def _switches(request: web.Request, lang: str) -> list[tuple[str, str, str, bool]]:
    """(language, its own name, link, current) for each of the deployment's languages."""
    services = request.app[SERVICES]
    return [
        (
            other,
            services.text(other, "language.name"),
            f"{request.path}?lang={other}",
            other == lang,
        )
        for other in languages(request)
    ]


def _frame(request: web.Request, lang: str, promise: Promise | None = None) -> dict[str, object]:
    """The frame's languages and the bot block: the links into the bot (one per station of
    `promise`, else the plain address) and a QR code of the one link, or of the plain address
    when there are several (the bot then asks for the station)."""
    links = bot_links(request.app[SERVICES].deployment, request.app[SETTINGS].bot_username, promise)
    return {
        "languages": _switches(request, lang),
        "links": links,
        "qr": _qr(links[0].url if len(links) == 1 else bot_url(request)),
        "query": f"?lang={lang}",
    }


async def promise_list(request: web.Request) -> web.Response:
    lang = language(request)
    t = translator(request.app[SERVICES], lang)
    public = request.app[PUBLIC]
    return render(
        request,
        "public_list.html",
        lang=lang,
        title=t("web.public.list_title"),
        promises=[
            (p.id, shown(request, lang, title_in(p, lang)), p.start, p.end)
            for p in public.promises()
        ],
        frame=_frame(request, lang),
    )


def _not_found(request: web.Request, lang: str) -> web.Response:
    return message(request, 404, "web.public.not_found_title", "web.public.not_found", lang=lang)


async def promise_page(request: web.Request) -> web.Response:
    lang = language(request)
    public = request.app[PUBLIC]
    promise = public.promise(request.match_info["promise_id"])
    if promise is None:
        return _not_found(request, lang)
    page = await public.page(promise, lang)
    settings = request.app[SETTINGS]
    services = request.app[SERVICES]
    words = TrygghetText(services.deployment, services.catalogs, lang)
    # Catalog HTML whose fields the Catalogs escaped.
    trygghet = [Markup(line) for line in words.public(page.trygghet)] if page.trygghet else []
    return render(
        request,
        "public_promise.html",
        lang=lang,
        title=shown(request, lang, page.title),
        page=page,
        through=_through(page.through, lang),
        trygghet=trygghet,
        shown=lambda value: shown(request, lang, value),
        minimum=MINIMUM,
        percent=lambda value: written(Percent(value), lang),
        tile_url=settings.web_tile_url,
        tile_attribution=settings.web_tile_attribution,
        frame=_frame(request, lang, promise),
    )


async def promise_cells(request: web.Request) -> web.Response:
    lang = language(request)
    public = request.app[PUBLIC]
    promise = public.promise(request.match_info["promise_id"])
    if promise is None:
        return web.json_response({"error": "not found"}, status=404)
    t = translator(request.app[SERVICES], lang)
    cells = [
        {
            "lat": c.lat,
            "lon": c.lon,
            "count": c.count,
            "label": str(t("web.public.cell_count", count=c.count)),
        }
        for c in await public.cells(promise)
    ]
    return web.json_response({"minimum": MINIMUM, "cells": cells})


def add_routes(app: web.Application) -> None:
    services = app[SERVICES]
    app[PUBLIC] = PublicPromises.of(
        services.deployment, services.updates, services.db, app[CLOCK], services.trygghet
    )
    app.router.add_get("/lofte", promise_list)
    app.router.add_get("/lofte/{promise_id}", promise_page)
    app.router.add_get("/lofte/{promise_id}/karta.json", promise_cells)
