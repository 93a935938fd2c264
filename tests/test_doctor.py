"""`trygghetsbot doctor` against the emulator, a real database and SMTP: once as its own
process (test_all_checks_pass), else `bot.cli.main(["doctor"])` in this process (cli_here),
which reads the same output without paying a Python start-up per case."""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

import bot.doctor
from bot.domain.deployment import Deployment
from bot.emulator import EMULATOR_TOKEN, Emulator
from storage import Database
from storage.migrations import LATEST_VERSION
from tests.processes import Sink, bot_env, cli, cli_here, free_port

CHECKS = ["settings", "deployment", "bot api", "staff chats", "database", "media", "smtp"]
WRONG_SECRET = "not-the-emulator-secret"


@pytest.fixture
async def env(
    emulator: Emulator, smtp: tuple[Sink, int], tmp_path: Path, deployment: Deployment
) -> dict[str, str]:
    """Everything configured and healthy: the emulator, a migrated database, SMTP, and every
    staff member of the (bundled) deployment file has opened the bot."""
    async with await Database.open(tmp_path / "e2e.sqlite3"):
        pass
    for member in deployment.staff:
        if member.telegram_id is not None:
            emulator.world.user(member.telegram_id, member.name).started = True
    return bot_env(
        emulator,
        tmp_path,
        TRYGG_MEDIA_DIR=str(tmp_path / "media"),
        TRYGG_SMTP_HOST="127.0.0.1",
        TRYGG_SMTP_PORT=str(smtp[1]),
        TRYGG_SMTP_TLS="none",
    )


Outcome = tuple[int, dict[str, tuple[str, str]], str]
Doctor = Callable[..., Awaitable[Outcome]]


@pytest.fixture
def doctor(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Doctor:
    """Run the doctor in this process (`process=True`: as its own process); return its exit
    code, {check: (PASS|FAIL, detail)} and all output."""

    async def run(env: dict[str, str], *, process: bool = False) -> Outcome:
        if process:
            code, stdout, stderr = await cli(env, "doctor")
        else:
            code, stdout, stderr = await cli_here(
                env, "doctor", capsys=capsys, monkeypatch=monkeypatch
            )
        return parse(env, code, stdout, stderr)

    return run


def parse(env: dict[str, str], code: int, stdout: str, stderr: str) -> Outcome:
    everything = stdout + stderr
    assert "Traceback" not in everything
    for token in (env.get("TRYGG_BOT_TOKEN", ""), EMULATOR_TOKEN):
        secret = token.partition(":")[2]
        assert not secret or secret not in everything
    lines = stdout.strip().splitlines()
    results = {}
    for line in lines[:-1]:
        status, _, rest = line.partition("  ")
        name, _, detail = rest.partition(": ")
        results[name] = (status, detail)
    assert list(results) == CHECKS, stdout
    return code, results, stdout


async def test_all_checks_pass(
    env: dict[str, str], smtp: tuple[Sink, int], tmp_path: Path, doctor: Doctor
) -> None:
    code, results, stdout = await doctor(env, process=True)  # the real command, once
    assert code == 0, stdout
    assert all(status == "PASS" for status, _ in results.values()), stdout
    assert stdout.strip().splitlines()[-1] == "Alla 7 kontroller är godkända."
    assert "7000000001" in results["bot api"][1]  # the bot id getMe returned
    assert f"schema {LATEST_VERSION}, wal, writable, quick_check ok" in results["database"][1]
    assert "does not exist yet" in results["media"][1]
    assert "EHLO ok" in results["smtp"][1]
    assert smtp[0].messages == []  # the doctor sends no mail
    assert not (tmp_path / "media").exists()  # nor creates anything


async def test_without_smtp_the_check_says_email_is_off(
    env: dict[str, str], doctor: Doctor
) -> None:
    del env["TRYGG_SMTP_HOST"]
    code, results, stdout = await doctor(env)
    assert code == 0, stdout
    assert results["smtp"] == ("PASS", "skipped: TRYGG_SMTP_HOST is not set, e-mail is off")


def set_user_version(version: int) -> Callable[[dict[str, str]], None]:
    def change(env: dict[str, str]) -> None:
        with sqlite3.connect(env["TRYGG_DATABASE"]) as conn:
            conn.execute(f"PRAGMA user_version = {version}")

    return change


def journal_delete(env: dict[str, str]) -> None:
    conn = sqlite3.connect(env["TRYGG_DATABASE"])
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()


def bad_deployment(env: dict[str, str]) -> None:
    path = Path(env["TRYGG_DATABASE"]).parent / "deployment.toml"
    path.write_text("[deployment\nname = 'x'\n", encoding="utf-8")
    env["TRYGG_DEPLOYMENT"] = str(path)


@pytest.mark.parametrize(
    ("change", "check", "expected"),
    [
        (
            lambda env: env.update(TRYGG_BOT_TOKEN=f"7000000001:{WRONG_SECRET}"),
            "bot api",
            "token refused by http://127.0.0.1:",
        ),
        (
            lambda env: env.update(TRYGG_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot"),
            "bot api",
            "cannot reach http://127.0.0.1:",
        ),
        (
            lambda env: env.pop("TRYGG_BOT_TOKEN"),
            "bot api",
            "TRYGG_BOT_TOKEN is not set",
        ),
        (
            lambda env: Path(env["TRYGG_DATABASE"]).unlink(),
            "database",
            "does not exist; `trygghetsbot migrate` creates it (run does too)",
        ),
        (
            set_user_version(LATEST_VERSION - 1),
            "database",
            f"schema {LATEST_VERSION - 1}, current {LATEST_VERSION}: run trygghetsbot migrate",
        ),
        (
            set_user_version(LATEST_VERSION + 1),
            "database",
            f"schema {LATEST_VERSION + 1} is newer than this program ({LATEST_VERSION})",
        ),
        (journal_delete, "database", "journal mode delete, not wal"),
        (
            lambda env: Path(env["TRYGG_DATABASE"]).write_bytes(b"not a database" * 100),
            "database",
            "file is not a database",
        ),
        (bad_deployment, "deployment", "deployment.toml: not valid TOML"),
        (
            lambda env: env.update(TRYGG_DEPLOYMENT="/nonexistent/deployment.toml"),
            "deployment",
            "/nonexistent/deployment.toml: deployment file not found",
        ),
        (
            lambda env: env.update(TRYGG_MEDIA_DIR=env["TRYGG_DATABASE"]),
            "media",
            "is not a directory",
        ),
        (lambda env: env.update(TRYGG_SMTP_PORT=str(free_port())), "smtp", "Error connecting"),
    ],
    ids=[
        "wrong-token",
        "api-unreachable",
        "no-token",
        "no-database",
        "old-schema",
        "new-schema",
        "not-wal",
        "not-sqlite",
        "bad-deployment",
        "no-deployment",
        "media-is-a-file",
        "smtp-closed",
    ],
)
async def test_one_failure_is_reported_and_the_rest_still_pass(
    env: dict[str, str],
    change: Callable[[dict[str, str]], object],
    check: str,
    expected: str,
    doctor: Doctor,
) -> None:
    change(env)
    code, results, stdout = await doctor(env)
    assert code == 1
    status, detail = results.pop(check)
    assert status == "FAIL"
    assert expected in detail
    assert all(status == "PASS" for status, _ in results.values()), stdout
    assert stdout.strip().splitlines()[-1] == f"1 av 7 kontroller underkända: {check}."
    assert WRONG_SECRET not in stdout


async def test_a_running_writer_holding_the_lock_is_not_a_failure(
    env: dict[str, str], doctor: Doctor, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The probe waits this long for the writer, which holds the lock throughout.
    monkeypatch.setattr(bot.doctor, "BUSY_TIMEOUT", 0.2)
    conn = sqlite3.connect(env["TRYGG_DATABASE"], isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")  # as a running bot does for each write
        code, results, stdout = await doctor(env)
    finally:
        conn.close()
    assert code == 0, stdout
    assert "locked by another writer" in results["database"][1]


async def test_invalid_settings_are_a_failed_check(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env["TRYGG_LOG_LEVEL"] = "LOUD"
    code, out, _ = await cli_here(env, "doctor", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert out.startswith("FAIL  settings: Invalid setting TRYGG_LOG_LEVEL")


async def test_open_cases_at_a_station_the_file_no_longer_has_are_named(
    env: dict[str, str], doctor: Doctor
) -> None:
    from bot.domain.models import CaseKind, NewCase
    from storage.cases import CaseRepository

    async with await Database.open(Path(env["TRYGG_DATABASE"])) as db:
        cases = CaseRepository(db)
        for _ in range(2):
            await cases.create(NewCase("gamla-stan", "GML", CaseKind.REPORT, "Mörkt"))
        await cases.create(NewCase("jakobsberg", "JKB", CaseKind.REPORT, "Mörkt"))
        async with db.transaction() as conn:
            await conn.execute(
                "UPDATE cases SET status = 'not_actionable' WHERE reference = 'GML-0002'"
            )
    code, results, stdout = await doctor(env)
    assert code == 1
    status, detail = results.pop("deployment")
    assert status == "FAIL"
    assert "1 open case at stations the file no longer has" in detail
    assert "GML-0001 (gamla-stan)" in detail
    assert "GML-0002" not in detail  # closed: nobody needs reminding
    assert "JKB-0001" not in detail
    assert all(status == "PASS" for status, _ in results.values()), stdout


async def test_staff_who_never_opened_the_bot_are_named(
    env: dict[str, str], emulator: Emulator, doctor: Doctor
) -> None:
    """Telegram lets a bot write only to someone who has opened it: getChat on each staff
    chat finds those who have not (from the file, and linked by an invite code)."""
    from storage.staff import StaffRepository

    world = emulator.world
    world.users[100000002].started = False  # listed in the file, never opened the bot
    async with await Database.open(Path(env["TRYGG_DATABASE"])) as db:
        staff = StaffRepository(db)
        for telegram_id, name in ((4242, "Inbjuden Partner"), (4343, "Blockerad Partner")):
            invite, _ = await staff.create_invite("partner", "vasttrafik", ["lerum"], None, 24)
            await staff.redeem(invite, telegram_id, name)
    world.user(4242).started = True
    world.user(4343).started = True
    world.block(4343)  # linked, then blocked the bot
    code, results, stdout = await doctor(env)
    assert code == 1, stdout
    status, detail = results.pop("staff chats")
    assert status == "FAIL"
    assert detail.startswith("2 of 7 staff cannot be reached on Telegram: ")
    never = "Trygghetssamordnare Järfälla kommun (platshållare) (100000002): Chat not found"
    assert never in detail
    assert "Blockerad Partner (4343): Forbidden: bot was blocked by the user" in detail
    assert "Inbjuden Partner" not in detail
    assert "open the bot and press Start" in detail
    assert all(status == "PASS" for status, _ in results.values()), stdout
    assert stdout.strip().splitlines()[-1] == "1 av 7 kontroller underkända: staff chats."


async def test_staff_chats_the_bot_found_unreachable_are_named(
    env: dict[str, str], emulator: Emulator, doctor: Doctor
) -> None:
    """getChat may well succeed for someone who blocked the bot: a chat the bot recorded as
    unreachable (a refused card, my_chat_member) counts as unreachable until they write."""
    from storage.chats import ChatRepository

    async with await Database.open(Path(env["TRYGG_DATABASE"])) as db:
        await ChatRepository(db).set_active(100000001, False, "my_chat_member: kicked")
    code, results, stdout = await doctor(env)
    assert code == 1, stdout
    status, detail = results["staff chats"]
    assert status == "FAIL"
    assert detail.startswith("1 of 5 staff cannot be reached on Telegram: "), detail
    assert "(100000001): marked unreachable: my_chat_member: kicked" in detail
    assert emulator.world.users[100000001].started  # Telegram itself still answers getChat
