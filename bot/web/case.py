"""The case page: a case, its timeline, and the case card's actions as forms.

GET /arende/{reference} shows the case to a member who may open it (Desk.view, the bot's
rule, audit-logged); POST /arende/{reference} takes one action (bot.services.case_view,
through the Desk, so the resident hears of it as from the card). Done: 303 back to the page
at its line (#said), which shows the bot's one line once, and that the resident was sent a
message when they were; refused or stale: the page again with that line at the top; bad input
in a form: the page again with the line next to that form's field (each form posts to the
page at its field, e.g. #note, so the browser opens the page there with the focus in it) and
the text kept.
A case the member may not open, a forged reference or action: the unknown-case page.
"""

from __future__ import annotations

from collections import OrderedDict

from aiohttp import web

from bot.domain.models import NotFound
from bot.domain.web import digest
from bot.services import case_view
from bot.services.case_view import Said
from bot.services.desk import Desk, Refused
from bot.web.app import (
    SERVICES,
    SETTINGS,
    Signed,
    csrf_refused,
    message,
    posted_form,
    render,
    staff_page,
    translator,
)

#: At most this many lines wait to be shown (the oldest goes first; its page just shows none).
SAID_LIMIT = 1000


class Lines:
    """The line to show once on a member's next view of a case page, per session (kept by
    the session id's digest, not the id), at most `limit` of them: the oldest is dropped."""

    def __init__(self, limit: int = SAID_LIMIT) -> None:
        self.limit = limit
        self._held: OrderedDict[str, tuple[str, Said]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._held)

    def put(self, session_id: str, reference: str, said: Said) -> None:
        key = digest(session_id)
        self._held.pop(key, None)
        self._held[key] = (reference, said)
        while len(self._held) > self.limit:
            self._held.popitem(last=False)

    def take(self, session_id: str, reference: str) -> Said | None:
        """The session's line for this case, once; None when there is none for it."""
        key = digest(session_id)
        held = self._held.get(key)
        if held is None or held[0] != reference:
            return None
        del self._held[key]
        return held[1]


SAID = web.AppKey("case_said", Lines)


def not_found(request: web.Request, signed: Signed) -> web.Response:
    return message(request, 404, "web.case.not_found_title", "web.case.not_found", signed=signed)


async def _desk(request: web.Request, signed: Signed) -> Desk:
    return await request.app[SERVICES].desk_for(signed.member, None)


async def _show(
    request: web.Request, signed: Signed, said: Said | None, status: int = 200, **kept: str
) -> web.Response:
    desk = await _desk(request, signed)
    try:
        shown = await case_view.page(desk, signed.member, request.match_info["reference"])
    except (Refused, NotFound):
        return not_found(request, signed)
    t = translator(request.app[SERVICES], signed.lang)
    line = t(said.key, **said.fields) if said else None
    if said and said.told and line is not None:
        line = line + " " + t("web.case.told")
    return render(
        request,
        "case.html",
        status,
        signed=signed,
        title=t("web.case.title", reference=shown.case.reference),
        page=shown,
        said=line,
        ok=bool(said and said.ok),
        said_form=said.form if said else "",
        kept=kept,
    )


@staff_page
async def show(request: web.Request, signed: Signed) -> web.StreamResponse:
    said = request.app[SAID].take(signed.session_id, request.match_info["reference"])
    return await _show(request, signed, said)


@staff_page
async def act(request: web.Request, signed: Signed) -> web.StreamResponse:
    fields = await posted_form(request, signed)
    if fields is None:
        return csrf_refused(request, signed)
    reference = request.match_info["reference"]
    desk = await _desk(request, signed)
    try:
        said = await case_view.perform(desk, signed.member, reference, fields)
    except Refused:
        return not_found(request, signed)
    if not said.ok:
        return await _show(request, signed, said, 409, note=fields.get("note", ""))
    request.app[SAID].put(signed.session_id, reference, said)
    # With its own fragment: else the browser keeps the form's (#note) after the redirect.
    return web.Response(status=303, headers={"Location": f"/arende/{reference}#said"})


@staff_page
async def photo(request: web.Request, signed: Signed) -> web.StreamResponse:
    """A photo of the case, for a member who may open it (the stored, cleaned JPEG)."""
    desk = await _desk(request, signed)
    try:
        case = await desk.authorise(signed.member, request.match_info["reference"])
    except Refused:
        return not_found(request, signed)
    number = request.match_info["number"]
    name = case_view.photo_name(case, number)
    path = request.app[SETTINGS].media_dir / name if name else None
    if path is None or not path.is_file():
        return not_found(request, signed)
    return web.FileResponse(path, headers={"Content-Type": "image/jpeg"})


def add_routes(app: web.Application) -> None:
    app[SAID] = Lines()
    app.router.add_get("/arende/{reference}", show)
    app.router.add_get("/arende/{reference}/foto/{number}", photo)
    app.router.add_post("/arende/{reference}", act)
