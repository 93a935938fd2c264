"""Issue 17, item 4: a submit is one transaction of a handful of statements.

Counted on a real SQLite connection, so that a change that adds round trips to the intake's
hot path (a re-read of what was just written, a query per outbox row, a second transaction)
fails here rather than only in `make bench`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.images import jpeg

#: Calls into SQLite's thread for a report with a photo and a pin at a station with two
#: officers on Telegram: BEGIN, one read (the draft's case, the hourly count, the follow),
#: the resident, the case number, the case, its photos, its actors, its event, the station's
#: staff, the outbox rows (all of them in one call), COMMIT.
MAX_CALLS = 11


def draft(photo: str) -> Draft:
    return Draft(
        kind="report",
        station="jakobsberg",
        category="belysning",
        place_text="Vid trappan upp till perrong 1",
        times=["evening"],
        description="Lampan vid trappan är trasig.",
        photos=[photo],
        lat=59.4231,
        lon=17.8336,
    )


async def test_a_submit_is_one_transaction_of_a_handful_of_statements(
    tmp_path: Path,
    deployment: Deployment,
    catalogs: Catalogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = Settings(_env_file=None, database=tmp_path / "t.sqlite3", media_dir=tmp_path / "m")
    services = await Services.open(settings, deployment, catalogs)
    try:
        photo = await services.save_photo(jpeg())
        conn = services.db.conn
        statements: list[str] = []
        await conn.set_trace_callback(statements.append)
        calls: list[Callable[..., Any]] = []
        into_thread: Callable[..., Awaitable[Any]] = (
            conn._execute
        )  # aiosqlite's one way into its thread: one round trip

        async def counted(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
            calls.append(fn)
            return await into_thread(fn, *args, **kwargs)

        monkeypatch.setattr(conn, "_execute", counted)

        first = draft(photo)
        sent = await services.submit_draft(1001, first, "sv")
        assert sent.new
        # The outbox got the card, the photo and the pin for each officer...
        cards = [s for s in statements if s.startswith("INSERT INTO outbox")]
        assert len(cards) == 6, statements
        # ... and everything was one transaction, in a handful of calls.
        assert statements[0] == "BEGIN IMMEDIATE", statements
        assert statements[-1] == "COMMIT", statements
        assert statements.count("BEGIN IMMEDIATE") == statements.count("COMMIT") == 1
        assert len(calls) <= MAX_CALLS, statements

        # Sent again: the first case, nothing written, still only a few calls.
        statements.clear()
        calls.clear()
        again = await services.submit_draft(1001, first, "sv")
        assert not again.new
        assert again.case.reference == sent.case.reference
        assert not [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
        assert len(calls) <= 12, statements

        # The next report of the same resident costs the same.
        statements.clear()
        calls.clear()
        assert (await services.submit_draft(1001, draft(photo), "sv")).new
        assert statements.count("BEGIN IMMEDIATE") == 1
        assert len(calls) <= MAX_CALLS, statements
    finally:
        await services.close()
