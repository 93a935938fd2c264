"""Staff access in Telegram: invite codes, who has access, revoking it, linking an account.

What an admin may hand out or take away is `bot.domain.access`'s to answer; a code never
reaches further than its maker reaches.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import AppContext, BotApp
from bot.domain import callbacks
from bot.domain.access import admin_scope, may_grant, may_list_staff, may_revoke
from bot.domain.deployment import Role
from bot.domain.models import AlreadyStaff, InviteError
from bot.handlers.access import member_of, refuse
from bot.handlers.common import clear_buttons, keyboard, send

STAFF_SCOPE = "s"


async def invite(update: Update, context: AppContext) -> None:
    """/invite actor station,station [role]: a one-time code for a new staff member (admins)."""
    member = await member_of(update, context)
    services = context.services
    desk = services.desk
    scope = admin_scope(member) if member else None
    if member is None or scope is None:
        await refuse(update, context)
        return
    args = context.args or []
    # A station-bound admin chooses among their own actor and stations only.
    actors = {a.id for a in desk.deployment.actors if scope.actors is None or a.id in scope.actors}
    stations = {
        s.id for s in desk.deployment.stations if scope.stations is None or s.id in scope.stations
    }
    chosen = args[1].split(",") if len(args) > 1 else []
    role = args[2] if len(args) > 2 else Role.PARTNER
    if (
        len(args) < 2
        or args[0] not in actors
        or not chosen
        or not set(chosen) <= stations
        or not may_grant(member, role, args[0], chosen)
    ):
        await send(
            update,
            context,
            desk.t(
                "staff.invite_usage",
                actors=", ".join(sorted(actors)),
                stations=", ".join(sorted(stations)),
            ),
        )
        return
    code, expires = await services.staff.create_invite(
        role, args[0], chosen, member.telegram_id, desk.deployment.deployment.invite_hours
    )
    await send(
        update, context, desk.t("staff.invite_created", code=code, expires=desk.local_time(expires))
    )


async def staff_list(update: Update, context: AppContext) -> None:
    """/staff: who has access (admins and kommunpolis); admins get revoke buttons."""
    member = await member_of(update, context)
    desk = context.services.desk
    if member is None or not may_list_staff(member):
        await refuse(update, context)
        return
    everyone = await context.services.staff.active()
    lines = [desk.t("staff.list_title")]
    rows = []
    for s in everyone:
        lines.append(
            desk.t(
                "staff.list_item",
                name=s.name,
                role=s.role,
                actor=desk.actor_name(s.actor_id),
                stations=", ".join(s.stations) or "*",
            )
        )
        if may_revoke(member, s):
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
    target = await context.services.staff.get(int(cb.arg))
    if (
        target is None
        or not may_revoke(member, target)
        or not await context.services.staff.revoke(target.id)
    ):
        await refuse(update, context)
        return
    await query.answer()
    await clear_buttons(update)
    await send(update, context, context.services.desk.t("staff.revoked", name=target.name))


async def redeem(update: Update, context: AppContext, code: str) -> None:
    """/start <code>: link this Telegram account as staff."""
    user = update.effective_user
    assert user is not None
    services = context.services
    desk = services.desk
    try:
        member = await services.staff.redeem(code, user.id, user.full_name)
    except AlreadyStaff as exc:
        current = exc.staff
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
