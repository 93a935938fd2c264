"""Building the Application: the one place where the bot, its services and handlers meet."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import cast
from zoneinfo import ZoneInfo

from telegram import Bot, BotCommand, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.connection import Outage, WatchedRequest
from bot.context import AppContext, BotApp, BotData
from bot.delivery.email import Mailer
from bot.delivery.outbox import OutboxWorker
from bot.delivery.pacing import BotLimiter
from bot.delivery.transport import AiohttpRequest
from bot.domain.commands import menu
from bot.domain.deployment import Deployment
from bot.domain.promises import today_in
from bot.drafts import expire_drafts
from bot.handlers import register_all
from bot.i18n import SOURCE_LANGUAGE, Catalogs
from bot.logs import hide_resident_content
from bot.metrics import Metrics, make_metrics_app, start_metrics_server
from bot.persistence import SqlitePersistence
from bot.processor import PerChatUpdateProcessor
from bot.services import LazyDatabase, Services
from bot.services.lagesbild_send import LagesbildMail
from bot.services.refusals import Refusals
from bot.settings import Settings
from bot.webserver import serve_web
from storage.backup import DatabaseLock

log = logging.getLogger(__name__)

#: How often the activity line (updates, reports, deliveries, failures) is logged.
ACTIVITY_SECONDS = 300
#: Seconds after a start before the lägesbild job runs once (what a stopped bot missed).
LAGESBILD_AFTER_START = 120

#: The updates the bot asks Telegram for, in polling and webhook mode alike: only the types
#: its handlers answer (bot.handlers), `my_chat_member` (blocked, unblocked) included. Never
#: all types: a `business_message` is someone writing to a business account's owner, and an
#: answer would land in their chat. Telegram keeps the last list it was given, so the bot
#: always passes it rather than relying on the default.
ALLOWED_UPDATES = (
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
)


def quiet_url_loggers() -> None:
    """httpx and httpcore log every request URL, and Bot API URLs contain the token: keep
    them at WARNING whoever configured logging (the CLI also redacts, as a second line)."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)


class MissingTokenError(Exception):
    """`run` needs TRYGG_BOT_TOKEN."""


def build_application(
    settings: Settings, deployment: Deployment, *, request: BaseRequest | None = None
) -> BotApp:
    """Build the Application for these settings; nothing is opened until it is initialised.

    `request`: how Bot API calls travel instead of HTTP (bot.emulator.inprocess hands them
    straight to the emulator); the Application then has no Updater: updates are fed to it.
    """
    quiet_url_loggers()
    hide_resident_content()  # PTB's DEBUG dumps of updates and API calls: no names, no texts
    if settings.bot_token is None:
        raise MissingTokenError(
            "TRYGG_BOT_TOKEN is not set: set it to the token from @BotFather "
            "(or run `trygghetsbot shell` to try the bot locally without one)"
        )
    database = LazyDatabase(settings.database)
    metrics = Metrics()
    outage = Outage()
    builder = (
        ApplicationBuilder()
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.api_base_url)
        .base_file_url(settings.api_file_url)
        .context_types(ContextTypes(context=AppContext, bot_data=BotData))
        .defaults(Defaults(parse_mode=ParseMode.HTML))
        .persistence(SqlitePersistence(database.bot_state, update_interval=1.0))
        .concurrent_updates(PerChatUpdateProcessor(observe=metrics.observe_update))
        .rate_limiter(
            BotLimiter(
                settings.rate_per_second,
                max_retries=2,
                paid_broadcast=settings.paid_broadcast,
                rate_per_chat=settings.rate_per_chat,
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
    )
    if request is None:
        builder.get_updates_request(WatchedRequest(outage, connection_pool_size=1))  # outage log
        builder.request(AiohttpRequest())  # httpx's CPU per request held paid broadcasts back
    else:
        builder.request(request).updater(None)
    # The builder's generics cannot express our context and bot_data types; they are set above.
    app = cast(BotApp, builder.build())
    app.bot_data.settings = settings
    app.bot_data.deployment = deployment
    app.bot_data.catalogs = Catalogs.load(deployment.deployment.languages)
    app.bot_data.database = database
    app.bot_data.metrics = metrics
    app.bot_data.outage = outage
    register_all(app)
    return app


async def _post_init(app: BotApp) -> None:
    """Open the database (applying migrations) and register the command menu."""
    data = app.bot_data
    assert data.settings
    assert data.deployment
    assert data.catalogs
    assert data.database
    # One bot per database: a second one would answer every update twice, and `restore`
    # must not replace the file under a running bot.
    if data.lock is None:  # `trygghetsbot run` takes it before migrating; tests and the shell here
        data.lock = DatabaseLock.acquire(data.settings.database)
    # One connection for everything: the same one PTB's persistence opened in initialize().
    data.services = services = await Services.open(
        data.settings, data.deployment, data.catalogs, data.database, data.metrics
    )
    settings = data.settings
    data.refusals = refusals = Refusals(
        services.desk, services.outbox, settings.ops_chat_id, data.metrics, services.pulse.repo
    )
    worker = OutboxWorker(
        app.bot,
        services.outbox,
        Mailer(settings),
        settings.media_dir,
        rate_per_chat=settings.rate_per_chat,
        group_per_minute=settings.group_per_minute,
        paid_broadcast=settings.paid_broadcast,
        metrics=data.metrics,
        refusals=refusals,
    )
    services.wake.callback = worker.wake
    data.worker = worker
    worker.start()
    # In the background: start-up does not wait for Telegram's answers about each chat.
    if settings.check_staff_chats:
        data.staff_probe = asyncio.get_running_loop().create_task(
            _probe_staff(app.bot, refusals), name="staff probe"
        )
    if app.job_queue is not None:
        app.job_queue.run_repeating(_escalate, interval=900, first=60, name="escalation")
        zone = ZoneInfo(data.deployment.deployment.timezone)
        app.job_queue.run_monthly(_digest, when=dt.time(9, 0, tzinfo=zone), day=1, name="digest")
        app.job_queue.run_daily(_purge, time=dt.time(3, 30, tzinfo=zone), name="purge")
        if settings.lagesbild_monthly:
            mail = LagesbildMail.of(services)  # one for both jobs: its runs never overlap
            at = dt.time(8, 0, tzinfo=zone)
            app.job_queue.run_daily(_lagesbild, time=at, name="lagesbild", data=mail)
            # And once after each start: a month the bot was down for that morning is sent.
            after = LAGESBILD_AFTER_START
            app.job_queue.run_once(_lagesbild, after, name="lagesbild after start", data=mail)
        app.job_queue.run_daily(_pulse, time=dt.time(17, 0, tzinfo=zone), name="pulse")
        app.job_queue.run_repeating(_activity, interval=ACTIVITY_SECONDS, name="activity")
    if settings.metrics_port is not None and data.metrics is not None:
        metrics_app = make_metrics_app(
            data.metrics, _outbox_refresher(services, data.metrics), lambda: app.running
        )
        data.metrics_runner, data.metrics_port = await start_metrics_server(
            metrics_app, settings.metrics_listen, settings.metrics_port
        )
    await set_menu(app, data.catalogs)
    if settings.web_with_bot:  # last: the pages act through the services and the outbox
        data.web_runner, data.web_port = await serve_web(services, settings)
    log.info(
        "Trygghetsboten started: %d stations, database %s",
        len(data.deployment.stations),
        data.settings.database,
    )


async def _probe_staff(bot: Bot, refusals: Refusals) -> int:
    """Which staff chats Telegram refuses (Refusals.probe_staff); never fatal."""
    try:
        found = await refusals.probe_staff(bot)
    except Exception as exc:  # an outage at start-up, say: the cards find out later
        log.warning("Could not check the staff chats at start-up: %s", exc)
        return 0
    if found:
        log.info("Start-up check: %d staff chats cannot be reached on Telegram", found)
    return found


def _outbox_refresher(services: Services, metrics: Metrics) -> Callable[[], Awaitable[None]]:
    async def refresh() -> None:
        metrics.set_outbox(await services.outbox.counts())

    return refresh


async def _activity(context: AppContext) -> None:
    """Job: one log line with the counts of updates, reports, deliveries and failures."""
    if context.bot_data.metrics is not None:
        context.bot_data.metrics.log_activity()


async def _escalate(context: AppContext) -> None:
    """Job: re-send and escalate cases that nobody acknowledged in time."""
    count = await context.services.escalation.run()
    if count:
        log.info("Escalated %d unacknowledged cases", count)


async def _digest(context: AppContext) -> None:
    """Job, on the 1st of each month: last month's digest to each station's followers."""
    today = dt.date.today()
    month = (today.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    for station in context.services.deployment.stations:
        sent = await context.services.updates.digest(station.id, month)
        log.info("Digest %s for %s queued to %d followers", month, station.id, sent)


async def _lagesbild(context: AppContext) -> None:
    """Job, daily and after each start: from the month's first working day on, last month's
    lägesbild to the admins not yet sent it (bot.services.lagesbild_send)."""
    assert context.job is not None
    assert isinstance(context.job.data, LagesbildMail)
    zone = ZoneInfo(context.services.deployment.deployment.timezone)
    await context.job.data.run(today_in(zone))


async def _purge(context: AppContext) -> None:
    """Job, daily: apply the deployment's retention rules (drafts too: bot.drafts)."""
    counts = await context.services.purge()
    counts["drafts"] = await expire_drafts(context.application)
    log.info("Retention purge: %s", ", ".join(f"{k} {v}" for k, v in counts.items()))


async def _pulse(context: AppContext) -> None:
    """Job, daily: the trygghetsmätning's questions whose day has come (bot.services.pulse)."""
    services = context.services
    await services.pulse.run(services.updates.today())


async def _post_stop(app: BotApp) -> None:
    """Stop the web pages (their requests end first) and the outbox worker after the current
    send; pending rows stay for the next start."""
    web_runner, app.bot_data.web_runner = app.bot_data.web_runner, None
    if web_runner is not None:
        await web_runner.cleanup()
    probe, app.bot_data.staff_probe = app.bot_data.staff_probe, None
    if probe is not None and not probe.done():
        probe.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe
    worker, app.bot_data.worker = app.bot_data.worker, None
    if worker is not None:
        await worker.stop()


async def _post_shutdown(app: BotApp) -> None:
    await _post_stop(app)
    runner, app.bot_data.metrics_runner = app.bot_data.metrics_runner, None
    if runner is not None:
        await runner.cleanup()
    app.bot_data.refusals = None  # it queues through the services' database
    services, app.bot_data.services = app.bot_data.services, None
    if services is not None:
        await services.close()
    if app.bot_data.database is not None:  # opened by persistence even if post_init failed
        await app.bot_data.database.close()
    lock, app.bot_data.lock = app.bot_data.lock, None
    if lock is not None:
        lock.release()


async def set_menu(app: BotApp, catalogs: Catalogs) -> None:
    """Register the command menu in every language (Swedish is the default): the names of
    that language (bot.domain.commands), as the help lists them."""
    for lang in catalogs.languages:
        commands = [BotCommand(name, catalogs.text(lang, key)) for name, key in menu(lang)]
        await app.bot.set_my_commands(
            commands,
            scope=BotCommandScopeDefault(),
            language_code=None if lang == SOURCE_LANGUAGE else lang,
        )


@asynccontextmanager
async def running(app: BotApp, *, poll_timeout: int = 10) -> AsyncIterator[BotApp]:
    """Run the bot with long polling inside an existing event loop (shell, tests).

    `run_polling` owns the loop and the signals; this does the same start-up and shut-down
    sequence, post_init and post_shutdown included, for callers that own the loop.
    """
    await app.initialize()
    try:
        if app.post_init:
            await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0.0, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        await app.start()
        try:
            yield app
        finally:
            if app.updater.running:
                await app.updater.stop()
            await stop(app)
    finally:
        await shut_down(app)


async def stop(app: BotApp) -> None:
    """Stop a running Application and run its post_stop, as `run_polling` does."""
    if app.running:
        await app.stop()
        if app.post_stop:
            await app.post_stop(app)


async def shut_down(app: BotApp) -> None:
    """Shut the Application down and run its post_shutdown, as `run_polling` does."""
    await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)
