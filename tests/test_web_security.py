"""Issue 20 item 2, hardening the web pages: a POST from another site is refused on every page
(login CSRF included), every response (pages, aiohttp's own 404 and 405, a crash, static files)
carries the security headers with a content policy and HSTS behind https, an error is a
one-line page in the deployment's language without a traceback, and a staff name is escaped
once. The real bot in process against the emulator, the real web app through aiohttp's
client."""

from __future__ import annotations

import re

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.settings import Settings
from bot.web import create_web_app
from tests.bots import in_process
from tests.people import db_rows
from tests.web import Clock, sign_in, staff_person, web_and_bot
from tests.web import link_from_bot as link_for

WEB_URL = "http://127.0.0.1:8080"
POLIS_JKB = 100000001
POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self';"
    " img-src 'self' data: https://tile.openstreetmap.org; connect-src 'self';"
    " form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def hardened(response: object, https: bool = False) -> None:
    """The headers every response carries."""
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["Content-Security-Policy"] == POLICY
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    if https:
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
    else:
        assert "Strict-Transport-Security" not in headers


async def test_a_post_from_another_site_is_refused(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Login CSRF: another site's page must not sign a browser in to the attacker's account
    with the attacker's link, nor post any other form."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    refused_text = catalogs.text("sv", "web.csrf")
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, _):
        token = await link_for(officer, WEB_URL)
        for headers in (
            {"Origin": "https://evil.example"},
            {"Origin": "null"},
            {"Origin": "http://127.0.0.1:8080.evil.example"},
            {"Sec-Fetch-Site": "cross-site"},
            {"Sec-Fetch-Site": "same-site"},
            {"Origin": WEB_URL, "Sec-Fetch-Site": "cross-site"},
        ):
            posted = await client.post(f"/login/{token}", headers=headers, allow_redirects=False)
            assert posted.status == 403, headers
            assert refused_text in await posted.text()
            assert "Set-Cookie" not in posted.headers
            hardened(posted)
        assert db_rows(settings, "SELECT * FROM web_sessions") == []
        # TRYGG_WEB_URL's origin passes the check (then the forged link is what is refused).
        forged = await client.post("/login/x", headers={"Origin": WEB_URL}, allow_redirects=False)
        assert forged.status == 403
        assert catalogs.text("sv", "web.link_invalid") in await forged.text()
        # The link was not used up; the site's own origin (or none, or same-origin) signs in.
        # (Chromium's own form under Referrer-Policy no-referrer: Origin null, same-origin.)
        own = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
        posted = await client.post(f"/login/{token}", headers=own, allow_redirects=False)
        assert posted.status == 303

        # Any other form too: a cross-site sign-out with the right CSRF token is refused.
        body = await (await client.get("/")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', body)
        assert csrf
        out = await client.post(
            "/logout", data={"csrf": csrf.group(1)}, headers={"Origin": "https://evil.example"}
        )
        assert out.status == 403
        assert (await client.get("/")).status == 200
        # The request's own host counts as the site too (TRYGG_WEB_URL may name a proxy).
        own_host = str(client.make_url("/")).rstrip("/")
        out = await client.post(
            "/logout", data={"csrf": csrf.group(1)}, headers={"Origin": own_host}
        )
        assert out.status == 200
        assert (await client.get("/")).status == 401


async def test_every_response_carries_the_security_headers(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Pages, static files, aiohttp's own 404 and 405: the content policy (images from the
    map's tile server too) and the other headers; errors are a one-line page in Swedish."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, _):
        await sign_in(client, await link_for(officer, WEB_URL))
        for path in ("/", "/static/site.css", "/static/no-such-file.css", f"/login/{'x' * 43}"):
            hardened(await client.get(path))
        for path, status, key in (
            ("/no-such-page", 404, "web.not_found"),
            ("/logout", 405, "web.not_allowed"),
        ):
            answer = await client.get(path)
            assert answer.status == status, path
            hardened(answer)
            body = await answer.text()
            assert '<html lang="sv">' in body
            assert f"<p>{catalogs.text('sv', key)}</p>" in body
            assert catalogs.text("sv", "web.error_title") in body
        redirect = await client.post(
            f"/login/{await link_for(officer, WEB_URL)}", allow_redirects=False
        )
        assert redirect.status == 303
        hardened(redirect)


async def test_behind_https_the_browser_is_told_to_keep_to_https(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    settings = bot_settings.model_copy(
        update={
            "web_url": "https://trygg.example.org",
            "web_tile_url": "https://{s}.tiles.example.org/{z}/{x}/{y}.png",
        }
    )
    async with web_and_bot(emulator, settings, deployment, Clock()) as (client, _):
        for path in ("/", "/no-such-page"):
            answer = await client.get(path)
            assert answer.headers["Strict-Transport-Security"] == "max-age=31536000"
            policy = answer.headers["Content-Security-Policy"]
            assert "img-src 'self' data: https://*.tiles.example.org;" in policy
            assert "tile.openstreetmap.org" not in policy


async def test_a_crash_is_a_page_without_a_traceback(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    async def crash(request: web.Request) -> web.Response:
        raise RuntimeError("secret internals")

    async with in_process(emulator, bot_settings, deployment) as app:
        services = app.bot_data.services
        assert services is not None
        site = create_web_app(services, bot_settings, clock=Clock())
        site.router.add_get("/crash", crash)
        async with TestClient(TestServer(site)) as client:
            answer = await client.get("/crash")
            assert answer.status == 500
            hardened(answer)
            body = await answer.text()
            assert f"<p>{catalogs.text('sv', 'web.error')}</p>" in body
            assert "secret internals" not in body
            assert "Traceback" not in body


async def test_a_staff_name_is_escaped_once(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Catalog texts come escaped already (t() gives Markup): no double escaping."""
    settings = bot_settings.model_copy(update={"web_url": WEB_URL})
    staff = [
        s.model_copy(update={"name": "Kalle & <Svensson>"}) if s.telegram_id == POLIS_JKB else s
        for s in deployment.staff
    ]
    renamed = deployment.model_copy(update={"staff": staff})
    officer = staff_person(emulator, POLIS_JKB, catalogs)
    async with web_and_bot(emulator, settings, renamed, Clock()) as (client, _):
        await sign_in(client, await link_for(officer, WEB_URL))
        body = await (await client.get("/")).text()
        assert "Kalle &amp; &lt;Svensson&gt;" in body
        greeting = catalogs.text("sv", "web.signed_in_as", name="Kalle & <Svensson>")
        assert greeting == "Inloggad som Kalle &amp; &lt;Svensson&gt;"
        assert greeting in body
        assert "<Svensson>" not in body
        assert "&amp;amp;" not in body
        assert "&amp;lt;" not in body
