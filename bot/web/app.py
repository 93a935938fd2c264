"""The web app: its parts, the page frame and the rules every page shares.

`create_web_app` builds one aiohttp Application over the bot's services. Each area of the site
lives in its own module and adds its routes here (`AREAS`): sign-in (bot.web.signin), the
dashboard's map and list (bot.web.dashboard), the case page (bot.web.case), statistics,
exports, the audit log and posters (bot.web.downloads) and the public promise page
(bot.web.public). What every page needs is here: the templates, the signed-in member of a
request (`signed_in`), the CSRF check of a posted form (`posted_form`), a one-line message page
and the response headers.

Staff pages speak the member's language (bot.domain.staff_language), the public page the
language asked for in `?lang=` (else the deployment's default). Catalog texts are HTML
already escaped by the catalogs, so `t()` hands them to the templates as Markup.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
from aiohttp import web
from markupsafe import Markup

from bot.domain import access
from bot.domain import web as rules
from bot.domain.models import Staff
from bot.domain.staff_language import staff_language
from bot.services import Services
from bot.services.web import Clock, WebSignIn, system_clock
from bot.settings import Settings

SERVICES = web.AppKey("services", Services)
SETTINGS = web.AppKey("settings", Settings)
SIGN_IN = web.AppKey("sign_in", WebSignIn)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
SECURE = web.AppKey("secure", bool)
CLOCK: web.AppKey[Clock] = web.AppKey("clock")
POLICY = web.AppKey("policy", str)

STATIC = Path(__file__).parent / "static"

log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("bot.web"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )


@dataclass(frozen=True)
class Signed:
    """The signed-in staff member of a request, the session and its forms' CSRF token, and
    the language their pages speak."""

    member: Staff
    session_id: str
    csrf: str
    lang: str


#: The signed-in pages' menu: (path, catalog key, who sees it). The routes are the areas'.
MENU: tuple[tuple[str, str, Callable[[Staff], bool]], ...] = (
    ("/", "web.nav_cases", lambda member: True),
    ("/statistik", "web.nav_stats", access.may_see_stats),
    ("/lagesbild", "web.nav_lagesbild", access.may_see_stats),
    ("/export", "web.nav_export", access.may_start_export),
    ("/affischer", "web.nav_posters", lambda member: True),
    ("/logg", "web.nav_audit", access.is_national),
)


def menu(member: Staff) -> list[tuple[str, str]]:
    """The menu entries `member` may open: (path, catalog key)."""
    return [(path, key) for path, key, allowed in MENU if allowed(member)]


def translator(services: Services, lang: str) -> Callable[..., Markup]:
    """`t(key, **fields)` for templates: the catalog's text in `lang`, as Markup (the
    catalogs escape their fields themselves, so it is not escaped twice)."""

    def t(key: str, **fields: object) -> Markup:
        return Markup(services.text(lang, key, **fields))  # escaped by the Catalogs

    return t


def default_language(request: web.Request) -> str:
    return request.app[SERVICES].deployment.deployment.default_language


def render(
    request: web.Request,
    name: str,
    status: int = 200,
    *,
    lang: str | None = None,
    signed: Signed | None = None,
    **params: object,
) -> web.Response:
    """A page from template `name` in `lang` (else the signed-in member's, else the
    deployment's default); `signed` gives the page frame its navigation and sign-out form."""
    services = request.app[SERVICES]
    lang = lang or (signed.lang if signed else default_language(request))
    page = request.app[TEMPLATES].get_template(name)
    body = page.render(
        lang=lang,
        rtl=lang == "ar",
        t=translator(services, lang),
        signed=signed,
        menu=menu(signed.member) if signed else [],
        path=request.path,
        **params,
    )
    return web.Response(text=body, status=status, content_type="text/html", charset="utf-8")


def message(
    request: web.Request,
    status: int,
    title: str,
    text: str,
    *,
    lang: str | None = None,
    signed: Signed | None = None,
    **fields: object,
) -> web.Response:
    """A page of one message: `title` and `text` are catalog keys."""
    lang = lang or (signed.lang if signed else default_language(request))
    t = translator(request.app[SERVICES], lang)
    return render(
        request,
        "message.html",
        status,
        lang=lang,
        signed=signed,
        title=t(title),
        message=t(text, **fields),
    )


def signed_out(request: web.Request) -> web.Response:
    """Not signed in: how staff sign in, and a way on to the public promises for anyone else."""
    lang = default_language(request)
    t = translator(request.app[SERVICES], lang)
    response = render(
        request,
        "message.html",
        401,
        lang=lang,
        signed=None,
        title=t("web.signed_out_title"),
        message=t("web.signed_out"),
        more=t("web.signed_out_public", url="/lofte"),
    )
    response.del_cookie(rules.COOKIE, path="/")
    return response


async def signed_in(request: web.Request) -> Signed | None:
    """The live session of this request and its member (None: not signed in, or the
    session has ended); the request keeps the session alive."""
    session_id = request.cookies.get(rules.COOKIE)
    member = await request.app[SIGN_IN].session(session_id)
    if member is None or session_id is None:
        return None
    lang = staff_language(request.app[SERVICES].deployment, member)
    return Signed(member, session_id, rules.csrf_token(session_id), lang)


SignedHandler = Callable[[web.Request, Signed], Awaitable[web.StreamResponse]]


def staff_page(handler: SignedHandler) -> Handler:
    """A route for signed-in staff: `handler` gets the request's `Signed`; a request
    without a live session gets the signed-out page."""

    @functools.wraps(handler)
    async def page(request: web.Request) -> web.StreamResponse:
        signed = await signed_in(request)
        if signed is None:
            return signed_out(request)
        return await handler(request, signed)

    return page


async def posted_form(request: web.Request, signed: Signed) -> dict[str, str] | None:
    """The posted form's text fields (the first of each name) when it carries the session's
    CSRF token; None otherwise (answer with `csrf_refused`)."""
    form = await request.post()
    given = form.get("csrf")
    if not rules.csrf_ok(signed.session_id, given if isinstance(given, str) else None):
        return None
    fields: dict[str, str] = {}
    for key, value in form.items():
        if isinstance(value, str):
            fields.setdefault(key, value)
    return fields


def csrf_refused(request: web.Request, signed: Signed | None = None) -> web.Response:
    return message(request, 403, "web.csrf_title", "web.csrf", signed=signed)


def pdf_attachment(content: bytes, filename: str) -> web.Response:
    """A PDF the browser saves as `filename`."""
    return web.Response(
        body=content,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


#: Error pages by status (text keys; the title is web.error_title); other 4xx: web.bad_request.
_ERRORS = {404: "web.not_found", 405: "web.not_allowed", 500: "web.error"}
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def _headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as a one-line page in the deployment's language (aiohttp's 404 and 405 too; a
    crash shows no traceback); the headers come in `_harden`, for every response."""
    try:
        return await handler(request)
    except web.HTTPException as raised:
        if raised.status < 400:
            raise  # a redirect
        key = _ERRORS.get(raised.status, "web.bad_request" if raised.status < 500 else "web.error")
        return message(request, raised.status, "web.error_title", key)
    except Exception:
        log.exception("Web request %s %s failed", request.method, request.path)
        return message(request, 500, "web.error_title", "web.error")


@web.middleware
async def _same_site(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a POST (any unsafe method) that another site's page sends (login CSRF, and a
    second guard beside each form's CSRF token): 403, nothing done."""
    if request.method not in _SAFE_METHODS:
        web_url = request.app[SETTINGS].web_url
        own = {rules.origin(f"{request.scheme}://{request.host}")}
        if web_url:
            own.add(rules.origin(web_url))
        if rules.cross_site(
            request.headers.get("Origin"), request.headers.get("Sec-Fetch-Site"), own
        ):
            return csrf_refused(request)
    return await handler(request)


async def _harden(request: web.Request, response: web.StreamResponse) -> None:
    """On every response just before it is sent (pages, errors, redirects, static files,
    streamed downloads): no caching of staff pages, no framing, no Referer (a link's token
    is in its URL), the content policy, and HSTS behind https."""
    headers = response.headers
    headers["Cache-Control"] = "no-store"
    headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Content-Security-Policy"] = request.app[POLICY]
    if request.app[SECURE]:
        headers["Strict-Transport-Security"] = "max-age=31536000"


def _areas() -> Sequence[Callable[[web.Application], None]]:
    from bot.web import auditlog, case, dashboard, downloads, lagesbild, public, signin, stats

    return (
        signin.add_routes,
        dashboard.add_routes,
        case.add_routes,
        downloads.add_routes,
        stats.add_routes,
        lagesbild.add_routes,
        auditlog.add_routes,
        public.add_routes,
    )


def create_web_app(
    services: Services, settings: Settings, *, clock: Clock = system_clock
) -> web.Application:
    """The web pages over these services; `clock` gives the time (tests pass their own)."""
    app = web.Application(middlewares=[_headers, _same_site])
    app.on_response_prepare.append(_harden)
    app[POLICY] = rules.security_policy(settings.web_tile_url)
    app[SERVICES] = services
    app[SETTINGS] = settings
    app[SIGN_IN] = WebSignIn.of(services, clock)
    app[TEMPLATES] = templates()
    app[SECURE] = rules.secure_cookie(settings.web_url)
    app[CLOCK] = clock
    app.router.add_static("/static", STATIC, append_version=False)
    for add_routes in _areas():
        add_routes(app)
    return app
