"""Operations: Prometheus metrics, the health check, JSON logs and the activity line."""

from __future__ import annotations

import json
import logging

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.logs import configure_logging
from bot.metrics import Metrics
from bot.settings import Settings
from tests.bots import build, serving
from tests.images import jpeg
from tests.people import Person, to_description

RESIDENT = 1001
POLIS_JKB = 100000001


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Parse Prometheus text format (fails on anything malformed)."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_metrics_and_health_while_the_bot_runs(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    # rate_per_chat: the officer's card and its photo need not be a second apart (test_desk
    # tests the outbox's pacing per chat; here it would only be waiting).
    settings = bot_settings.model_copy(update={"metrics_port": 0, "rate_per_chat": 50.0})
    emulator.world.user(POLIS_JKB, "Officer").started = True
    app = build(emulator, settings, deployment)
    async with serving(app, emulator):
        port = app.bot_data.metrics_port
        assert port
        resident = Person(emulator.world, RESIDENT, catalogs)
        await to_description(resident, "Jakobsberg", "Belysning", "Trappan")
        await resident.say("Lamporna är trasiga.")
        await resident.send_photo(jpeg())
        await resident.tap(resident.t("nav.done"))
        await resident.tap(resident.t("summary.send"))
        await emulator.world.wait_for(POLIS_JKB, lambda m: "JKB-0001" in m.text)
        async with aiohttp.ClientSession() as http:
            async with http.get(f"http://127.0.0.1:{port}/health") as response:
                assert response.status == 200
                assert await response.text() == "ok\n"
            async with http.get(f"http://127.0.0.1:{port}/metrics") as response:
                assert response.status == 200
                assert response.headers["Content-Type"].startswith("text/plain")
                got = samples(await response.text())
    updates = got[("trygghetsbot_updates_total", ())]
    assert updates >= 10  # every message and button press of the walk
    assert got[("trygghetsbot_handler_seconds_count", ())] == updates
    assert got[("trygghetsbot_handler_seconds_bucket", (("le", "+Inf"),))] == updates
    assert got[("trygghetsbot_reports_total", (("kind", "report"), ("station", "jakobsberg")))] == 1
    assert got[("trygghetsbot_deliveries_total", (("channel", "telegram"),))] >= 1
    assert ("trygghetsbot_outbox_messages", (("status", "pending"),)) in got
    assert got[("trygghetsbot_outbox_messages", (("status", "sent"),))] >= 1
    assert got[("trygghetsbot_update_failures_total", ())] == 0
    # After the bot stopped, the server is gone.
    async with aiohttp.ClientSession() as http:
        with pytest.raises(aiohttp.ClientConnectionError):
            await http.get(f"http://127.0.0.1:{port}/health")


async def test_no_metrics_server_unless_asked(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    app = build(emulator, bot_settings, deployment)
    async with serving(app, emulator):
        assert app.bot_data.metrics_runner is None
        assert app.bot_data.metrics is not None  # counted anyway, for the activity line


def test_activity_line_counts_since_the_last_one(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics()
    for _ in range(3):
        metrics.observe_update(0.01)
    metrics.reports.labels("floda", "report").inc()
    metrics.deliveries.labels("telegram").inc(2)
    metrics.delivery_failures.labels("telegram", "flood").inc()
    metrics.update_failures.inc()
    metrics.log_activity()
    metrics.observe_update(0.02)
    metrics.log_activity()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.metrics"]
    assert lines == [
        "Activity: 3 updates, 1 reports, 2 deliveries, 2 failures",
        "Activity: 1 updates, 0 reports, 0 deliveries, 0 failures",
    ]


def test_json_logs_one_object_per_line_token_redacted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = "123456:SECRET-part-of-a-token"
    configure_logging("INFO", [secret], "json")
    log = logging.getLogger("trygg.test")
    log.info("Case %s submitted", "JKB-0001")
    try:
        raise RuntimeError(f"failed calling https://api.telegram.org/bot{secret}/getMe")
    except RuntimeError:
        log.exception("Bot API call failed\nsecond line")
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 2  # multi-line messages and tracebacks stay inside one JSON line
    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "Case JKB-0001 submitted"
    assert first["level"] == "INFO"
    assert first["logger"] == "trygg.test"
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR"
    assert "RuntimeError" in second["exception"]
    assert secret not in err
    assert "<token>" in second["exception"]


def test_plain_logs_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", [])
    log = logging.getLogger("trygg.test")
    log.info("hello")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.exception("two\nlines")
    err = capsys.readouterr().err
    first, second = err.splitlines()  # one line per event, the traceback included
    assert first.endswith("INFO trygg.test: hello")
    assert "ERROR trygg.test: two | lines | Traceback" in second
    assert second.endswith("RuntimeError: boom")
    with pytest.raises(json.JSONDecodeError):
        json.loads(err)
