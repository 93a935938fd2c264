"""Staff access in Telegram: invite codes, who has access, revoking it, linking an account.

What an admin may hand out or take away is `bot.domain.access`'s to answer; a code never
reaches further than its maker reaches.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.deployment import Role
from bot.domain.models import AlreadyStaff, InviteError
from bot.handlers.access import desk_of, member_of, refuse
from bot.handlers.common import clear_buttons, keyboard, send
from bot.services.desk import Refused
from bot.services.staff import BadInvite

STAFF_SCOPE = "s"


async def invite(update: Update, context: AppContext) -> None:
    """/invite actor station,station [role]: a one-time code for a new staff member (admins)."""
    member = await member_of(update, context)
    desk = await desk_of(update, context)
    args = context.args or []
    actor = args[0] if len(args) > 1 else None
    chosen = args[1].split(",") if len(args) > 1 else []
    role = args[2] if len(args) > 2 else Role.PARTNER
    try:
        invitation = await context.services.staff_access.invite(member, role, actor, chosen)
    except Refused:
        await refuse(update, context)
        return
    except BadInvite as bad:
        # A station-bound admin chooses among their own actor and stations only.
        text = desk.t(
            "staff.invite_usage", actors=", ".join(bad.actors), stations=", ".join(bad.stations)
        )
        await send(update, context, text)
        return
    expires = desk.local_time(invitation.expires)
    await send(
        update, context, desk.t("staff.invite_created", code=invitation.code, expires=expires)
    )


async def staff_list(update: Update, context: AppContext) -> None:
    """/staff: who has access (admins and kommunpolis); admins get revoke buttons."""
    member = await member_of(update, context)
    desk = await desk_of(update, context)
    try:
        everyone = await context.services.staff_access.listing(member)
    except Refused:
        await refuse(update, context)
        return
    lines = [desk.t("staff.list_title")]
    rows = []
    for listed in everyone:
        s = listed.staff
        lines.append(
            desk.t(
                "staff.list_item",
                name=s.name,
                role=s.role,
                actor=desk.actor_name(s.actor_id),
                stations=", ".join(s.stations) or "*",
            )
        )
        if listed.revocable:
            rows.append(
                [
                    (
                        desk.t("staff.revoke", name=s.name),
                        callbacks.encode(STAFF_SCOPE, "rev", str(s.id)),
                    )
                ]
            )
    await send(update, context, "\n".join(lines), keyboard(rows) if rows else None)


async def on_staff_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    member = await member_of(update, context)
    cb = callbacks.parse(query.data)
    if member is None or cb is None or not cb.arg.isdigit():
        await refuse(update, context)
        return
    try:
        target = await context.services.staff_access.revoke(member, int(cb.arg))
    except Refused:
        await refuse(update, context)
        return
    await query.answer()
    await clear_buttons(update)
    desk = await desk_of(update, context)
    await send(update, context, desk.t("staff.revoked", name=target.name))


async def redeem(update: Update, context: AppContext, code: str) -> None:
    """/start <code>: link this Telegram account as staff."""
    user = update.effective_user
    assert user is not None
    services = context.services
    desk = services.desk
    try:
        member = await services.staff_access.redeem(code, user.id, user.full_name)
    except AlreadyStaff as exc:
        current = exc.staff
        desk = await services.desk_for(current, user.language_code)
        await send(
            update,
            context,
            desk.t(
                "staff.already_linked",
                role=current.role,
                actor=desk.actor_name(current.actor_id),
                stations=", ".join(current.stations) or "*",
            ),
        )
        return
    except InviteError:
        await send(update, context, desk.t("staff.bad_code"))
        return
    desk = await services.desk_for(member, user.language_code)  # they read it from now on
    await send(
        update,
        context,
        desk.t(
            "staff.linked",
            name=member.name,
            role=member.role,
            actor=desk.actor_name(member.actor_id),
            stations=", ".join(member.stations) or "*",  # an admin of every station
        ),
    )


def register(app: BotApp) -> None:
    app.add_handler(CommandHandler("invite", invite))
    app.add_handler(CommandHandler("staff", staff_list))
    app.add_handler(CallbackQueryHandler(on_staff_button, pattern=rf"^v1:{STAFF_SCOPE}:"))
