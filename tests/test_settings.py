"""Process settings: parsing, defaults, and that the token never leaks."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.logs import RedactSecrets, configure_logging
from bot.settings import OFFICIAL_API_URL, SettingsError, bundled_deployment_path, load_settings

TOKEN = "123456789:AAH-very-secret-token-value"


def test_defaults_without_environment() -> None:
    settings = load_settings()
    assert settings.bot_token is None
    assert settings.api_base_url == OFFICIAL_API_URL
    assert settings.database == Path("data/trygghetsbot.sqlite3")
    assert settings.deployment == bundled_deployment_path()
    assert settings.deployment.is_file()
    assert settings.log_level == "INFO"


def test_reads_prefixed_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRYGG_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("TRYGG_API_BASE_URL", "http://127.0.0.1:9999/bot")
    monkeypatch.setenv("TRYGG_API_FILE_URL", "http://127.0.0.1:9999/file/bot")
    monkeypatch.setenv("TRYGG_DATABASE", str(tmp_path / "x.sqlite3"))
    monkeypatch.setenv("TRYGG_DEPLOYMENT", str(tmp_path / "d.toml"))
    monkeypatch.setenv("TRYGG_MEDIA_DIR", str(tmp_path / "media"))
    monkeypatch.setenv("TRYGG_LOG_LEVEL", "debug")
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.api_base_url == "http://127.0.0.1:9999/bot"
    assert settings.api_file_url == "http://127.0.0.1:9999/file/bot"
    assert settings.database == tmp_path / "x.sqlite3"
    assert settings.deployment == tmp_path / "d.toml"
    assert settings.media_dir == tmp_path / "media"
    assert settings.log_level == "DEBUG"


def test_reads_dotenv_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"TRYGG_BOT_TOKEN={TOKEN}\nTRYGG_LOG_LEVEL=WARNING\n")
    settings = load_settings()
    assert settings.bot_token is not None
    assert settings.bot_token.get_secret_value() == TOKEN
    assert settings.log_level == "WARNING"


def test_empty_token_means_no_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYGG_BOT_TOKEN", "  ")
    assert load_settings().bot_token is None


@pytest.mark.parametrize(
    "name", ["METRICS_PORT", "OPS_CHAT_ID", "SMTP_HOST", "WEBHOOK_URL", "OPEN311_API_KEY"]
)
def test_empty_optional_setting_means_unset(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """`TRYGG_METRICS_PORT=` in a .env file (or Docker) switches it off instead of failing."""
    monkeypatch.setenv(f"TRYGG_{name}", "")
    assert getattr(load_settings(), name.lower()) is None


def test_token_never_in_repr_str_or_dump(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRYGG_BOT_TOKEN", TOKEN)
    settings = load_settings()
    for text in (
        repr(settings),
        str(settings),
        settings.model_dump_json(),
        str(settings.bot_token),
    ):
        assert TOKEN not in text
        assert "very-secret" not in text


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("TRYGG_LOG_LEVEL", "LOUD", "Invalid setting TRYGG_LOG_LEVEL"),
        ("TRYGG_API_BASE_URL", "api.telegram.org", "Invalid setting TRYGG_API_BASE_URL"),
        ("TRYGG_BOT_TOKEN", "not-a-token-secretvalue", "Invalid setting TRYGG_BOT_TOKEN"),
    ],
)
def test_bad_value_gives_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert len(info.value.lines) == 1
    assert info.value.lines[0].startswith(expected)
    assert "\n" not in info.value.lines[0]
    assert "secretvalue" not in info.value.lines[0]  # the bad token is never echoed


def test_logging_redacts_the_token(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", [TOKEN])
    log = logging.getLogger("test.redact")
    log.info("calling https://api.telegram.org/bot%s/getMe", TOKEN)
    try:
        raise RuntimeError(f"failed at /bot{TOKEN}/sendMessage")
    except RuntimeError:
        log.exception("boom")
    err = capsys.readouterr().err
    assert "getMe" in err
    assert "boom" in err
    assert TOKEN not in err
    assert err.count("<token>") >= 2
    assert logging.getLogger("httpx").level == logging.WARNING
    logging.getLogger().handlers.clear()


def test_redaction_filter_leaves_other_records_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    assert RedactSecrets([TOKEN]).filter(record)
    assert record.getMessage() == "hello world"
