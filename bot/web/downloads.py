"""The dashboard's downloads: exports (for admins, exactly what `may_export` allows, through
the bot's export code and logged in the audit log as from the bot) and station posters (the
PDF `trygghetsbot poster` makes, for each of the member's stations).

An export is a POST with the form's CSRF token (it writes to the audit log); the file is
written to a temporary folder and streamed from there as an attachment.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from aiohttp import web

from bot.domain.access import station_scope
from bot.domain.exports import ALL, FORMATS, KINDS, ExportChoice
from bot.domain.stats import PERIODS
from bot.services.admin import ExportScope
from bot.services.desk import Refused
from bot.services.export import TooManyRows
from bot.services.poster import station_poster
from bot.web.app import (
    SERVICES,
    Signed,
    csrf_refused,
    message,
    pdf_attachment,
    posted_form,
    render,
    staff_page,
    translator,
)

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
    "geojson": "application/geo+json",
}
CHUNK = 256 * 1024


# ---------------------------------------------------------------------- export
def _scope(request: web.Request, signed: Signed) -> ExportScope | None:
    try:
        return request.app[SERVICES].admin.export_scope(signed.member)
    except Refused:
        return None


@staff_page
async def export_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    scope = _scope(request, signed)
    if scope is None:
        return message(request, 403, "web.export.title", "web.export.refused", signed=signed)
    services = request.app[SERVICES]
    stats = services.stats.in_language(signed.lang)
    t = translator(services, signed.lang)
    stations = [(s, stats.station_name(s)) for s in scope.stations]
    if scope.all_stations:
        stations.insert(0, (ALL, t("export.all_stations")))
    return render(
        request,
        "export.html",
        signed=signed,
        title=t("web.export.title"),
        stations=stations,
        kinds=[(ALL, t("export.kind_all"))] + [(k, t(f"export.kind_{k}")) for k in KINDS],
        periods=[(p, t(f"stats.period_{p}")) for p in PERIODS],
        formats=[(f, t(f"export.format_{f}")) for f in FORMATS],
    )


def chosen(fields: dict[str, str], scope: ExportScope) -> ExportChoice | None:
    """The form's choice when every field is one offered to this member; else None."""
    choice = ExportChoice(
        station=fields.get("station"),
        kind=fields.get("kind", ALL),
        period=fields.get("period"),
        fmt=fields.get("format"),
    )
    stations = set(scope.stations) | ({ALL} if scope.all_stations else set())
    if (
        choice.station not in stations
        or choice.kind not in (ALL, *KINDS)
        or choice.period not in PERIODS
        or choice.fmt not in FORMATS
    ):
        return None
    return choice


@staff_page
async def export_download(request: web.Request, signed: Signed) -> web.StreamResponse:
    """The export as a streamed attachment, logged as the bot logs it (via "web")."""
    scope = _scope(request, signed)
    if scope is None:
        return message(request, 403, "web.export.title", "web.export.refused", signed=signed)
    fields = await posted_form(request, signed)
    if fields is None:
        return csrf_refused(request, signed)
    choice = chosen(fields, scope)
    if choice is None:  # a station not offered looks like any other bad field
        return message(request, 400, "web.export.title", "web.export.bad_choice", signed=signed)
    services = request.app[SERVICES]
    with tempfile.TemporaryDirectory(prefix="trygg-web-export-") as directory:
        try:
            path, _ = await services.admin.export(
                signed.member,
                choice,
                Path(directory),
                services.stats.today(),
                via="web",
                max_bytes=None,
            )
        except Refused:
            return message(request, 403, "web.export.title", "web.export.refused", signed=signed)
        except TooManyRows as many:
            return message(
                request,
                400,
                "web.export.title",
                "export.xlsx_too_many",
                signed=signed,
                rows=many.rows,
            )
        except (OSError, RuntimeError):
            log.exception("Export from the web failed")
            return message(request, 500, "web.export.title", "export.failed", signed=signed)
        return await _stream(request, path, CONTENT_TYPES[choice.fmt or "csv"])


async def _stream(request: web.Request, path: Path, content_type: str) -> web.StreamResponse:
    size = (await asyncio.to_thread(path.stat)).st_size
    response = web.StreamResponse(
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{path.name}"',
            "Content-Length": str(size),
        }
    )
    await response.prepare(request)
    with path.open("rb") as handle:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            await response.write(chunk)
    await response.write_eof()
    return response


# ---------------------------------------------------------------------- posters
def _my_stations(request: web.Request, signed: Signed) -> list[tuple[str, str]]:
    """(id, name) of the member's stations (a national admin's: every station)."""
    scope = station_scope(signed.member)
    deployment = request.app[SERVICES].deployment
    return [(s.id, s.name) for s in deployment.stations if scope is None or s.id in scope]


@staff_page
async def posters_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    services = request.app[SERVICES]
    t = translator(services, signed.lang)
    return render(
        request,
        "posters.html",
        signed=signed,
        title=t("web.posters.title"),
        stations=_my_stations(request, signed),
        ready=bool(services.settings.bot_username),
    )


@staff_page
async def poster_download(request: web.Request, signed: Signed) -> web.StreamResponse:
    """A station's poster as a PDF; a station outside the member's own: 404 as if unknown."""
    services = request.app[SERVICES]
    station_id = request.match_info["station"]
    if station_id not in dict(_my_stations(request, signed)):
        return message(request, 404, "web.posters.title", "web.posters.unknown", signed=signed)
    username = services.settings.bot_username
    if not username:
        return message(request, 503, "web.posters.title", "web.posters.no_username", signed=signed)
    station = services.deployment.station(station_id)
    pdf = await asyncio.to_thread(
        station_poster, services.deployment, services.catalogs, station, username
    )
    return pdf_attachment(pdf, f"affisch-{station.id}.pdf")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/export", export_page)
    app.router.add_post("/export", export_download)
    app.router.add_get("/affischer", posters_page)
    app.router.add_get("/affischer/{station}.pdf", poster_download)
