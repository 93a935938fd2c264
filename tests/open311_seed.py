"""The cases the Open311 tests read (tests/test_open311*.py), and the API serving them: in
the test's event loop, or as `trygghetsbot api` in a process of its own.

One resident's resolved report and an idea at Floda, another resident's report with a map pin
at Jakobsberg, and a report no officer has taken in (never published); with `history`, also a
report 200 days old and one set aside as not actionable. The texts of the resolved report and
of the unseen one are parameters: the format tests give them characters to escape.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sqlite3
import subprocess
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.domain.lifecycle import Action
from bot.i18n import Catalogs
from bot.open311 import make_open311_app
from bot.services import Services
from bot.settings import Settings
from storage import Database
from tests.images import jpeg

CHAT_A, CHAT_B = 7_654_321, 7_654_322
POLIS_STK = 100000003
POLIS_JKB = 100000001
#: An officer's resolution note: it may name people, so it must never be published.
NOTE = "Lampan bytt av Anna Andersson, ring 070-1234567"

Client = TestClient[web.Request, web.Application]


@dataclass(frozen=True)
class Seeded:
    settings: Settings
    photo: str
    lit: str  # a report, resolved (closed)
    idea: str  # an idea (no category), acknowledged (open)
    pin: str  # a report with the resident's pin, no place text, acknowledged (open)
    unseen: str  # a new report no officer has taken in: never published
    old: str = ""  # with history: a report 200 days old, acknowledged
    rejected: str = ""  # with history: set aside as not actionable: never published


def ago(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) - dt.timedelta(days=days)


async def seed_cases(
    path: Path,
    deployment: Deployment,
    catalogs: Catalogs,
    *,
    lit_place: str = "Vid cykelstället",
    lit_text: str = "Lampan vid cykelstället är trasig.",
    unseen_category: str = "klotter",
    unseen_place: str = "Hemma hos mig",
    unseen_text: str = "Ingen har läst det här än.",
    history: bool = False,
) -> Seeded:
    """The cases in a new database under `path`, submitted in this order (their references
    follow it): lit, idea, pin, (old), unseen, (rejected)."""

    def report(station: str, category: str, place: str, text: str, *photos: str) -> Draft:
        return Draft(
            kind="report",
            station=station,
            category=category,
            place_text=place,
            times=["night"],
            description=text,
            photos=list(photos),
        )

    settings = Settings(database=path / "open311.sqlite3", media_dir=path / "media")
    services = await Services.open(settings, deployment, catalogs)
    try:
        photo = await services.save_photo(jpeg())
        lit = await services.submit(
            CHAT_A, report("floda", "belysning", lit_place, lit_text, photo), "sv"
        )
        idea = await services.submit(
            CHAT_A,
            Draft(kind="idea", station="floda", description="Fler bänkar på perrongen, tack."),
            "sv",
        )
        pin = await services.submit(
            CHAT_B,
            Draft(
                kind="report",
                station="jakobsberg",
                category="perrong",
                lat=59.4241,
                lon=17.8331,
                times=["evening"],
                description="Halt och mörkt på perrongens norra del.",
            ),
            "sv",
        )
        old = rejected = ""
        if history:
            dark = report(
                "jakobsberg", "belysning", "Gångtunneln", "Mörkt i gångtunneln sedan länge."
            )
            old = (await services.submit(CHAT_B, dark, "sv")).reference
        unseen = await services.submit(
            CHAT_B, report("jakobsberg", unseen_category, unseen_place, unseen_text), "sv"
        )
        if history:
            aside = report("floda", "annat", "Perrongen", "Något som inte hör hit.")
            rejected = (await services.submit(CHAT_A, aside, "sv")).reference
        member = await services.desk.member(POLIS_STK)
        await services.desk.act(member, lit.reference, Action.ACKNOWLEDGE)
        await services.desk.act(member, lit.reference, Action.RESOLVE, NOTE)
        await services.desk.act(member, idea.reference, Action.ACKNOWLEDGE)
        officer = await services.desk.member(POLIS_JKB)
        await services.desk.act(officer, pin.reference, Action.ACKNOWLEDGE)
        if history:
            await services.desk.act(member, rejected, Action.REJECT, "Inte för oss.")
            await services.desk.act(officer, old, Action.ACKNOWLEDGE)
    finally:
        await services.close()
    if history:
        backdate(settings.database, old, ago(200))
    return Seeded(
        settings,
        photo,
        lit.reference,
        idea.reference,
        pin.reference,
        unseen.reference,
        old,
        rejected,
    )


def backdate(database: Path, reference: str, when: dt.datetime) -> None:
    """The test's own clock: a case and its events written at `when`."""
    then = when.isoformat(timespec="seconds")
    with sqlite3.connect(database) as conn:
        conn.execute("UPDATE cases SET created_at = ? WHERE reference = ?", (then, reference))
        conn.execute(
            "UPDATE case_events SET created_at = ? WHERE case_id ="
            " (SELECT id FROM cases WHERE reference = ?)",
            (then, reference),
        )
    conn.close()


@asynccontextmanager
async def open311_server(
    database: Path, deployment: Deployment, catalogs: Catalogs, key: str | None
) -> AsyncIterator[TestServer]:
    """The API over `database` on a free local port."""
    db = await Database.open(database)
    try:
        server = TestServer(make_open311_app(deployment, db, catalogs, key), host="127.0.0.1")
        async with server:
            yield server
    finally:
        await db.close()


@asynccontextmanager
async def open311_client(
    seeded: Seeded, deployment: Deployment, catalogs: Catalogs, key: str | None
) -> AsyncIterator[Client]:
    """An HTTP client of the API over the seeded cases."""
    async with (
        open311_server(seeded.settings.database, deployment, catalogs, key) as server,
        TestClient(server) as client,
    ):
        yield client


@dataclass(frozen=True)
class Running:
    process: asyncio.subprocess.Process
    port: int
    log: list[str]  # what it wrote to stderr up to the line saying where it listens


@asynccontextmanager
async def running_api(
    command: Sequence[str], database: Path, env: dict[str, str], timeout: float
) -> AsyncIterator[Running]:
    """`command api --port 0` over `database`, once it listens (within `timeout` a line);
    killed on the way out if the test has not stopped it."""
    process = await asyncio.create_subprocess_exec(
        *command,
        "api",
        "--port",
        "0",
        cwd=database.parent,  # no .env file from the checkout
        env={**os.environ, "TRYGG_DATABASE": str(database), **env},
        stderr=subprocess.PIPE,
    )
    assert process.stderr is not None
    try:
        log: list[str] = []
        port = None
        while port is None:
            line = (await asyncio.wait_for(process.stderr.readline(), timeout)).decode()
            assert line, "the API exited before listening"
            log.append(line)
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            port = int(found.group(1)) if found else None
        yield Running(process, port, log)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
