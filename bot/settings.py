"""Process settings: read once from the environment (and an optional .env file)."""

from __future__ import annotations

import re
from email.utils import formataddr, getaddresses, parseaddr
from importlib import resources
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "TRYGG_"
OFFICIAL_API_URL = "https://api.telegram.org/bot"
OFFICIAL_FILE_URL = "https://api.telegram.org/file/bot"

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


def bundled_deployment_path() -> Path:
    """Return the deployment file shipped with the code (wheel or source checkout)."""
    packaged = resources.files("bot").joinpath("bundled", "deployment.toml")
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "deploy" / "deployment.toml"


class Settings(BaseSettings):
    """Everything that differs between processes of one deployment."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    bot_token: SecretStr | None = Field(default=None, description="Token from @BotFather")
    # The bot's @username, for the deep links on station posters (`trygghetsbot poster`);
    # empty: not known.
    bot_username: str = Field(default="", pattern=r"^(@?[A-Za-z][A-Za-z0-9_]{3,31})?$")
    api_base_url: str = Field(default=OFFICIAL_API_URL, description="Bot API base URL")
    api_file_url: str = Field(default=OFFICIAL_FILE_URL, description="Bot API file URL")
    database: Path = Field(default=Path("data/trygghetsbot.sqlite3"))
    deployment: Path = Field(default_factory=bundled_deployment_path)
    media_dir: Path = Field(default=Path("data/media"))
    log_level: LogLevel = "INFO"
    # One line per event: plain text, or one JSON object per line for a log collector.
    log_format: Literal["plain", "json"] = "plain"
    # Prometheus metrics and a health check (`/metrics`, `/health`); unset: no server.
    metrics_port: int | None = Field(default=None, ge=0, lt=65536)
    metrics_listen: str = "127.0.0.1"
    # Outbound pace: Telegram allows about 30 messages/s in all and 1 per second per chat;
    # with paid broadcasts (allow_paid_broadcast) up to 1000/s.
    rate_per_second: int = Field(default=30, gt=0, le=1000)
    rate_per_chat: float = Field(default=1.0, gt=0)
    # ... and about 20 messages a minute in one group chat (the outbox keeps each group to it).
    group_per_minute: int = Field(default=20, gt=0)
    paid_broadcast: bool = False
    # At start-up, ask Telegram (getChat) whether every staff chat can be reached, in the
    # background; those refused are marked and the admins told, as for a refused card.
    check_staff_chats: bool = True
    # The monthly lägesbild to admins (every morning at 08:00 and two minutes after each
    # start). The local shell and the tests turn it off unless it is set.
    lagesbild_monthly: bool = True
    # Webhook mode (`trygghetsbot webhook`): Telegram posts updates to this public URL, with
    # the secret in a header that is checked on every request.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8443, ge=0, lt=65536)
    # The Open311 GeoReport v2 read API (`trygghetsbot api`): public case data only. With a
    # key set, every request must carry ?api_key=<key>.
    open311_listen: str = "127.0.0.1"
    open311_port: int = Field(default=8080, ge=0, lt=65536)
    open311_api_key: SecretStr | None = None
    # The staff web pages (`trygghetsbot web`, or with web_with_bot inside `run` and
    # `webhook`, over the bot's own services): where they listen, the public base URL used
    # in sign-in links (unset: /webb hands out no link) and the map tiles.
    web_with_bot: bool = False
    web_listen: str = "127.0.0.1"
    web_port: int = Field(default=8088, ge=0, lt=65536)
    web_url: str | None = None
    web_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    web_tile_attribution: str = (
        '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
    )
    # A chat (e.g. the IT department's group) told about errors, at most once a minute.
    ops_chat_id: int | None = None
    # E-mail to staff (optional: without a host, e-mail is off).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, gt=0, lt=65536)
    smtp_tls: Literal["none", "starttls", "tls"] = "starttls"
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "trygghetsboten@example.org"

    @field_validator(
        "bot_token",
        "open311_api_key",
        "metrics_port",
        "ops_chat_id",
        "smtp_host",
        "webhook_url",
        "webhook_secret",
        "web_url",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("bot_token")
    @classmethod
    def _token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # A token looks like "123456:ABC-..."; the message never echoes the value.
        if value is not None:
            bot_id, sep, secret = value.get_secret_value().partition(":")
            if not (sep and bot_id.isdigit() and secret):
                raise ValueError("must look like '<digits>:<secret>' as given by @BotFather")
        return value

    @field_validator("api_base_url", "api_file_url", "web_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @field_validator("web_port")
    @classmethod
    def _own_port(cls, value: int, info: ValidationInfo) -> int:
        # The web pages and the Open311 API run on one host (and in one process, the bot's
        # metrics and webhook server with TRYGG_WEB_WITH_BOT): one port each. 0: any free one.
        data = info.data
        others = ["open311"]
        if data.get("web_with_bot"):
            others += ["metrics", "webhook"] if data.get("webhook_url") else ["metrics"]
        for other in others:
            listen, port = data.get(f"{other}_listen"), data.get(f"{other}_port")
            if value and value == port and _same_host(data.get("web_listen"), listen):
                name = f"{ENV_PREFIX}{other.upper()}_PORT"
                raise ValueError(f"is also {name} ({port}): give the web pages a port of their own")
        return value

    @field_validator("smtp_from")
    @classmethod
    def _email_address(cls, value: str) -> str:
        # "trygghetsboten@example.org" or "Trygghetsboten <trygghetsboten@example.org>"; the
        # value is a header of every e-mail sent, so a line break is refused too. An IDN
        # domain is written in punycode: a non-ASCII address needs SMTPUTF8 at the server.
        address = sender_address(value)
        if address is None:
            raise ValueError(
                "must be an e-mail address, such as trygghetsboten@example.org"
                " or 'Trygghetsboten <trygghetsboten@example.org>'"
                " (a-z, digits and '-' in each part of the domain; no accents before '@')"
            )
        return address

    @field_validator("media_dir", mode="before")
    @classmethod
    def _media_dir_given(cls, value: object) -> object:
        # An empty value would be the current folder: photos wherever the bot was started.
        if isinstance(value, str) and not value.strip():
            raise ValueError("must name a folder, such as data/media")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


#: Listen addresses that take a port on every address of the host.
_ANY_ADDRESS = {"", "0.0.0.0", "::"}


def _same_host(one: object, other: object) -> bool:
    """Whether servers listening on these addresses would want the same sockets."""
    return one == other or one in _ANY_ADDRESS or other in _ANY_ADDRESS


_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?")


def sender_address(value: str) -> str | None:
    """`value` as a From header (an IDN domain in punycode), or None when it is not one
    e-mail address, optionally with a name, that survives being read and written back."""
    if not value.isprintable() or len(getaddresses([value])) != 1:
        return None
    name, address = parseaddr(value)
    value = value.strip()
    written = formataddr((name, "@")).replace("<@>", f"<{address}>")  # also a non-ASCII one
    if value not in {address, written, f"{name} <{address}>"}:
        return None  # "Trygg <a@example.org" (unclosed), "a @example.org"
    local, at, domain = address.rpartition("@")
    if not (at and local.isascii() and local.isprintable() and " " not in local):
        return None
    try:
        domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return None
    labels = domain.split(".")
    if len(labels) < 2 or not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return value.replace(address, f"{local}@{domain}")


class SettingsError(Exception):
    """Settings could not be read; `lines` holds one human-readable line per problem, and
    `problems` the same as (variable, the validator's message)."""

    def __init__(self, lines: list[str], problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.problems = problems if problems is not None else [("", line) for line in lines]


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one line per bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines, problems = [], []
        for error in exc.errors(include_input=False, include_url=False):
            field = ".".join(str(part) for part in error["loc"])
            problems.append((f"{ENV_PREFIX}{field.upper()}", error["msg"]))
            lines.append(f"Invalid setting {ENV_PREFIX}{field.upper()}: {error['msg']}")
        raise SettingsError(lines, problems) from None
