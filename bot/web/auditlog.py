"""The audit log on the dashboard, a page at a time, as `trygghetsbot audit` shows it (local
time, staff by name), each action and detail written out in the reader's language.

Only national admins see it. The log holds the whole deployment (sign-ins, exports, case
views at every station); a station admin's share of it is not defined by the access policy
(whose entries, which cases), so a station admin is refused, like a kommunpolis or partner.
"""

from __future__ import annotations

from aiohttp import web

from bot.domain.access import is_national
from bot.domain.web import page_number
from bot.services.auditlog import AuditLog
from bot.web.app import (
    SERVICES,
    Signed,
    message,
    render,
    staff_page,
    translator,
)

PAGE_SIZE = 50
MAX_PAGE = 10_000


@staff_page
async def audit_page(request: web.Request, signed: Signed) -> web.StreamResponse:
    if not is_national(signed.member):
        return message(request, 403, "web.audit.title", "web.audit.refused", signed=signed)
    number = page_number(request.query.get("sida", "1"), MAX_PAGE)
    if number is None:
        return message(request, 400, "web.audit.title", "web.audit.bad_page", signed=signed)
    services = request.app[SERVICES]
    log = AuditLog(services.deployment, services.catalogs, services.audit, services.staff)
    entries, more = await log.page(signed.lang, number, PAGE_SIZE)
    t = translator(services, signed.lang)
    return render(
        request,
        "audit.html",
        signed=signed,
        title=t("web.audit.title"),
        entries=entries,
        number=number,
        more=more,
    )


def add_routes(app: web.Application) -> None:
    app.router.add_get("/logg", audit_page)
