"""Shared fixtures: a clean environment, the bundled deployment, an emulator, a running bot."""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from bot.app import build_application, running
from bot.cli import main
from bot.config import load_deployment
from bot.domain.deployment import Deployment
from bot.emulator import EMULATOR_TOKEN, Emulator
from bot.i18n import Catalogs, available_languages
from bot.logs import JsonFormatter, OneLineFormatter
from bot.settings import Settings, bundled_deployment_path
from tests.bots import in_process, settings_for
from tests.browser import browser, chromium_path, page, page_errors  # noqa: F401 (fixtures)
from tests.people import promises_running
from tests.processes import Sink, free_port

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def no_token_in_logs(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every test runs with all logging captured at DEBUG; none of it may hold the token."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="aiosqlite")  # one line per query: too much
    yield
    secret = EMULATOR_TOKEN.split(":", 1)[1]
    leaked = [r.name for r in caplog.records if secret in r.getMessage()]
    assert not leaked, f"the bot token appeared in logs from {sorted(set(leaked))}"


@pytest.fixture(autouse=True)
def no_logging_left_configured() -> Iterator[None]:
    """A test that runs a CLI command in-process configures logging (bot.logs) onto its
    captured stderr; take that handler off again, or later tests log into a closed file."""
    root = logging.getLogger()
    level = root.level
    yield
    ours = (OneLineFormatter, JsonFormatter)
    root.handlers[:] = [h for h in root.handlers if not isinstance(h.formatter, ours)]
    root.setLevel(level)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No TRYGG_ variable or .env file from the developer's machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith("TRYGG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def deployment() -> Deployment:
    return load_deployment(bundled_deployment_path())


@pytest.fixture(scope="session")
def running_deployment() -> Deployment:
    """The bundled deployment with its promises running today (tests.people.promises_running):
    for the tests that publish staff updates, which an ended promise refuses. (Loaded here,
    not from `deployment`: a test module may override `deployment` with this one.)"""
    return promises_running(load_deployment(bundled_deployment_path()))


@pytest.fixture(scope="session")
def catalogs() -> Catalogs:
    return Catalogs.load(available_languages())


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator() as emu:
        yield emu


@pytest.fixture
def bot_settings(emulator: Emulator, tmp_path: Path) -> Settings:
    return settings_for(emulator, tmp_path)


@pytest.fixture
async def live_bot(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> AsyncIterator[Emulator]:
    """The real Application in this event loop, its Bot API calls handed straight to the
    emulator's method table (no sockets). `world.settle` and `world.wait_idle` wait until the
    bot is done, exactly (bot.emulator.inprocess)."""
    async with in_process(emulator, bot_settings, deployment):
        yield emulator


@pytest.fixture
async def polling_bot(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> AsyncIterator[Emulator]:
    """The real Application, long-polling the emulator over HTTP, in this event loop: for the
    few tests of the network edge (polling, outages, start-up)."""
    app = build_application(bot_settings, deployment)
    async with running(app, poll_timeout=1):
        yield emulator


@pytest.fixture
def smtp() -> Iterator[tuple[Sink, int]]:
    """A real SMTP server on 127.0.0.1: its sink of received messages and its port."""
    port = free_port()
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


def floda_cases(database: Path, count: int, description: str) -> Path:
    """A migrated database with `count` reports at Floda (FLO-000001, ...), all alike."""
    assert main(["migrate", "--database", str(database)]) == 0
    with sqlite3.connect(database) as conn:
        conn.executemany(
            "INSERT INTO cases (reference, station_id, number, kind, category, description,"
            " times, created_at) VALUES (?, 'floda', ?, 'report', 'belysning', ?, '[\"night\"]',"
            " '2026-10-01T10:00:00+00:00')",
            ((f"FLO-{n:06d}", n, description) for n in range(1, count + 1)),
        )
    return database


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """100,000 cases: the size from which the CLI writes a CSV or JSON with two processes,
    and an export is still running when a test stops it. One per test module."""
    database = tmp_path_factory.mktemp("big") / "big.sqlite3"
    return floda_cases(database, 100_000, "Mörkt vid perrongen. " * 10)
