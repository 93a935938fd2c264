"""What the web tests share: the bot in process with the web app over its services, staff who
get a sign-in link from /webb in the emulator, and signing in with aiohttp's client or with a
real browser (tests.browser).

`web_and_bot` serves the web app on a real local port (aiohttp's TestServer), so the same
site works for aiohttp's client and for Chromium. Time is a `Clock` the test moves, never a
sleep. Browser tests run on the session's event loop (see tests.browser): build everything
inside the test with `live_site`, which makes its own emulator, so nothing from a
function-loop fixture is used there.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from bot.web import create_web_app
from tests.bots import in_process, settings_for
from tests.people import Person

if TYPE_CHECKING:
    from playwright.async_api import Page

Client = TestClient[web.Request, web.Application]

# The bundled deployment's placeholder staff (bot/data/deployment.toml).
POLIS_JKB, ADMIN = 100000001, 100000009
#: The settings' `web_url` in the aiohttp client tests (the sign-in links point there).
WEB_URL = "http://127.0.0.1:8080"


class Clock:
    """The web app's time, moved by the test."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now += dt.timedelta(minutes=minutes)


@asynccontextmanager
async def web_and_bot(
    emulator: Emulator, settings: Settings, deployment: Deployment, clock: Clock
) -> AsyncIterator[tuple[Client, Services]]:
    """The bot in process and the web app over its services, with a test client. The
    settings' `web_url` should be the server's (see `live_site`) when links are followed."""
    async with in_process(emulator, settings, deployment) as app:
        services = app.bot_data.services
        assert services is not None
        async with TestClient(TestServer(create_web_app(services, settings, clock=clock))) as c:
            yield c, services


@dataclass
class Site:
    """A running bot and web site: `url` is the site's base (also the settings' web_url)."""

    url: str
    client: Client
    services: Services
    emulator: Emulator
    settings: Settings
    catalogs: Catalogs
    clock: Clock

    def person(self, user_id: int) -> Person:
        """A Telegram user of the emulator who has started the bot (staff or resident)."""
        return staff_person(self.emulator, user_id, self.catalogs)


@asynccontextmanager
async def live_site(
    folder: Path, deployment: Deployment, catalogs: Catalogs, **settings: object
) -> AsyncIterator[Site]:
    """A fresh emulator, the bot in process against it (database in `folder`) and the web
    app on a free local port, whose address is the settings' `web_url`; `settings`: more
    fields to set."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    clock = Clock()
    async with Emulator() as emulator:
        base = settings_for(emulator, folder)
        configured = base.model_copy(update={"web_url": url, **settings})
        async with in_process(emulator, configured, deployment) as app:
            services = app.bot_data.services
            assert services is not None
            server = TestServer(create_web_app(services, configured, clock=clock), port=port)
            async with TestClient(server) as client:
                yield Site(url, client, services, emulator, configured, catalogs, clock)


def _free_port() -> int:
    from tests.processes import free_port

    return free_port()


def staff_person(emulator: Emulator, user_id: int, catalogs: Catalogs) -> Person:
    """A Telegram user of the emulator who has started the bot."""
    person = Person(emulator.world, user_id, catalogs)
    emulator.world.users[user_id].started = True
    return person


async def link_from_bot(person: Person, web_url: str) -> str:
    """Send /webb; the token of the sign-in link in the answer."""
    answer = (await person.say("/webb"))[-1].text
    found = re.search(re.escape(web_url) + r"/login/([A-Za-z0-9_-]+)", answer)
    assert found, answer
    return found.group(1)


async def sign_in(client: Client, token: str) -> list[str]:
    """Open the link (a confirm form), press its button; the Set-Cookie headers."""
    page = await client.get(f"/login/{token}")
    assert page.status == 200
    assert f'<form method="post" action="/login/{token}">' in await page.text()
    posted = await client.post(f"/login/{token}", allow_redirects=False)
    assert posted.status == 303, await posted.text()
    assert posted.headers["Location"] == "/"
    return posted.headers.getall("Set-Cookie")


async def sign_in_as(client: Client, person: Person, web_url: str = WEB_URL) -> None:
    """Sign `person` in on `client` with a link from /webb (signing out whoever was)."""
    client.session.cookie_jar.clear()
    await sign_in(client, await link_from_bot(person, web_url))


async def as_member(client: Client, emulator: Emulator, user_id: int, catalogs: Catalogs) -> None:
    """Sign staff member `user_id` in on `client` (signing out whoever was)."""
    await sign_in_as(client, staff_person(emulator, user_id, catalogs))


async def browser_sign_in(page: Page, site: Site, user_id: int) -> None:
    """Sign `user_id` in in the browser: /webb in the emulator, open the link, press the
    button; the page then shows the dashboard."""
    token = await link_from_bot(site.person(user_id), site.url)
    await page.goto(f"{site.url}/login/{token}")
    await page.locator(f'form[action="/login/{token}"] button').click()
    await page.wait_for_url(f"{site.url}/")
