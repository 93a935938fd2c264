"""`trygghetsbot doctor` against the emulator, a real database and SMTP: once as its own
process (test_all_checks_pass), else `bot.cli.main(["doctor"])` in this process (cli_here),
which reads the same output without paying a Python start-up per case."""

from __future__ import annotations

import re
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

CHECKS = [
    "inställningar",
    "driftfil",
    "Telegram",
    "personalens chattar",
    "databas",
    "mediemapp",
    "e-post",
]
PASS, FAIL = "GODKÄND", "UNDERKÄND"
#: Words of the English lines the doctor wrote before they were Swedish.
ENGLISH = re.compile(
    r"\b(PASS|FAIL|cannot|not|missing|skipped|writable|exist|free|staff|stations|directory"
    r"|reached|within|current|open|case)\b"
)
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
    code, {check: (GODKÄND|UNDERKÄND, detail)} and all output."""

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
        # The status in a column as wide as the longer word, two spaces, the check's name.
        assert line[len(FAIL) : len(FAIL) + 2] == "  ", line
        assert line[len(FAIL) + 2] != " ", line
        status, _, rest = line.partition(" ")
        assert status in (PASS, FAIL), line
        name, _, detail = rest.lstrip(" ").partition(": ")
        results[name] = (status, detail)
    assert list(results) == CHECKS, stdout
    return code, results, stdout


async def test_all_checks_pass(
    env: dict[str, str], smtp: tuple[Sink, int], tmp_path: Path, doctor: Doctor
) -> None:
    code, results, stdout = await doctor(env, process=True)  # the real command, once
    assert code == 0, stdout
    assert all(status == PASS for status, _ in results.values()), stdout
    assert stdout.strip().splitlines()[-1] == "Alla 7 kontroller är godkända."
    assert "(7000000001) hos " in results["Telegram"][1]  # the bot id getMe returned
    seen = f"schema {LATEST_VERSION}, journalläge wal, skrivbar, quick_check ok"
    assert seen in results["databas"][1]
    assert "finns inte än; den kan skapas i" in results["mediemapp"][1]
    assert "EHLO ok, utan inloggning" in results["e-post"][1]
    assert smtp[0].messages == []  # the doctor sends no mail
    assert not (tmp_path / "media").exists()  # nor creates anything


async def test_without_smtp_the_check_says_email_is_off(
    env: dict[str, str], doctor: Doctor
) -> None:
    del env["TRYGG_SMTP_HOST"]
    code, results, stdout = await doctor(env)
    assert code == 0, stdout
    off = "hoppades över: TRYGG_SMTP_HOST är tomt, så e-post är avstängd"
    assert results["e-post"] == (PASS, off)


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
            "Telegram",
            "http://127.0.0.1:",
        ),
        (
            lambda env: env.update(TRYGG_API_BASE_URL=f"http://127.0.0.1:{free_port()}/bot"),
            "Telegram",
            "går inte att nå http://127.0.0.1:",
        ),
        (
            lambda env: env.pop("TRYGG_BOT_TOKEN"),
            "Telegram",
            "TRYGG_BOT_TOKEN saknas",
        ),
        (
            lambda env: Path(env["TRYGG_DATABASE"]).unlink(),
            "databas",
            "finns inte; `trygghetsbot migrate` skapar den (det gör run också)",
        ),
        (
            set_user_version(LATEST_VERSION - 1),
            "databas",
            f"schema {LATEST_VERSION - 1}, det aktuella är {LATEST_VERSION}: "
            "kör trygghetsbot migrate",
        ),
        (
            set_user_version(LATEST_VERSION + 1),
            "databas",
            f"schema {LATEST_VERSION + 1} är nyare än programmet ({LATEST_VERSION})",
        ),
        (journal_delete, "databas", "journalläge delete, inte wal"),
        (
            lambda env: Path(env["TRYGG_DATABASE"]).write_bytes(b"not a database" * 100),
            "databas",
            "file is not a database",  # SQLite's own words
        ),
        (bad_deployment, "driftfil", "deployment.toml: not valid TOML"),  # the loader's
        (
            lambda env: env.update(TRYGG_DEPLOYMENT="/nonexistent/deployment.toml"),
            "driftfil",
            "/nonexistent/deployment.toml: deployment file not found",
        ),
        (
            lambda env: env.update(TRYGG_MEDIA_DIR=env["TRYGG_DATABASE"]),
            "mediemapp",
            "är inte en mapp",
        ),
        (
            lambda env: env.update(TRYGG_SMTP_PORT=str(free_port())),
            "e-post",
            "(none): Error connecting",  # aiosmtplib's words after ours
        ),
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
    assert status == FAIL
    assert expected in detail
    assert all(status == PASS for status, _ in results.values()), stdout
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
    assert "låst av en annan skrivare (en bot som kör?)" in results["databas"][1]


async def test_invalid_settings_are_a_failed_check(
    env: dict[str, str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env["TRYGG_LOG_LEVEL"] = "LOUD"
    code, out, _ = await cli_here(env, "doctor", capsys=capsys, monkeypatch=monkeypatch)
    assert code == 1
    assert out.startswith("UNDERKÄND  inställningar: ogiltig inställning TRYGG_LOG_LEVEL: ")


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
    status, detail = results.pop("driftfil")
    assert status == FAIL
    assert "1 öppet ärende vid stationer som filen inte längre har" in detail
    assert "GML-0001 (gamla-stan)" in detail
    assert "GML-0002" not in detail  # closed: nobody needs reminding
    assert "JKB-0001" not in detail
    assert all(status == PASS for status, _ in results.values()), stdout


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
    status, detail = results.pop("personalens chattar")
    assert status == FAIL
    assert detail.startswith("2 av 7 i personalen går inte att nå på Telegram: ")
    never = "Trygghetssamordnare Järfälla kommun (platshållare) (100000002): Chat not found"
    assert never in detail
    assert "Blockerad Partner (4343): Forbidden: bot was blocked by the user" in detail
    assert "Inbjuden Partner" not in detail
    assert "De får inga kort där förrän de öppnar boten och trycker på Starta" in detail
    assert all(status == PASS for status, _ in results.values()), stdout
    assert stdout.strip().splitlines()[-1] == "1 av 7 kontroller underkända: personalens chattar."


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
    status, detail = results["personalens chattar"]
    assert status == FAIL
    assert detail.startswith("1 av 5 i personalen går inte att nå på Telegram: "), detail
    marked = "(100000001): boten har noterat att chatten inte går att nå: my_chat_member: kicked"
    assert marked in detail
    assert "Hen får inga kort där förrän hen öppnar boten och trycker på Starta" in detail
    assert emulator.world.users[100000001].started  # Telegram itself still answers getChat


async def test_every_line_the_doctor_writes_is_swedish(env: dict[str, str], doctor: Doctor) -> None:
    """Each check's line, its name and its detail are Swedish, as the closing lines are; only
    a library's own error text may be English, and none is in these set-ups."""
    _, _, passing = await doctor(env)
    break_three(env)
    code, results, failing = await doctor(env)
    assert code == 1
    assert [name for name, (status, _) in results.items() if status == FAIL] == [
        "Telegram",
        "databas",
        "mediemapp",
    ], failing
    for output in (passing, failing):
        assert ENGLISH.findall(output) == [], output


def break_three(env: dict[str, str]) -> None:
    """A refused token, no database, a file where the media folder should be; no SMTP."""
    media = Path(env["TRYGG_DATABASE"]).with_name("media.txt")
    media.write_text("x", encoding="utf-8")
    Path(env["TRYGG_DATABASE"]).unlink()
    env.update(TRYGG_BOT_TOKEN=f"7000000001:{WRONG_SECRET}", TRYGG_MEDIA_DIR=str(media))
    del env["TRYGG_SMTP_HOST"]
