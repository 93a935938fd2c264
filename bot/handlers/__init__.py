"""Telegram glue, one module per feature, combined here."""

from __future__ import annotations

from bot.context import BotApp
from bot.handlers import (
    admin,
    cases,
    chats,
    desk,
    errors,
    guards,
    intake,
    limits,
    membership,
    privacy,
    promises,
    pulse,
    staff,
    start,
    updates,
    web,
)


def register_all(app: BotApp) -> None:
    """Add every feature's handlers; the order within group 0 matters (first match wins)."""
    membership.register(app)  # group -4: blocked or back (my_chat_member, any update)
    limits.register(app)  # group -3: a flooding chat is stopped first
    chats.register(app)  # group -2: resident flows only in private chats, cases not in groups
    guards.register(app)  # group -1: 112 and crime tips
    intake.register_edits(app)  # group 0, first: an edited message is never an answer
    admin.register(app)  # staff statistics and exports (buttons before intake's catch-all)
    pulse.register(app)  # the trygghetsmätning's buttons (before intake's catch-all too)
    desk.register(app)  # an officer's pending note or a resident's answer takes the next text
    staff.register(app)  # /invite, /staff and revoke buttons
    web.register(app)  # /webb: a staff member's sign-in link to the web pages
    updates.register(app)  # a staff member writing an update on the promise
    intake.register(app)  # then the intake conversation: it owns updates while a flow runs
    start.register(app)
    privacy.register(app)
    cases.register(app)
    promises.register(app)
    guards.register_fallbacks(app)  # last: what nothing else took
    errors.register(app)
