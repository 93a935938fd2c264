"""The staff web pages (`trygghetsbot web`): aiohttp with Jinja2 templates.

Sign-in has no password: `/webb` in the bot hands a staff member a one-time link
(bot.services.web). Opening it shows a confirm button, so a link preview or prefetcher that
opens the link does not use it up; the button's POST opens a session, kept in an HttpOnly,
SameSite=Strict cookie (Secure behind https). Every POST form carries the session's CSRF
token. The pages speak the deployment's default language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import jinja2
from aiohttp import web

from bot.domain import web as rules
from bot.domain.access import station_scope
from bot.domain.models import Staff
from bot.services import Services
from bot.services.web import Clock, WebSignIn, system_clock
from bot.settings import Settings

SERVICES = web.AppKey("services", Services)
SIGN_IN = web.AppKey("sign_in", WebSignIn)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SECURE = web.AppKey("secure", bool)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


def _render(request: web.Request, name: str, status: int = 200, **params: object) -> web.Response:
    services = request.app[SERVICES]
    lang = services.deployment.deployment.default_language

    def t(key: str, **fields: object) -> str:
        return services.text(lang, key, **fields)

    page = request.app[TEMPLATES].get_template(name)
    body = page.render(lang=lang, rtl=lang == "ar", t=t, **params)
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def _message(request: web.Request, status: int, title: str, message: str) -> web.Response:
    t = request.app[SERVICES].text
    lang = request.app[SERVICES].deployment.deployment.default_language
    return _render(request, "message.html", status, title=t(lang, title), message=t(lang, message))


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """No caching of staff pages, no framing, and no Referer (a link's token is in its URL)."""
    response = await handler(request)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _station_names(services: Services, member: Staff) -> list[str]:
    scope = station_scope(member)
    return [s.name for s in services.deployment.stations if scope is None or s.id in scope]


def _signed_out(request: web.Request) -> web.Response:
    response = _message(request, 401, "web.signed_out_title", "web.signed_out")
    response.del_cookie(rules.COOKIE, path="/")
    return response


async def home(request: web.Request) -> web.StreamResponse:
    session_id = request.cookies.get(rules.COOKIE)
    member = await request.app[SIGN_IN].session(session_id)
    if member is None or session_id is None:
        return _signed_out(request)
    services = request.app[SERVICES]
    lang = services.deployment.deployment.default_language
    return _render(
        request,
        "home.html",
        title=services.text(lang, "web.home_title"),
        member=member,
        stations=_station_names(services, member),
        csrf=rules.csrf_token(session_id),
    )


async def login_page(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    if not await request.app[SIGN_IN].link_valid(token):
        return _message(request, 403, "web.link_invalid_title", "web.link_invalid")
    services = request.app[SERVICES]
    lang = services.deployment.deployment.default_language
    return _render(request, "login.html", title=services.text(lang, "web.login_title"), token=token)


async def login(request: web.Request) -> web.StreamResponse:
    signed_in = await request.app[SIGN_IN].sign_in(request.match_info["token"])
    if signed_in is None:
        return _message(request, 403, "web.link_invalid_title", "web.link_invalid")
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(
        rules.COOKIE,
        signed_in.session_id,
        httponly=True,
        samesite="Strict",
        secure=request.app[SECURE],
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    session_id = request.cookies.get(rules.COOKIE)
    form = await request.post()
    given = form.get("csrf")
    if session_id is None or not rules.csrf_ok(
        session_id, given if isinstance(given, str) else None
    ):
        return _message(request, 403, "web.csrf_title", "web.csrf")
    await request.app[SIGN_IN].sign_out(session_id)
    response = _message(request, 200, "web.signed_out_title", "web.signed_out_done")
    response.del_cookie(rules.COOKIE, path="/")
    return response


def create_web_app(
    services: Services, settings: Settings, *, clock: Clock = system_clock
) -> web.Application:
    """The web pages over these services; `clock` gives the time (tests pass their own)."""
    app = web.Application(middlewares=[_headers])
    app[SERVICES] = services
    app[SIGN_IN] = WebSignIn.of(services, clock)
    app[TEMPLATES] = templates()
    app[SECURE] = rules.secure_cookie(settings.web_url)
    app.router.add_get("/", home)
    app.router.add_get("/login/{token}", login_page)
    app.router.add_post("/login/{token}", login)
    app.router.add_post("/logout", logout)
    return app
