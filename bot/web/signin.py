"""Sign-in without a password.

`/webb` in the bot hands a staff member a one-time link (bot.services.web). Opening it shows
a confirm button, so a link preview or prefetcher that opens the link does not use it up; the
button's POST opens a session, kept in an HttpOnly, SameSite=Strict cookie (Secure behind
https), and ends the session this browser had before. A POST from another site is refused for
every page (bot.web.app). Sign-out is a POST carrying the session's CSRF token.
"""

from __future__ import annotations

from aiohttp import web

from bot.domain import web as rules
from bot.web.app import (
    SECURE,
    SERVICES,
    SIGN_IN,
    Signed,
    csrf_refused,
    default_language,
    message,
    posted_form,
    render,
    staff_page,
    translator,
)


async def login_page(request: web.Request) -> web.StreamResponse:
    token = request.match_info["token"]
    if not await request.app[SIGN_IN].link_valid(token):
        return message(request, 403, "web.link_invalid_title", "web.link_invalid")
    t = translator(request.app[SERVICES], default_language(request))
    return render(request, "login.html", title=t("web.login_title"), token=token)


async def login(request: web.Request) -> web.StreamResponse:
    # Signing in again in this browser ends its earlier session (other browsers keep theirs).
    previous = request.cookies.get(rules.COOKIE)
    signed = await request.app[SIGN_IN].sign_in(request.match_info["token"], previous)
    if signed is None:
        return message(request, 403, "web.link_invalid_title", "web.link_invalid")
    response = web.Response(status=303, headers={"Location": "/"})
    response.set_cookie(
        rules.COOKIE,
        signed.session_id,
        httponly=True,
        samesite="Strict",
        secure=request.app[SECURE],
        path="/",
    )
    return response


@staff_page
async def logout(request: web.Request, signed: Signed) -> web.StreamResponse:
    if await posted_form(request, signed) is None:
        return csrf_refused(request, signed)
    await request.app[SIGN_IN].sign_out(signed.session_id)
    response = message(request, 200, "web.signed_out_title", "web.signed_out_done")
    response.del_cookie(rules.COOKIE, path="/")
    return response


def add_routes(app: web.Application) -> None:
    app.router.add_get("/login/{token}", login_page)
    app.router.add_post("/login/{token}", login)
    app.router.add_post("/logout", logout)
