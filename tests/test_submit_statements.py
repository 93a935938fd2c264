"""Issue 17, item 4: a submit is one transaction of a handful of statements, in one call.

Counted on a real SQLite connection, so that a change that adds round trips to the intake's
hot path (a re-read of what was just written, a query per outbox row, a second transaction,
a statement sent to SQLite's thread on its own) fails here rather than only in `make bench`.
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

#: Statements of a report with a photo and a pin at a station with two officers on Telegram:
#: BEGIN, one read (the draft's case, the hourly count, the follow), the resident, the case
#: number, the case, its photos, its actors, its event, the station's staff, the outbox rows
#: (all six in one INSERT), COMMIT. All of them in one call into SQLite's thread.
MAX_STATEMENTS = 11
#: A draft sent again: BEGIN, the read, the case, its photos, its supporters, COMMIT.
MAX_STATEMENTS_AGAIN = 6


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
        # Everything was one transaction of a handful of statements, in one call.
        assert statements[0] == "BEGIN IMMEDIATE", statements
        assert statements[-1] == "COMMIT", statements
        assert statements.count("BEGIN IMMEDIATE") == statements.count("COMMIT") == 1
        assert len(statements) <= MAX_STATEMENTS, statements
        assert len(calls) == 1, statements
        # ... which queued the card, the photo and the pin for each officer.
        inserts = [s for s in statements if s.startswith("INSERT INTO outbox")]
        assert len(inserts) == 1, statements
        queued = await services.db.fetchall(
            "SELECT recipient, kind FROM outbox WHERE case_id = ? ORDER BY id", (sent.case.id,)
        )
        assert len(queued) == 6
        assert sorted(r["kind"] for r in queued) == ["location"] * 2 + ["photo"] * 2 + ["text"] * 2
        assert len({r["recipient"] for r in queued}) == 2

        # Sent again: the first case, nothing written, one call.
        statements.clear()
        calls.clear()
        again = await services.submit_draft(1001, first, "sv")
        assert not again.new
        assert again.case.reference == sent.case.reference
        assert again.case.photos == sent.case.photos
        assert not [s for s in statements if s.startswith(("INSERT", "UPDATE", "DELETE"))]
        assert len(statements) <= MAX_STATEMENTS_AGAIN, statements
        assert len(calls) == 1, statements

        # The next report of the same resident costs the same.
        statements.clear()
        calls.clear()
        assert (await services.submit_draft(1001, draft(photo), "sv")).new
        assert statements.count("BEGIN IMMEDIATE") == 1
        assert len(statements) <= MAX_STATEMENTS, statements
        assert len(calls) == 1, statements
    finally:
        await services.close()
