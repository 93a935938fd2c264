"""The Open311 GeoReport v2 read API (`trygghetsbot api`): public case data in XML and JSON.

Paths under /open311/v2/, each as `.xml` (the spec's required format, the only one some
clients ask for) or `.json`: discovery, services, services/<code> (a service definition:
no service has attributes), requests and requests/<id>. The XML is the spec's: the same
dicts as the JSON written with ElementTree under the spec's elements (`services`/`service`,
`service_definition`, `service_requests`/`request`, `discovery` with `endpoints`/`endpoint`
and `formats`/`format`, `errors`/`error`), UTF-8 with the XML declaration, every text
escaped; characters XML 1.0 cannot hold are left out (bot.domain.text.xml_safe). Errors are
the spec's error body in the format the path asks for (JSON when it names neither).
`service_code` and `status` take comma separated lists; `jurisdiction_id` is accepted and
ignored. With an API key set, every request must carry `?api_key=<key>`, else 403.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.domain.deployment import Deployment
from bot.domain.open311 import (
    Open311Error,
    RequestRenderer,
    error_body,
    parse_request_query,
    service_definition,
    services,
)
from bot.domain.text import xml_safe
from bot.i18n import Catalogs
from bot.logs import redact_api_keys
from bot.settings import Settings
from storage import Database
from storage.open311 import Open311Repository

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this API last changed (discovery's changeset): bump it with the API.
CHANGESET = "2026-12-02T00:00:00+01:00"
#: The formats served, by path extension: their MIME types (discovery's `formats`).
FORMATS = {"xml": "text/xml", "json": "application/json"}
#: The spec's XML: the element of each item of a list, by the list's own element.
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def xml_document(root: str, data: object) -> bytes:
    """`data` (a JSON body) as the spec's XML document with root element `root`."""
    element = ET.Element(root)
    _fill(element, data)
    ET.indent(element)
    return XML_DECLARATION + ET.tostring(element, "unicode", short_empty_elements=False).encode()


def _fill(element: ET.Element, value: object) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(element, str(key)), item)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(element, XML_ITEMS[element.tag]), item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:  # None: an empty element, as the spec's examples
        element.text = xml_safe(str(value))


def _respond(fmt: str, root: str, data: object, status: int = 200) -> web.Response:
    if fmt == "xml":
        body = xml_document(root, data)
        return web.Response(body=body, status=status, content_type="text/xml", charset="utf-8")
    return web.json_response(data, status=status, dumps=_dumps)


def _error_format(request: web.Request) -> str:
    """The format an error is written in: the one the path asks for, else JSON."""
    fmt = request.match_info.get("format") or request.path.rpartition(".")[2]
    return fmt if fmt in FORMATS else "json"


def _error(request: web.Request, code: int, description: str) -> web.Response:
    return _respond(_error_format(request), "errors", error_body(code, description), code)


def _format(request: web.Request) -> str:
    fmt = request.match_info["format"]
    if fmt not in FORMATS:
        raise Open311Error(400, f"Unknown format .{fmt}: ask for .xml or .json")
    return fmt


def make_open311_app(
    deployment: Deployment,
    db: Database,
    catalogs: Catalogs,
    api_key: str | None = None,
) -> web.Application:
    """The aiohttp application serving the read API from `db`."""
    redact_api_keys()  # aiohttp quotes the start of a too-long request line in its error log
    repository = Open311Repository(db)
    renderer = RequestRenderer(deployment, catalogs.text)
    service_list = services(deployment, catalogs.text)
    service_codes = {str(service["service_code"]) for service in service_list}

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except Open311Error as exc:
            return _error(request, exc.code, exc.description)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _error(request, exc.status, exc.reason)
        except Exception:
            log.exception("Open311 request failed")
            return _error(request, 500, "Internal Server Error")

    @web.middleware
    async def key_check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if api_key is not None:
            given = request.query.get("api_key", "")
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                raise Open311Error(403, "A valid api_key is required")
        return await handler(request)

    async def discovery(request: web.Request) -> web.Response:
        fmt = _format(request)
        return _respond(
            fmt,
            "discovery",
            {
                "changeset": CHANGESET,
                "contact": deployment.privacy.contact,
                "key_service": "",
                "endpoints": [
                    {
                        "specification": SPECIFICATION,
                        "url": f"{request.scheme}://{request.host}{PREFIX}",
                        "changeset": CHANGESET,
                        "type": "production",
                        "formats": list(FORMATS.values()),
                    }
                ],
            },
        )

    async def service_index(request: web.Request) -> web.Response:
        return _respond(_format(request), "services", service_list)

    async def service_one(request: web.Request) -> web.Response:
        fmt = _format(request)
        code = request.match_info["code"]
        if code not in service_codes:
            raise Open311Error(404, f"No service {code}")
        return _respond(fmt, "service_definition", service_definition(code))

    async def request_index(request: web.Request) -> web.Response:
        fmt = _format(request)
        query = parse_request_query(request.query, deployment, dt.datetime.now(dt.UTC))
        found = [renderer.request(case) for case in await repository.find(query)]
        return _respond(fmt, "service_requests", found)

    async def request_one(request: web.Request) -> web.Response:
        fmt = _format(request)
        reference = request.match_info["id"]
        case = await repository.get(reference)
        if case is None:
            raise Open311Error(404, f"No service request {reference}")
        return _respond(fmt, "service_requests", [renderer.request(case)])

    app = web.Application(middlewares=[errors, key_check])
    app.router.add_get(PREFIX + "/discovery.{format}", discovery)
    app.router.add_get(PREFIX + "/services.{format}", service_index)
    app.router.add_get(PREFIX + "/services/{code}.{format:[a-z]+}", service_one)
    app.router.add_get(PREFIX + "/requests.{format}", request_index)
    app.router.add_get(PREFIX + "/requests/{id}.{format:[a-z]+}", request_one)
    return app


async def serve_open311(
    settings: Settings,
    deployment: Deployment,
    stop: asyncio.Event,
    bound: asyncio.Future[int] | None = None,
) -> None:
    """Serve the read API on settings.open311_listen/_port until `stop` is set."""
    key = settings.open311_api_key.get_secret_value() if settings.open311_api_key else None
    catalogs = Catalogs.load(deployment.deployment.languages)
    db = await Database.open(settings.database)
    try:
        runner = web.AppRunner(make_open311_app(deployment, db, catalogs, key), access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, settings.open311_listen, settings.open311_port)
            await site.start()
            port = int(runner.addresses[0][1])
            if bound is not None:
                bound.set_result(port)
            log.info(
                "Open311 API: listening on http://%s:%d%s/ (api key %s)",
                settings.open311_listen,
                port,
                PREFIX,
                "required" if key else "not required",
            )
            await stop.wait()
        finally:
            await runner.cleanup()
    finally:
        await db.close()
