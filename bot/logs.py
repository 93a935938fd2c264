"""Logging set-up: one format, the token redacted everywhere, chatty libraries quieted."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Mapping

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

#: Libraries that handle residents' messages and dump them at DEBUG: python-telegram-bot logs
#: whole updates and every API call with its parameters and result (names, report texts),
#: aiosqlite every query with its values. Other loggers under "telegram" are added as found.
CONTENT_LOGGERS = (
    "telegram",
    "telegram.Bot",
    "telegram.ext",
    "telegram.ext.AIORateLimiter",
    "telegram.ext.Application",
    "telegram.ext.ConversationHandler",
    "telegram.ext.ExtBot",
    "telegram.ext.JobQueue",
    "telegram.ext.Updater",
    "telegram.ext._utils.networkloop",
    "telegram.ext._utils.stack",
    "telegram.request",
    "telegram.request.BaseRequest",
    "telegram.request.HTTPXRequest",
    "aiosqlite",
)
#: Loggers that can see an Open311 request line (aiohttp quotes the start of a line too long
#: to read in its error, and the access log, where one is on, logs every request).
REQUEST_LOGGERS = (
    "aiohttp.access",
    "aiohttp.internal",
    "aiohttp.server",
    "aiohttp.web",
    "bot.open311",
)
_PLAIN_TEXT = re.compile(r"[\w .:/-]{0,64}", re.ASCII)
_API_KEY = re.compile(r"(api(?:_|%5f)key=)[^&\s'\"]*", re.IGNORECASE)


class RedactSecrets(logging.Filter):
    """Replace secrets in every record; a last line of defence behind never logging them."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        changed = False
        for secret in self._secrets:
            if secret in message:
                message = message.replace(secret, "<token>")
                changed = True
            if record.exc_text and secret in record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "<token>")
        if changed:
            record.msg, record.args = message, None
        return True


class HideContent(logging.Filter):
    """On a library's logger: keep the message, ids, numbers and short plain words, and put
    `<redacted>` for every other argument (an update, API parameters, query values), so that
    residents' names and texts stay out of the log at every level."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not isinstance(record.msg, str):
            record.msg, record.args = "<redacted>", None
        elif isinstance(record.args, Mapping):
            record.args = {k: _loggable(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_loggable(v) for v in record.args)
        return True


def _loggable(value: object) -> object:
    if value is None or isinstance(value, bool | int | float | BaseException):
        return value
    if isinstance(value, str) and _PLAIN_TEXT.fullmatch(value):
        return value  # an API method, a state name
    if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        return value  # a conversation key: chat and user id
    update_id = getattr(value, "update_id", None)
    if isinstance(update_id, int):
        return f"<update {update_id}>"
    return "<redacted>"


class RedactApiKey(logging.Filter):
    """On the loggers that see Open311 requests: `api_key=` and whatever follows it up to the
    next parameter is replaced, in the message and the traceback; a cut-off key too."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if _API_KEY.search(message):
            record.msg, record.args = _API_KEY.sub(r"\1<redacted>", message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and _API_KEY.search(record.exc_text):
            record.exc_text = _API_KEY.sub(r"\1<redacted>", record.exc_text)
            record.exc_info = None  # the exception's own text holds the key: keep only ours
        return True


def _install(names: tuple[str, ...], kind: type[logging.Filter]) -> None:
    for name in names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, kind) for f in logger.filters):
            logger.addFilter(kind())


def hide_resident_content() -> None:
    """Put HideContent on the libraries' loggers (idempotent; a filter on a logger works for
    every handler, whoever configured them)."""
    found = [n for n in logging.root.manager.loggerDict if n.split(".")[0] == "telegram"]
    _install((*CONTENT_LOGGERS, *sorted(found)), HideContent)


def redact_api_keys() -> None:
    """Put RedactApiKey on the loggers that can see an Open311 request (idempotent)."""
    _install(REQUEST_LOGGERS, RedactApiKey)


class OneLineFormatter(logging.Formatter):
    """Plain text, one line per event: line breaks in messages and tracebacks become ' | '."""

    def format(self, record: logging.LogRecord) -> str:
        return " | ".join(line for line in super().format(record).splitlines() if line.strip())


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the traceback if any."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: str, secrets: list[str], fmt: str = "plain") -> None:
    """Configure the root logger for a process (called once, by the CLI)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else OneLineFormatter(_FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    hide_resident_content()
    redact_api_keys()
