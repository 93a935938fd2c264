"""The worker's fetch of due rows reads about as much as it returns, not every pending row
(a pass over a broadcast to n followers was O(n), the whole broadcast O(n²))."""

from __future__ import annotations

from pathlib import Path

from storage.database import Database
from storage.outbox import OutboxItem, OutboxRepository


async def steps_of_a_fetch(path: Path, pending: int) -> int:
    """SQLite's virtual machine steps for one `due(limit=100, first_per_chat=True)` with
    `pending` broadcast rows (and a card) pending."""
    async with await Database.open(path) as db:
        outbox = OutboxRepository(db)
        await outbox.add(
            [
                OutboxItem("telegram", str(1_000_000 + i), "text", {"text": "x", "broadcast": True})
                for i in range(pending)
            ]
        )
        await outbox.add([OutboxItem("telegram", "42", "text", {"text": "kort"})])
        steps = 0

        def count() -> int:
            nonlocal steps
            steps += 1
            return 0

        await db.conn.set_progress_handler(count, 100)
        rows = await outbox.due(limit=100, first_per_chat=True)
        await db.conn.set_progress_handler(None, 100)  # type: ignore[arg-type]
        assert len(rows) == 100
        assert rows[0].payload == {"text": "kort"}  # the card first
        return steps


async def test_a_fetch_does_not_read_every_pending_row(tmp_path: Path) -> None:
    small = await steps_of_a_fetch(tmp_path / "small.db", 1_000)
    large = await steps_of_a_fetch(tmp_path / "large.db", 10_000)
    assert large < small * 2, (small, large)
