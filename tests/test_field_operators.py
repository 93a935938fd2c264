"""Operators (issue 15, item 9): what the person running the bot sees when the token is wrong,
when the Bot API cannot be reached, and when check-config meets what Telegram would refuse."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from bot.cli import main
from bot.domain import callbacks
from bot.domain.deployment import MAX_ID
from bot.emulator import Emulator
from bot.i18n import Catalogs
from tests.processes import bot_env, cli, count, free_port, read_until, start_bot, stop
from tests.test_deployment import MINIMAL

WRONG_TOKEN = "7000000001:this-token-was-revoked-ZZZ"
REACH = "The Bot API cannot be reached"
STILL = "The Bot API still cannot be reached"


async def test_a_rejected_token_is_one_line(emulator: Emulator, tmp_path: Path) -> None:
    env = bot_env(emulator, tmp_path, TRYGG_BOT_TOKEN=WRONG_TOKEN, TRYGG_LOG_LEVEL="INFO")
    migrate = ["migrate", "--database", env["TRYGG_DATABASE"]]
    assert await asyncio.to_thread(main, migrate) == 0  # set-up, in this process
    for command, extra in (
        ("run", {}),
        ("webhook", {"TRYGG_WEBHOOK_URL": "https://bot.example.org/telegram"}),
    ):
        more = {"TRYGG_WEBHOOK_SECRET": "s3cret", "TRYGG_WEBHOOK_PORT": str(free_port())}
        code, _, err = await cli({**env, **more, **extra}, command)
        assert code != 0, command
        assert "Traceback" not in err, err
        assert WRONG_TOKEN.split(":")[1] not in err, "the token is in the output"
        lines = err.strip().splitlines()
        assert len(lines) == 1, lines
        assert "rejected TRYGG_BOT_TOKEN (401 Unauthorized)" in lines[0]


async def test_an_unreachable_bot_api_at_start_is_one_warning(tmp_path: Path) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    env = bot_env(
        None,
        tmp_path,
        TRYGG_BOT_TOKEN=WRONG_TOKEN,
        TRYGG_API_BASE_URL=f"{nowhere}/bot",
        TRYGG_API_FILE_URL=f"{nowhere}/file/bot",
        TRYGG_LOG_LEVEL="INFO",
    )
    process = await start_bot(env, "run")
    seen: list[str] = []
    try:
        await read_until(process, seen, lambda lines: count(lines, STILL) >= 2)
    finally:
        code, rest = await stop(process)
    lines = seen + rest.splitlines()
    assert code == 0
    warnings = [line for line in lines if " WARNING " in line]
    assert len(warnings) == 1, warnings
    assert REACH in warnings[0]
    assert "retrying in 1.0 s" in warnings[0]
    assert all(" INFO " in line for line in lines if STILL in line)
    assert "retrying in 1.5 s" in next(line for line in lines if STILL in line)
    assert not [line for line in lines if "Traceback" in line or " ERROR " in line]


async def test_the_bot_api_going_away_while_polling(tmp_path: Path) -> None:
    first = Emulator()
    await first.start()
    port = first.port
    env = bot_env(first, tmp_path, TRYGG_LOG_LEVEL="INFO")
    process = await start_bot(env, "run")
    seen: list[str] = []
    try:
        await read_until(process, seen, lambda lines: count(lines, "Application started") > 0)
        await first.stop()  # Telegram is gone: connections refused
        await read_until(process, seen, lambda lines: count(lines, STILL) >= 2)
        async with Emulator(port=port) as second:  # and back
            second.world.send_text(4711, "/start")
            await second.world.wait_for(4711, timeout=40)  # the bot answers again
            await read_until(process, seen, lambda lines: count(lines, "reachable again") > 0)
            code, rest = await stop(process)
    finally:
        if process.returncode is None:
            await stop(process)
        await first.stop()
    lines = seen + rest.splitlines()
    assert code == 0
    assert count(lines, REACH) == 1
    warning = next(line for line in lines if REACH in line)
    assert " WARNING " in warning
    assert "retrying in" in warning
    assert all(" INFO " in line for line in lines if STILL in line)
    assert not [line for line in lines if "Traceback" in line or " ERROR " in line], lines


# ---------------------------------------------------------------------- check-config
NOTICE_LINE = 'notice_version = "1"\n'


def _check(tmp_path: Path, text: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    path = tmp_path / "deployment.toml"
    path.write_text(text, encoding="utf-8")
    code = main(["check-config", str(path)])
    return code, capsys.readouterr().err


def _passes(result: tuple[int, str]) -> bool:
    code, err = result
    return code == 0 and "Telegram skulle inte ta emot" not in err and "privacy.notice" not in err


def _with_notice(notices: str, text: str = MINIMAL) -> str:
    return text.replace(NOTICE_LINE, f"{NOTICE_LINE}notice = {{ {notices} }}\n")


def test_check_config_passes_a_good_notice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = '<b>Integritet</b> &amp; <a href="https://example.org">mer</a> &lt;3 &#228;'
    assert _passes(_check(tmp_path, _with_notice(f"sv = '{good}', en = 'Privacy.'"), capsys))


def test_check_config_speaks_swedish_with_plurals(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """check-config's summary in the file's language (Swedish), a count's noun in its form."""
    path = tmp_path / "deployment.toml"
    path.write_text(_with_notice("sv = 'Så hanterar vi dina uppgifter.'"), encoding="utf-8")
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    promise = next(line for line in out if line.startswith("  Löfte "))
    assert promise.endswith("), 1 åtagande")  # not '1 åtaganden', nor '1 commitments'
    assert out[1].startswith("  Stationer: 2, löften: 1, åtaganden: 1, aktörer: ")
    code, err = _check(tmp_path, MINIMAL, capsys)  # no notice: one thing refused
    assert code == 1
    assert err.splitlines()[-1] == f"{path}: Telegram skulle inte ta emot 1 sak ovan"


def test_check_config_refuses_a_notice_without_swedish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, err = _check(tmp_path, _with_notice("sw = 'Så hanterar vi dina uppgifter.'"), capsys)
    assert code == 1
    assert "privacy.notice.sv: missing" in err
    assert "privacy.notice.sw: 'sw' is not a language of this deployment" in err
    code, err = _check(tmp_path, MINIMAL, capsys)  # no notice at all
    assert code == 1
    assert "privacy.notice.sv: missing" in err


@pytest.mark.parametrize(
    ("notice", "why"),
    [
        ("<p>Hej</p>", "<p> is not a tag Telegram knows"),
        ("<b>Hej", "<b> is never closed"),
        ("<b><i>Hej</b></i>", "where </i> belongs"),
        ("Barn < 15 år", "'<' that starts no tag"),
        ("Polis & kommun", "bare '&'"),
        ("Polis&nbsp;och kommun", "&nbsp; is not an entity Telegram knows"),
        ("<span>dolt</span>", '<span class="tg-spoiler">'),
        ("<a>länk</a>", "<a> needs href"),
    ],
)
def test_check_config_refuses_html_telegram_would_refuse(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], notice: str, why: str
) -> None:
    code, err = _check(tmp_path, _with_notice(f"sv = '{notice}'"), capsys)
    assert code == 1
    assert "privacy.notice.sv: Telegram would refuse this HTML" in err
    assert why in err


def test_check_config_refuses_a_notice_over_4096_characters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], catalogs: Catalogs
) -> None:
    header = catalogs.text("sv", "privacy.header", version="1")
    room = 4096 - len(re.sub(r"<[^>]+>", "", header)) - 2  # header, blank line, notice
    fits = "&amp;" + "å" * (room - 1)  # an entity is one character
    assert _passes(_check(tmp_path, _with_notice(f"sv = '{fits}'"), capsys))
    code, err = _check(tmp_path, _with_notice(f"sv = '<b>{fits}x</b>'"), capsys)
    assert code == 1
    assert "privacy.notice.sv: 4097 characters with its header" in err
    assert "shorten it by 1" in err


def test_check_config_refuses_ids_too_long_for_callback_data(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base = _with_notice("sv = 'Integritet.'")
    # Ids are at most MAX_ID characters (bot.domain.deployment), well inside what each
    # format leaves room for (a case reference comes before an actor's id).
    station, category, actor = "s" * MAX_ID, "c" * MAX_ID, "a" * MAX_ID
    # The longest ids that fit make valid callback data in every format that carries them.
    callbacks.encode("abcdef", "st", station)
    callbacks.encode(callbacks.MENU, "promise", station)
    callbacks.encode("abcdef", "cat", category)
    callbacks.encode("c", "fw", f"ABCDE-999999.{actor}")
    fitting = (
        base.replace('id = "floda"', f'id = "{station}"')
        .replace('id = "belysning"', f'id = "{category}"')
        .replace('"kommunen"', f'"{actor}"')
    )
    assert _passes(_check(tmp_path, fitting, capsys))
    too_long = (
        base.replace('id = "floda"', f'id = "{station}x"')
        .replace('id = "belysning"', f'id = "{category}x"')
        .replace('"kommunen"', f'"{actor}x"')
    )
    code, err = _check(tmp_path, too_long, capsys)
    assert code == 2  # the file is not valid: refused before anything else is checked
    line = f"an id is at most {MAX_ID} characters (buttons carry it), not {MAX_ID + 1}"
    assert f"stations[1] ({station}x).id: {line}" in err
    assert f"categories[0] ({category}x).id: {line}" in err
    assert f"actors[1] ({actor}x).id: {line}" in err
    # An actor id a little longer breaks the forward button: refused long before that.
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.encode("c", "fw", f"JKB-999999.{'a' * (callbacks.MAX_PART - 10)}")
