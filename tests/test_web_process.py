"""Issue 20 item 1: the web pages in the bot's own process (TRYGG_WEB_WITH_BOT). The real
Application serves them over its own services on TRYGG_WEB_PORT: a /webb link from the
emulator signs in there, and stopping the bot stops them. A taken port stops `run` and
`webhook` with one line; the web pages and the Open311 API never share a port (review
finding 8). The shell serves them too."""

from __future__ import annotations

import asyncio
import io
import os
import re
from pathlib import Path

import aiohttp
import pytest

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.emulator.shell import run_shell
from bot.i18n import Catalogs
from bot.settings import Settings, SettingsError, load_settings
from tests.bots import in_process
from tests.processes import bot_env, free_port, read_until, start_bot, stop
from tests.web import POLIS_JKB, link_from_bot, staff_person

OFFICER_NAME = "Kommunpolis Järfälla (platshållare)"


async def signs_in(url: str, token: str) -> str:
    """Open the sign-in link on `url`, press its button, and return the front page."""
    # unsafe: the jar keeps cookies of an IP address such as 127.0.0.1
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(f"{url}/login/{token}") as page:
            assert page.status == 200
        async with http.post(f"{url}/login/{token}", allow_redirects=False) as posted:
            assert posted.status == 303, await posted.text()
        async with http.get(f"{url}/") as home:
            assert home.status == 200
            return await home.text()


async def refused(url: str) -> bool:
    """Whether nothing listens at `url` any more."""
    async with aiohttp.ClientSession() as http:
        try:
            async with http.get(f"{url}/"):
                return False
        except aiohttp.ClientConnectorError:
            return True


async def test_the_bot_serves_the_web_pages_and_stops_them_when_it_stops(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = bot_settings.model_copy(update={"web_port": port, "web_url": url})
    async with in_process(emulator, settings, deployment) as app:  # by default: no web pages
        assert await refused(url)
    with_web = settings.model_copy(update={"web_with_bot": True})
    async with in_process(emulator, with_web, deployment) as app:
        token = await link_from_bot(staff_person(emulator, POLIS_JKB, catalogs), url)
        home = await signs_in(url, token)
        assert f"Inloggad som {OFFICER_NAME}" in home
        assert app.bot_data.web_port == port
    assert await refused(url)


@pytest.mark.parametrize("command", ["run", "webhook"])
async def test_a_taken_web_port_stops_the_bot_with_one_line(
    emulator: Emulator, tmp_path: Path, command: str
) -> None:
    taken = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = taken.sockets[0].getsockname()[1]
    env = bot_env(
        emulator,
        tmp_path,
        TRYGG_LOG_LEVEL="INFO",
        TRYGG_CHECK_STAFF_CHATS="false",
        TRYGG_WEB_WITH_BOT="true",
        TRYGG_WEB_PORT=str(port),
        TRYGG_WEBHOOK_URL="https://trygghetsbot.example.org/telegram",
        TRYGG_WEBHOOK_SECRET="s3cret_token-123",
        TRYGG_WEBHOOK_PORT=str(free_port()),
    )
    async with taken:
        process = await start_bot(env, command)
        seen: list[str] = []
        ends = ("Cannot serve", "Trygghetsboten started")
        await read_until(
            process, seen, lambda lines: any(e in line for e in ends for line in lines[-1:])
        )
        if "Cannot serve" in seen[-1]:  # it ends by itself
            _, rest_bytes = await asyncio.wait_for(process.communicate(), 30)
            code, rest = process.returncode, rest_bytes.decode()
        else:
            code, rest = await stop(process)
    err = [*seen, *rest.splitlines()]
    assert err[-1] == f"Cannot serve the web pages on 127.0.0.1:{port}: Address already in use"
    assert code == 2
    assert sum("Cannot serve" in line for line in err) == 1
    assert not [line for line in err if "Traceback" in line]


def test_the_web_pages_and_the_open311_api_have_different_default_ports() -> None:
    settings = load_settings()
    assert settings.web_port != settings.open311_port
    assert (settings.open311_port, settings.web_port) == (8080, 8088)


#: Settings whose port the web pages would share, and the one line that refuses them.
CLASHES = [
    ({"TRYGG_WEB_PORT": "8080"}, "TRYGG_OPEN311_PORT (8080)"),
    ({"TRYGG_OPEN311_PORT": "8088"}, "TRYGG_OPEN311_PORT (8088)"),
    (
        {"TRYGG_WEB_PORT": "9000", "TRYGG_OPEN311_PORT": "9000", "TRYGG_WEB_LISTEN": "0.0.0.0"},
        "TRYGG_OPEN311_PORT (9000)",
    ),
    ({"TRYGG_WEB_WITH_BOT": "true", "TRYGG_METRICS_PORT": "8088"}, "TRYGG_METRICS_PORT (8088)"),
    (
        {
            "TRYGG_WEB_WITH_BOT": "true",
            "TRYGG_WEBHOOK_URL": "https://trygghetsbot.example.org/telegram",
            "TRYGG_WEBHOOK_PORT": "8088",
        },
        "TRYGG_WEBHOOK_PORT (8088)",
    ),
]

#: ... and settings that cannot clash: different addresses of one host, servers that never
#: run together, or 0 (any free port, each its own).
NO_CLASHES = [
    {"TRYGG_WEB_PORT": "9000", "TRYGG_OPEN311_PORT": "9000", "TRYGG_OPEN311_LISTEN": "::1"},
    {"TRYGG_METRICS_PORT": "8088"},  # the web pages on their own (`trygghetsbot web`)
    {"TRYGG_WEB_WITH_BOT": "true", "TRYGG_WEBHOOK_PORT": "8088"},  # `run`: no webhook
    {"TRYGG_WEB_PORT": "0", "TRYGG_OPEN311_PORT": "0"},
]


def test_a_port_shared_with_the_web_pages_is_refused_in_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variables, other in CLASHES:
        with monkeypatch.context() as env:
            for name, value in variables.items():
                env.setenv(name, value)
            with pytest.raises(SettingsError) as caught:
                load_settings()
        assert caught.value.lines == [
            f"Invalid setting TRYGG_WEB_PORT: Value error, is also {other}:"
            " give the web pages a port of their own"
        ], variables
    for variables in NO_CLASHES:
        with monkeypatch.context() as env:
            for name, value in variables.items():
                env.setenv(name, value)
            assert load_settings().web_port == int(variables.get("TRYGG_WEB_PORT", "8088"))


class Watched(io.StringIO):
    """The shell's output; `answered` is set once it holds `pattern` or `refusal`."""

    def __init__(self, pattern: str, refusal: str) -> None:
        super().__init__()
        self.pattern, self.refusal = re.compile(pattern), refusal
        self.answered = asyncio.Event()

    def write(self, text: str) -> int:
        written = super().write(text)
        if self.pattern.search(self.getvalue()) or self.refusal in self.getvalue():
            self.answered.set()
        return written


async def test_the_shell_serves_the_web_pages_and_webb_gives_a_working_link(
    deployment: Deployment, catalogs: Catalogs
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = load_settings(web_with_bot=True, web_port=port)
    out = Watched(re.escape(url) + r"/login/([A-Za-z0-9_-]+)", catalogs.text("sv", "web.no_url"))
    reading, writing = os.pipe()
    with os.fdopen(reading, encoding="utf-8") as stdin, os.fdopen(writing, "w") as feed:
        shell = asyncio.create_task(run_shell(settings, deployment, stdin=stdin, stdout=out))
        feed.write("/as kommunpolis\n/webb\n")
        feed.flush()
        await asyncio.wait_for(out.answered.wait(), 30)
        text = out.getvalue()
        assert f"Webbsidorna: {url}" in text
        found = re.search(re.escape(url) + r"/login/([A-Za-z0-9_-]+)", text)
        assert found, text
        assert f"Inloggad som {OFFICER_NAME}" in await signs_in(url, found.group(1))
        feed.write("/quit\n")
        feed.flush()
        await asyncio.wait_for(shell, 30)
    assert await refused(url)
