"""/webb: a staff member's one-time link to the web pages (private chat only)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import CommandHandler

from bot.context import AppContext, BotApp
from bot.domain.web import LINK_LIFETIME
from bot.handlers.access import desk_of, member_of, refuse, staff_member
from bot.handlers.common import lang_of, send
from bot.services.desk import Refused
from bot.services.web import TooManyLinks, WebSignIn


async def web_link(update: Update, context: AppContext) -> None:
    """Answer a staff member with a sign-in link; anyone else, or a group, is refused (a
    link in a group would sign in whoever opens it first). A resident is also pointed to the
    public promise pages, when the web pages have an address."""
    chat = update.effective_chat
    member = await member_of(update, context)
    if chat is None or chat.type != ChatType.PRIVATE:
        member = None
    sign_in = WebSignIn.of(context.services)
    try:
        url = await sign_in.link_for(member)
    except Refused:
        await refuse(update, context)
        if await staff_member(update, context) is None:
            lang = await lang_of(update, context)
            public = sign_in.public_page(lang)
            if public is not None:
                await send(
                    update, context, context.services.text(lang, "web.public_page", url=public)
                )
        return
    except TooManyLinks:
        desk = await desk_of(update, context)
        await send(update, context, desk.t("web.link_limit"))
        return
    desk = await desk_of(update, context)
    if url is None:
        await send(update, context, desk.t("web.no_url"))
        return
    await send(update, context, desk.t("web.link", url=url, minutes=LINK_LIFETIME.seconds // 60))


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("webb", web_link))
