"""The Open311 GeoReport v2 read API (`trygghetsbot api`): public case data as JSON.

Paths under /open311/v2/: discovery.json, services.json, requests.json and
requests/<id>.json. Only JSON is served; `jurisdiction_id` is accepted and ignored. With an
API key set, every request must carry `?api_key=<key>`, else 403.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.domain.deployment import Deployment
from bot.domain.open311 import (
    Open311Error,
    RequestRenderer,
    error_body,
    parse_request_query,
    services,
)
from bot.i18n import Catalogs
from bot.logs import redact_api_keys
from bot.settings import Settings
from storage import Database
from storage.open311 import Open311Repository

log = logging.getLogger(__name__)

PREFIX = "/open311/v2"
SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
#: When this API last changed (discovery's changeset): bump it with the API.
CHANGESET = "2026-11-22T00:00:00+01:00"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_dumps = functools.partial(json.dumps, ensure_ascii=False)


def _json(data: object, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _error(code: int, description: str) -> web.Response:
    return _json(error_body(code, description), status=code)


def _only_json(request: web.Request) -> None:
    if request.match_info.get("format") != "json":
        raise Open311Error(400, "Only JSON is supported: ask for .json")


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

    @web.middleware
    async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except Open311Error as exc:
            return _error(exc.code, exc.description)
        except web.HTTPException as exc:
            if exc.status < 400:
                raise
            return _error(exc.status, exc.reason)
        except Exception:
            log.exception("Open311 request failed")
            return _error(500, "Internal Server Error")

    @web.middleware
    async def key_check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if api_key is not None:
            given = request.query.get("api_key", "")
            if not hmac.compare_digest(given.encode(), api_key.encode()):
                raise Open311Error(403, "A valid api_key is required")
        return await handler(request)

    async def discovery(request: web.Request) -> web.Response:
        _only_json(request)
        return _json(
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
                        "formats": ["application/json"],
                    }
                ],
            }
        )

    async def service_index(request: web.Request) -> web.Response:
        _only_json(request)
        return _json(service_list)

    async def request_index(request: web.Request) -> web.Response:
        _only_json(request)
        query = parse_request_query(request.query, deployment, dt.datetime.now(dt.UTC))
        return _json([renderer.request(case) for case in await repository.find(query)])

    async def request_one(request: web.Request) -> web.Response:
        _only_json(request)
        reference = request.match_info["id"]
        case = await repository.get(reference)
        if case is None:
            raise Open311Error(404, f"No service request {reference}")
        return _json([renderer.request(case)])

    app = web.Application(middlewares=[errors, key_check])
    app.router.add_get(PREFIX + "/discovery.{format}", discovery)
    app.router.add_get(PREFIX + "/services.{format}", service_index)
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
