"""The emulator's HTTP side: the Bot API as Telegram serves it, plus a control API.

Bot side:  POST /bot<token>/<method>   and   GET /file/bot<token>/<file_path>
Control:   /control/... (JSON), for a person or a program acting as Telegram users.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import logging
from typing import Any

import aiohttp
from aiohttp import BodyPartReader, web

from bot.emulator.api import METHODS, Params
from bot.emulator.state import JSON, ApiError, Message, World

log = logging.getLogger(__name__)

#: The token the emulator accepts unless told otherwise. It is not a Telegram secret.
EMULATOR_TOKEN = "7000000001:emulator-local-token"


def _envelope_error(exc: ApiError) -> web.Response:
    body: JSON = {"ok": False, "error_code": exc.status, "description": exc.description}
    if exc.parameters:
        body["parameters"] = exc.parameters
    return web.json_response(body, status=exc.status)


async def _read_params(request: web.Request) -> Params:
    """Decode a Bot API request body the way Telegram does (query, form, multipart or JSON)."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, tuple[str, bytes, str]] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values, files)
    ctype = request.content_type
    if ctype == "multipart/form-data":
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader) or part.name is None:
                continue
            data = await part.read(decode=True)
            if part.filename is not None:
                mime = part.headers.get("Content-Type", "application/octet-stream")
                files[part.name] = (part.filename, bytes(data), mime)
            else:
                values[part.name] = bytes(data).decode("utf-8")
    elif ctype == "application/json":
        try:
            body = await request.json()
        except json.JSONDecodeError:
            raise ApiError(400, "Bad Request: can't parse JSON") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: JSON body must be an object")
        values.update(body)
    else:
        form = await request.post()
        values.update({k: v for k, v in form.items() if isinstance(v, str)})
    return Params(values, files)


def _message_view(message: Message) -> JSON:
    """A flat view of a message for the control API and the shell."""
    return {
        "message_id": message.id,
        "outgoing": message.outgoing,
        "kind": message.kind,
        "text": message.text,
        "buttons": [
            [{"text": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
            for row in (message.data.get("reply_markup") or {}).get("inline_keyboard", [])
        ],
        "edits": message.edits,
        "data": message.data,
    }


class Emulator:
    """A local Bot API server on 127.0.0.1; `async with Emulator() as emu: emu.base_url`."""

    def __init__(
        self,
        *,
        token: str = EMULATOR_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        world: World | None = None,
    ) -> None:
        self.token = token
        self.host = host
        self.port = port
        self.world = world or World(bot_id=int(token.split(":", 1)[0]))
        self._runner: web.AppRunner | None = None
        self._pump: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ lifecycle
    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._file)
        app.router.add_post("/control/users/{user_id}/messages", self._control_send)
        app.router.add_post("/control/users/{user_id}/press", self._control_press)
        app.router.add_post("/control/users/{user_id}/block", self._control_block)
        app.router.add_post("/control/users/{user_id}/unblock", self._control_unblock)
        app.router.add_get("/control/chats", self._control_chats)
        app.router.add_get("/control/chats/{chat_id}/messages", self._control_messages)
        app.router.add_post("/control/flood", self._control_flood)
        app.router.add_get("/control/idle", self._control_idle)
        # For benchmarks: many users at once, a network delay, and measurements.
        app.router.add_post("/control/users", self._control_users)
        app.router.add_get("/control/chats/{chat_id}/wait", self._control_wait)
        app.router.add_post("/control/latency", self._control_latency)
        app.router.add_get("/control/stats", self._control_stats)
        app.router.add_post("/control/stats/reset", self._control_reset)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(
            self.make_app(), access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        sockets = self._runner.addresses
        self.port = int(sockets[0][1])
        self._pump = asyncio.get_running_loop().create_task(self._webhook_pump())
        log.info("Bot API emulator listening on http://%s:%d", self.host, self.port)

    async def _webhook_pump(self) -> None:
        """With a webhook set, POST each update to it in order, as Telegram does."""
        world = self.world
        async with aiohttp.ClientSession() as session:
            while True:
                if not world.webhook_url:
                    await asyncio.sleep(0.2)
                    continue
                update = await world.next_update(1.0)
                if update is None or not world.webhook_url:
                    continue
                headers = {"Content-Type": "application/json"}
                if world.webhook_secret:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = world.webhook_secret
                try:
                    async with session.post(
                        world.webhook_url, data=json.dumps(update), headers=headers
                    ) as response:
                        ok = response.status == 200
                except aiohttp.ClientError:
                    ok = False
                if ok:
                    world.delivered(update["update_id"])
                else:
                    await asyncio.sleep(0.2)  # Telegram retries later too

    async def stop(self) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
            self._pump = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to set as TRYGG_API_BASE_URL."""
        return f"{self.url}/bot"

    @property
    def file_url(self) -> str:
        """What to set as TRYGG_API_FILE_URL."""
        return f"{self.url}/file/bot"

    # ------------------------------------------------------------------ Bot API
    async def _bot_api(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _envelope_error(ApiError(401, "Unauthorized"))
        name = request.match_info["method"].lower()
        method = METHODS.get(name)
        if method is None:
            return _envelope_error(ApiError(404, "Not Found"))
        self.world.method_calls.append(name)
        if self.world.latency:
            await asyncio.sleep(self.world.latency)
        try:
            params = await _read_params(request)
            if await self.world.stalled(params.raw("chat_id"), params.raw("callback_query_id")):
                raise ConnectionResetError  # held (World.hold) until the bot was killed
            result = await method(self.world, params)
        except ApiError as exc:
            return _envelope_error(exc)
        except ConnectionResetError:
            # The bot went away before its request arrived whole (killed): nothing was done.
            log.debug("The bot disconnected during %s", name)
            return _envelope_error(ApiError(400, "Bad Request: connection lost"))
        except Exception:
            log.exception("Emulator failed in %s", name)
            return _envelope_error(ApiError(500, "Internal Server Error"))
        return web.json_response({"ok": True, "result": result})

    async def _file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.Response(status=401, text="Unauthorized")
        path = request.match_info["path"]
        for stored in self.world.files.values():
            if stored.path == path:
                return web.Response(
                    body=stored.content,
                    content_type=stored.mime_type or "application/octet-stream",
                )
        return web.Response(status=404, text="Not Found")

    # ------------------------------------------------------------------ control API
    @staticmethod
    async def _json(request: web.Request) -> JSON:
        try:
            body = await request.json() if request.can_read_body else {}
        except json.JSONDecodeError:
            raise web.HTTPBadRequest(text="body must be JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="body must be a JSON object")
        return body

    @staticmethod
    def _int(value: str) -> int:
        try:
            return int(value)
        except ValueError:
            raise web.HTTPBadRequest(text=f"not a number: {value!r}") from None

    async def _control_send(self, request: web.Request) -> web.Response:
        user_id = self._int(request.match_info["user_id"])
        body = await self._json(request)
        world = self.world
        world.user(
            user_id,
            body.get("first_name"),
            language_code=body.get("language_code", "sv"),
        )
        try:
            if "text" in body:
                message = world.send_text(user_id, str(body["text"]), chat_id=body.get("chat_id"))
            elif "location" in body:
                loc = body["location"]
                message = world.send_location(
                    user_id, float(loc["latitude"]), float(loc["longitude"])
                )
            elif "photo_base64" in body:
                content = base64.b64decode(body["photo_base64"], validate=True)
                message = world.send_photo(user_id, content, caption=body.get("caption"))
            else:
                raise web.HTTPBadRequest(text="give text, location or photo_base64")
        except (KeyError, TypeError, ValueError, binascii.Error, ApiError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response(_message_view(message))

    async def _control_press(self, request: web.Request) -> web.Response:
        user_id = self._int(request.match_info["user_id"])
        body = await self._json(request)
        try:
            query_id = self.world.press(
                user_id,
                int(body["message_id"]),
                body.get("data"),
                text=body.get("text"),
                chat_id=body.get("chat_id"),
                forge=bool(body.get("forge", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        return web.json_response({"callback_query_id": query_id})

    async def _control_block(self, request: web.Request) -> web.Response:
        self.world.block(self._int(request.match_info["user_id"]))
        return web.json_response({"ok": True})

    async def _control_unblock(self, request: web.Request) -> web.Response:
        self.world.unblock(self._int(request.match_info["user_id"]))
        return web.json_response({"ok": True})

    async def _control_chats(self, request: web.Request) -> web.Response:
        chats = [
            {"id": chat.id, "type": chat.type, "messages": len(chat.messages)}
            for chat in self.world.chats.values()
        ]
        return web.json_response(chats)

    async def _control_messages(self, request: web.Request) -> web.Response:
        chat_id = self._int(request.match_info["chat_id"])
        try:
            chat = self.world.chat(chat_id)
        except KeyError as exc:
            raise web.HTTPNotFound(text=str(exc)) from None
        views = [_message_view(m) for m in chat.messages if not m.deleted]
        return web.json_response(views)

    async def _control_flood(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        flood = self.world.flood
        flood.strict = bool(body.get("strict", False))  # Telegram's limits: see FloodPolicy
        flood.enabled = bool(body.get("enabled", not flood.strict))
        flood.paid_per_second = int(body.get("paid_per_second", flood.paid_per_second))
        flood.per_chat_per_second = int(body.get("per_chat_per_second", flood.per_chat_per_second))
        flood.global_per_second = int(body.get("global_per_second", flood.global_per_second))
        flood.group_per_minute = int(body.get("group_per_minute", flood.group_per_minute))
        return web.json_response({"ok": True})

    async def _control_idle(self, request: web.Request) -> web.Response:
        timeout = float(request.query.get("timeout", "10"))
        idle = await self.world.wait_idle(timeout=timeout)
        return web.json_response({"idle": idle})

    async def _control_users(self, request: web.Request) -> web.Response:
        """Create users by id; with "started": true they have written to the bot before."""
        body = await self._json(request)
        ids = body.get("ids")
        if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
            raise web.HTTPBadRequest(text="give ids: a list of user ids")
        for user_id in ids:
            user = self.world.user(user_id, language_code=body.get("language_code", "sv"))
            user.started = user.started or bool(body.get("started", False))
        return web.json_response({"ok": True, "users": len(ids)})

    async def _control_wait(self, request: web.Request) -> web.Response:
        """Long poll: until the bot has acted in the chat more than `after` times; then the
        count of its actions there and the chat's messages (as /messages gives them)."""
        chat_id = self._int(request.match_info["chat_id"])
        after = self._int(request.query.get("after", "0"))
        timeout = float(request.query.get("timeout", "10"))
        actions = await self.world.wait_actions(chat_id, after, timeout)
        chat = self.world.chats.get(chat_id)
        views = [_message_view(m) for m in chat.messages if not m.deleted] if chat else []
        return web.json_response({"actions": actions, "messages": views})

    async def _control_latency(self, request: web.Request) -> web.Response:
        body = await self._json(request)
        seconds = float(body.get("seconds", 0.0))
        if not 0 <= seconds <= 10:
            raise web.HTTPBadRequest(text="seconds must be between 0 and 10")
        self.world.latency = seconds
        return web.json_response({"ok": True})

    async def _control_stats(self, request: web.Request) -> web.Response:
        world = self.world
        measured = world.measurements
        return web.json_response(
            {
                "flood_errors": world.flood_errors,
                "bot_actions": world.bot_actions,
                "pending_updates": world.pending_updates,
                "sent": measured.sent,
                "edited": measured.edited,
                "first_sent": measured.first_sent,
                "last_sent": measured.last_sent,
                "reply_seconds": measured.reply_seconds,
            }
        )

    async def _control_reset(self, request: web.Request) -> web.Response:
        self.world.reset_measurements()
        return web.json_response({"ok": True})
