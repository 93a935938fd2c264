"""The monthly lägesbild as a page (/lagesbild) and as its PDF (/lagesbild.pdf): the same data
as the PDF admins get on the first working day (bot.services.lagesbild), for an area and a
month chosen in a GET form. Staff who may see statistics (bot.domain.access.may_see_stats) may
choose each of their stations, and each kommun among them (only their stations in it; every
station for a national admin); any other area or month gets the same one-line 404."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from aiohttp import web
from markupsafe import Markup

from bot.domain.trygghet import add_months, month_of
from bot.services import Services
from bot.services.desk import Refused
from bot.services.lagesbild import Lagesbild, Scope, station_scope
from bot.services.lagesbild_send import file_slug, kommun_areas
from bot.services.lagesbild_text import LagesbildText
from bot.services.trygghet_text import TrygghetText
from bot.web.app import (
    CLOCK,
    SERVICES,
    Signed,
    message,
    pdf_attachment,
    render,
    staff_page,
    translator,
)

#: The months offered: this one and the twelve before it (the default: last month).
MONTHS_BACK = 12


@dataclass(frozen=True)
class Choice:
    """What the member may choose: (value, label) of each area and month, the chosen ones."""

    areas: list[tuple[str, str]]
    months: list[tuple[str, str]]
    area: str
    month: str
    scope: Scope


def _areas(
    services: Services, stations: list[str] | None, t: Callable[..., Markup]
) -> dict[str, tuple[str, Scope]]:
    """value -> (label, scope) of each area the member may choose."""
    found: dict[str, tuple[str, Scope]] = {}
    for kommun in kommun_areas(services.deployment, stations):
        found[f"kommun:{kommun.name}"] = (
            str(t("web.lagesbild.kommun", kommun=kommun.name)),
            kommun,
        )
        for station_id in kommun.stations:
            scope = station_scope(services.deployment, station_id)
            if scope is not None:
                found[f"station:{station_id}"] = (scope.name, scope)
    return found


def _choice(request: web.Request, signed: Signed) -> Choice | web.Response:
    """The area and month asked for, if this member may see them (else the page that says
    why not: the same 404 for anything not theirs)."""
    services = request.app[SERVICES]
    try:
        stations = services.admin.stats_scope(signed.member)
    except Refused:
        return message(request, 403, "web.lagesbild.title", "web.lagesbild.refused", signed=signed)
    t = translator(services, signed.lang)
    words = TrygghetText(services.deployment, services.catalogs, signed.lang)
    areas = _areas(services, stations, t)
    zone = ZoneInfo(services.deployment.deployment.timezone)
    this = month_of(request.app[CLOCK]().astimezone(zone).date())
    months = [add_months(this, -n) for n in range(MONTHS_BACK + 1)]
    area = request.query.get("area", next(iter(areas), ""))
    month = request.query.get("month", months[1])
    if area not in areas or month not in months:
        return message(
            request, 404, "web.lagesbild.title", "web.lagesbild.not_found", signed=signed
        )
    return Choice(
        [(value, label) for value, (label, _) in areas.items()],
        [(m, words.month(m)) for m in months],
        area,
        month,
        areas[area][1],
    )


async def _report(request: web.Request, signed: Signed) -> tuple[Choice, Lagesbild] | web.Response:
    """The chosen area and month with their lägesbild (else the page that says why not)."""
    found = _choice(request, signed)
    if isinstance(found, web.Response):
        return found
    return found, await request.app[SERVICES].lagesbild.build(found.scope, found.month)


@staff_page
async def page(request: web.Request, signed: Signed) -> web.StreamResponse:
    built = await _report(request, signed)
    if isinstance(built, web.Response):
        return built
    found, report = built
    services = request.app[SERVICES]
    t = translator(services, signed.lang)
    words = TrygghetText(services.deployment, services.catalogs, signed.lang)
    return render(
        request,
        "lagesbild.html",
        signed=signed,
        title=t("web.lagesbild.title"),
        choice=found,
        heading=t("web.lagesbild.heading", area=found.scope.name, month=words.month(found.month)),
        pdf=f"/lagesbild.pdf?{_query(found)}",
        r=_view(services, report, signed.lang),
        html=Markup,  # for TrygghetText's lines: catalog HTML, its fields escaped
    )


def _query(choice: Choice) -> str:
    from urllib.parse import urlencode

    return urlencode({"area": choice.area, "month": choice.month})


def _view(services: Services, report: Lagesbild, lang: str) -> dict[str, object]:
    """The report's numbers as the template shows them (names and numbers in `lang`)."""
    stats = services.stats.in_language(lang)
    t = translator(services, lang)

    labels = {c: stats.category_name(c) for c in report.categories}
    text = LagesbildText(services.catalogs, lang, labels)
    words = TrygghetText(services.deployment, services.catalogs, lang)
    # The response times as the PDF words them (median and count; no p90 in either).
    responses = [
        (a.name, text.waited(a.to_acknowledge), text.waited(a.to_resolve)) for a in report.response
    ]
    responses.append(
        (
            str(t("web.lagesbild.all_actors")),
            text.waited(report.response_all.to_acknowledge),
            text.waited(report.response_all.to_resolve),
        )
    )
    categories = list(report.per_week)
    trygghet = report.trygghet
    previous = add_months(report.month, -1)
    return {
        "analysis": text.analysis(report),
        "open": text.open_line(report),
        "total": report.total,
        "categories": [
            (stats.category_name(c), n, report.previous.get(c, 0))
            for c, n in report.categories.items()
        ]
        + [
            (stats.category_name(c), 0, n)
            for c, n in report.previous.items()
            if c not in report.categories
        ],
        "week_heads": [stats.category_name(c) for c in categories],
        "weeks": [
            (w, [report.per_week[c][i] for c in categories]) for i, w in enumerate(report.weeks)
        ],
        "cells": [
            (
                f"{c.lat:.4f}, {c.lon:.4f}",
                c.count if c.count is not None else str(t("web.lagesbild.few")),
            )
            for c in report.cells
        ],
        "unplaced": report.unplaced,
        "times": [(str(t(f"times.{k}")), n) for k, n in report.times.items()],
        "blocks": [(f"{a:02d}–{b:02d}", n) for a, b, n in report.blocks],
        "responses": responses,
        "promises": [
            (p.title, f"{text.day(p.start)} – {text.day(p.end)}", f"{p.progress} %")
            for p in report.promises
        ],
        "commitments": [
            (c.title, c.actor, str(t(f"commitment.{c.status}")), f"{c.progress} %")
            for c in report.commitments
        ],
        "trygghet": [
            (
                str(t("web.lagesbild.this_month_row", month=words.month(report.month))),
                words.cells(trygghet.month) if trygghet.ended else None,
            ),
            (
                str(t("web.lagesbild.previous_row", month=words.month(previous))),
                words.cells(trygghet.previous),
            ),
        ],
        "not_ended": text.t("trygghet_not_ended"),
        "pooled_note": text.t("pooled_note") if text.pooled(report) else "",
        "during": [
            (
                p.title,
                [(words.month(m), words.cells(s)) for m, s in p.trend],
                words.months(p.comparison.before_months),
                words.cells(p.comparison.before),
                words.months(p.comparison.during_months),
                words.cells(p.comparison.during),
            )
            for p in trygghet.promises
        ],
        "said": [(stats.category_name(c), n) for c, n in report.categories.items()],
        "updates": [(text.day(u.day), u.commitment, u.text) for u in report.updates],
    }


@staff_page
async def pdf(request: web.Request, signed: Signed) -> web.StreamResponse:
    """The same lägesbild as its PDF, in the member's language."""
    built = await _report(request, signed)
    if isinstance(built, web.Response):
        return built
    found, report = built
    content = await asyncio.to_thread(request.app[SERVICES].lagesbild.pdf, report, signed.lang)
    return pdf_attachment(content, f"lagesbild-{file_slug(found.scope.name)}-{found.month}.pdf")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/lagesbild", page)
    app.router.add_get("/lagesbild.pdf", pdf)
