"""The bot's requests over aiohttp (bot.delivery.transport): what PTB's HTTPXRequest did,
against the emulator over HTTP, as against Telegram: texts and photos go, refusals and 429s
reach the caller as PTB's errors, a dead server and a slow one as NetworkError and TimedOut."""

from __future__ import annotations

import asyncio
import functools
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from telegram import Bot, InputFile
from telegram.error import Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.delivery.transport import AiohttpRequest
from bot.emulator import Emulator
from tests.images import jpeg
from tests.processes import free_port

USER = 4711


@pytest.fixture
async def bot(emulator: Emulator) -> AsyncIterator[Bot]:
    emulator.world.user(USER).started = True
    async with Bot(
        emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.file_url,
        request=AiohttpRequest(read_timeout=1.0),
    ) as bot:
        yield bot


async def test_a_text_with_buttons_and_a_photo_arrive(bot: Bot, emulator: Emulator) -> None:
    sent = await bot.send_message(USER, "<b>Hej</b> från Floda", parse_mode="HTML")
    photo = await bot.send_photo(USER, jpeg(64, 48), caption="Trappan")
    received = emulator.world.received(USER)
    assert [m.kind for m in received] == ["text", "photo"]
    assert received[0].text == "Hej från Floda"
    assert received[1].text == "Trappan"  # the caption
    assert photo.message_id > sent.message_id
    file = await bot.get_file(photo.photo[-1].file_id)
    assert (await file.download_as_bytearray())[:2] == b"\xff\xd8"  # a JPEG, downloaded


async def test_refusals_and_flood_control_are_ptbs_errors(bot: Bot, emulator: Emulator) -> None:
    world = emulator.world
    world.user(USER + 1).started = True
    world.user(USER + 1).blocked = True
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(USER + 1, "Hej")
    world.flood.enabled = True
    world.flood.per_chat_per_second = 1
    await bot.send_message(USER, "ett")
    with pytest.raises(RetryAfter):
        await bot.send_message(USER, "två")


async def test_a_dead_server_and_a_slow_one(bot: Bot, emulator: Emulator) -> None:
    emulator.world.latency = 2.0  # longer than the read timeout of 1 s
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "Hej")
    emulator.world.latency = 0.0
    dead = AiohttpRequest()  # nobody listens on its port
    await dead.initialize()
    try:
        with pytest.raises(NetworkError):
            await dead.post(f"http://127.0.0.1:{free_port()}/bot{emulator.token}/getMe")
    finally:
        await dead.shutdown()


async def test_a_file_name_with_swedish_letters_arrives_whole(emulator: Emulator) -> None:
    """An export named ärenden-2026.csv arrives under that name, as through HTTPXRequest."""
    emulator.world.user(USER).started = True
    names = []
    for request in (HTTPXRequest(), AiohttpRequest()):
        async with Bot(emulator.token, base_url=emulator.base_url, request=request) as bot:
            sent = await bot.send_document(USER, InputFile(b"a;b\n", filename="ärenden-2026.csv"))
            assert sent.document is not None
            names.append(sent.document.file_name)
    assert names == ["ärenden-2026.csv", "ärenden-2026.csv"]


async def _fake_proxy(seen: list[bytes]) -> asyncio.Server:
    """An HTTP proxy that answers every request itself: {"ok": true, "result": true}."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.readline())
        length = 0
        while (header := await reader.readline()) not in (b"\r\n", b""):
            if header.lower().startswith(b"content-length:"):
                length = int(header.split(b":")[1])
        await reader.readexactly(length)
        await _answer(writer)

    return await asyncio.start_server(serve, "127.0.0.1", 0)


async def _answer(writer: asyncio.StreamWriter) -> None:
    body = b'{"ok": true, "result": true}'
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\nConnection: close\r\n\r\n"
        + body
    )
    await writer.drain()
    writer.close()


PROXY_VARIABLES = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.mark.parametrize("variables", [("HTTP_PROXY", "http_proxy", "ALL_PROXY"), ("ALL_PROXY",)])
async def test_the_bots_sends_go_through_the_proxy_its_updates_use(
    monkeypatch: pytest.MonkeyPatch, variables: tuple[str, ...]
) -> None:
    """HTTPXRequest (getUpdates) honours HTTP(S)_PROXY and ALL_PROXY, as PTB documents; on a
    network that reaches Telegram only through a proxy, the sends must go through it too."""
    seen: list[bytes] = []
    server = await _fake_proxy(seen)
    port = server.sockets[0].getsockname()[1]
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    for name in variables:
        monkeypatch.setenv(name, f"http://127.0.0.1:{port}")
    url = "http://api.telegram.invalid/bot123:abc/getMe"  # reachable only through the proxy
    try:
        for request in (HTTPXRequest(), AiohttpRequest()):  # httpx: the reference
            await request.initialize()
            try:
                assert await request.post(url) is True
            finally:
                await request.shutdown()
    finally:
        server.close()
        await server.wait_closed()
    assert seen == [b"POST http://api.telegram.invalid/bot123:abc/getMe HTTP/1.1\r\n"] * 2


async def test_no_proxy_is_respected(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bytes] = []
    server = await _fake_proxy(seen)
    port = server.sockets[0].getsockname()[1]
    for name in (*PROXY_VARIABLES, "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", ".invalid")
    request = AiohttpRequest()
    await request.initialize()
    try:
        with pytest.raises(NetworkError):  # straight to the name, which does not resolve
            await request.post("http://api.telegram.invalid/bot123:abc/getMe")
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()
    assert seen == []


UPLOAD = 4 * 1024 * 1024  # far more than the socket buffers on both ends hold
TIMEOUT = 0.5  # read, write and connect: the old bound on the whole request was their sum


@pytest.fixture
def slow_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small socket buffers on the bot's side, as on a slow line: an upload's progress shows
    in small steps (with Linux's 4 MB on loopback, the first seconds show none at all)."""

    def small_buffer(address: Any) -> socket.socket:
        family, kind, proto, _, _ = address
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
        return sock

    connector = functools.partial(aiohttp.TCPConnector, socket_factory=small_buffer)
    monkeypatch.setattr(aiohttp, "TCPConnector", connector)


async def _upload_server(
    consume: Callable[[asyncio.StreamReader, int], Awaitable[None]],
) -> asyncio.Server:
    """A Bot API stand-in that takes an upload through `consume`, then answers ok."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        length = 0
        while (header := await reader.readline()) not in (b"\r\n", b""):
            if header.lower().startswith(b"content-length:"):
                length = int(header.split(b":")[1])
        assert length > UPLOAD
        await consume(reader, length)
        await _answer(writer)

    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)  # a slow line: small window
    sock.bind(("127.0.0.1", 0))
    return await asyncio.start_server(serve, sock=sock, limit=16 * 1024)


async def _upload(server: asyncio.Server) -> object:
    port = server.sockets[0].getsockname()[1]
    data = RequestData([RequestParameter.from_input("document", InputFile(b"x" * UPLOAD, "a.csv"))])
    request = AiohttpRequest()
    await request.initialize()
    try:
        async with asyncio.timeout(20):  # a hang fails the test
            return await request.post(
                f"http://127.0.0.1:{port}/bot123:abc/sendDocument",
                data,
                read_timeout=TIMEOUT,
                write_timeout=TIMEOUT,
                connect_timeout=TIMEOUT,
            )
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()


@pytest.mark.usefixtures("slow_line")
async def test_a_slow_upload_that_keeps_going_is_not_cut() -> None:
    """aiohttp has no write timeout; httpx's applies to each write. Bounding the whole request
    by read + write + connect cut a photo on a slow line at 30 s and an export at 310 s."""
    old_bound = 3 * TIMEOUT
    started = time.monotonic()

    async def slowly(reader: asyncio.StreamReader, length: int) -> None:
        # Well within the write timeout between reads, for longer than the old bound.
        while time.monotonic() - started < old_bound + 1:
            length -= len(await reader.read(4096))
            await asyncio.sleep(0.01)
        await reader.readexactly(length)

    assert await _upload(await _upload_server(slowly)) is True
    assert time.monotonic() - started > old_bound + 1


@pytest.mark.usefixtures("slow_line")
async def test_a_stalled_upload_times_out() -> None:
    stalled = asyncio.Event()

    async def stall(reader: asyncio.StreamReader, length: int) -> None:
        await stalled.wait()  # never reads the body

    started = time.monotonic()
    with pytest.raises(TimedOut):
        await _upload(await _upload_server(stall))
    assert time.monotonic() - started < 3 * TIMEOUT + 1
    stalled.set()
