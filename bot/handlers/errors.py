"""The error handler: log with traceback, tell the user plainly, never show a traceback."""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.error import TelegramError

from bot.context import AppContext, BotApp
from bot.delivery.channels import send_now
from bot.handlers.common import answer_refused, send

log = logging.getLogger(__name__)

OPS_ALERT_INTERVAL = 60.0


async def on_error(update: object, context: AppContext) -> None:
    """Log the failure and say that something went wrong; the draft stays as it was."""
    if update is None and context.job is None and isinstance(context.error, TelegramError):
        # Polling for updates failed (run_polling hands those errors here): one line per
        # attempt, without a traceback; network errors are logged by bot.connection.
        context.bot_data.outage.polling_error(context.error)
        return
    if isinstance(context.error, TelegramError) and answer_refused(context.error):
        # A button answered too late (Telegram's "query is too old"): not an error of ours,
        # and nothing the resident should hear about; they press again if nothing happened.
        log.info("Telegram refused the answer to a button press: %s", context.error)
        return
    log.error("Error while handling an update", exc_info=context.error)
    if context.bot_data.metrics is not None:
        context.bot_data.metrics.update_failures.inc()
    services = context.bot_data.services
    if isinstance(update, Update) and update.effective_chat is not None and services:
        user = update.effective_user
        lang = await services.language(
            update.effective_chat.id, user.language_code if user else None
        )
        try:
            await send(update, context, services.text(lang, "error.generic"))
        except TelegramError:
            log.warning("Could not tell chat about the error", exc_info=True)
    await alert_ops(context)


async def alert_ops(context: AppContext) -> None:
    """Tell the ops chat (if one is set) that something failed, at most once a minute.

    Not a reply to the update: the alert is queued in the outbox like every other alert
    (bot.services.refusals), and the outbox worker sends it a moment later. When the outbox
    cannot take it (the database refuses writes: the failure ops most need to hear of), it
    goes at once through the delivery layer instead.
    """
    services = context.bot_data.services
    refusals = context.bot_data.refusals
    if services is None or refusals is None or services.settings.ops_chat_id is None:
        return
    now = time.monotonic()
    if now - context.bot_data.last_ops_alert < OPS_ALERT_INTERVAL:
        return
    context.bot_data.last_ops_alert = now
    error = type(context.error).__name__ if context.error else "?"
    lang = services.deployment.deployment.default_language
    text = services.text(lang, "ops.error", error=error)
    try:
        await refusals.tell_ops(text)
    except Exception:  # the failure may be the database itself (full, read-only, locked)
        log.warning("Could not queue the alert for the ops chat; sending it now", exc_info=True)
        try:
            await send_now(context.bot, services.settings.ops_chat_id, text)
        except TelegramError:
            log.warning("Could not alert the ops chat", exc_info=True)


def register(app: BotApp) -> None:
    app.add_error_handler(on_error)
