"""The outbox fetches cards, notifications and alerts before broadcasts and digests
(storage.outbox.due): a card queued behind a broadcast to thousands is in the worker's next
batch of 500, not after the whole broadcast; and the worker, woken by a new row, stops its
batch after the chunk in flight and fetches again, so the card goes about one chunk later.
Each chat's own order is kept."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.delivery.messages import BROADCAST
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.emulator import Emulator
from bot.emulator.state import Event
from bot.settings import Settings
from storage.database import Database
from storage.outbox import BROADCAST_FLAG, OutboxItem, OutboxRepository
from tests.bots import in_process
from tests.people import publish_update
from tests.test_promises import add_followers


@pytest.fixture
def deployment(running_deployment: Deployment) -> Deployment:
    """The bundled deployment with its promises running: the seeds' promises have ended, and
    these tests publish staff updates, which an ended promise refuses."""
    return running_deployment


def broadcast(chat: int, text: str = "uppdatering") -> OutboxItem:
    return OutboxItem("telegram", str(chat), "text", {"text": text, BROADCAST: True})


def card(chat: int, text: str = "kort") -> OutboxItem:
    return OutboxItem("telegram", str(chat), "text", {"text": text})


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = await Database.open(tmp_path / "t.sqlite3")
    try:
        yield database
    finally:
        await database.close()


def test_storage_knows_the_broadcast_flag_the_services_set() -> None:
    assert BROADCAST_FLAG == BROADCAST


async def test_a_card_after_600_broadcast_rows_is_in_the_first_batch(db: Database) -> None:
    outbox = OutboxRepository(db)
    await outbox.add([broadcast(4_000_000 + i) for i in range(600)])
    await outbox.add([card(100000003, "nytt ärende")])
    for first_per_chat in (True, False):
        rows = await outbox.due(limit=500, first_per_chat=first_per_chat)
        assert len(rows) == 500
        # First, and the rest is the broadcast oldest first.
        assert rows[0].payload == {"text": "nytt ärende"}, first_per_chat
        assert [int(r.recipient) for r in rows[1:]] == [4_000_000 + i for i in range(499)]


async def test_a_chats_later_card_never_overtakes_its_earlier_broadcast(db: Database) -> None:
    """A follower with a broadcast row and then a notification: the notification waits for
    the broadcast row in its chat, but that chat's broadcast row goes with the cards."""
    outbox = OutboxRepository(db)
    follower = 4_000_599
    await outbox.add([broadcast(4_000_000 + i) for i in range(600)])  # the follower's is last
    await outbox.add([card(follower, "svar i ditt ärende")])
    rows = await outbox.due(limit=500, first_per_chat=True)
    assert rows[0].recipient == str(follower)
    assert rows[0].payload[BROADCAST] is True  # its chat's oldest row first
    assert all(r.recipient != str(follower) for r in rows[1:])  # one row per chat
    # Every row at once: in the chat's order, the chat's card ranked with its broadcast.
    every = await outbox.due(limit=1000)
    mine = [r.payload["text"] for r in every if r.recipient == str(follower)]
    assert mine == ["uppdatering", "svar i ditt ärende"]
    assert [r.recipient for r in every][-2:] == [str(follower), str(follower)]
    # Sent, the chat's card is next for that chat, still ahead of the broadcast.
    await outbox.sent(rows[0].id, 1)
    rows = await outbox.due(limit=500, first_per_chat=True)
    assert rows[0].payload == {"text": "svar i ditt ärende"}


async def test_a_card_backing_off_waits_and_keeps_its_chat_waiting(db: Database) -> None:
    outbox = OutboxRepository(db)
    officer = 100000003
    await outbox.add([broadcast(4_000_000 + i) for i in range(10)])
    await outbox.add([card(officer, "först"), card(officer, "sedan")])
    (head,) = [r for r in await outbox.due(first_per_chat=True) if r.recipient == str(officer)]
    await outbox.retry(head.id, 60, "timed out", max_attempts=5)
    rows = await outbox.due(limit=500, first_per_chat=True)
    assert [int(r.recipient) for r in rows] == [4_000_000 + i for i in range(10)]
    assert all(r.id != head.id for r in await outbox.due(limit=500))


async def test_the_migration_ranks_pending_broadcast_rows_and_keeps_the_rest_cards(
    tmp_path: Path,
) -> None:
    database = await Database.open(tmp_path / "old.sqlite3", migrate=False)
    try:
        await database.migrate(target=10)  # before step 11 (priority)
        now = "2026-01-01T00:00:00+00:00"
        async with database.transaction() as conn:
            await conn.executemany(
                "INSERT INTO outbox (channel, recipient, kind, payload, status,"
                " next_attempt_at, created_at) VALUES ('telegram', ?, 'text', ?, ?, ?, ?)",
                [
                    ("1", '{"text": "kort"}', "pending", now, now),
                    ("2", '{"text": "u", "broadcast": true}', "pending", now, now),
                    ("3", '{"text": "u", "broadcast": true}', "sent", now, now),
                    ("4", "{}", "pending", now, now),
                ],
            )
        await database.migrate()
        rows = await database.fetchall("SELECT recipient, priority FROM outbox ORDER BY id")
        assert [(r["recipient"], r["priority"]) for r in rows] == [
            ("1", 1),
            ("2", 2),
            ("3", 1),
            ("4", 1),
        ]
        due = await OutboxRepository(database).due(first_per_chat=True)
        assert [r.recipient for r in due] == ["1", "4", "2"]
    finally:
        await database.close()


async def test_a_report_card_reaches_the_officer_before_a_600_follower_broadcast_ends(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment
) -> None:
    """A resident reports while a broadcast to 600 followers is going out: the worker has
    fetched its first 500; woken by the card, it stops that batch after the chunk in flight
    and fetches again, the card first (before: after the first 500; before that, last)."""
    followers, first, resident = 600, 4_000_000, 1001
    settings = bot_settings.model_copy(update={"rate_per_second": 1000})
    world = emulator.world
    world.user(resident).started = True
    for listed in deployment.staff:  # they have opened the bot
        if listed.telegram_id is not None:
            world.user(listed.telegram_id).started = True
    sent: list[int] = []  # every chat the bot sent to, in order
    started = asyncio.Event()
    card_sent = asyncio.Event()
    done = asyncio.Event()

    def is_follower(chat: int) -> bool:
        return first <= chat < first + followers

    def on_sent(event: Event) -> None:
        if event.kind != "sent":
            return
        sent.append(event.chat_id)
        if is_follower(event.chat_id):
            started.set()
        elif event.chat_id != resident:
            card_sent.set()  # a card to the station's staff
        if sum(map(is_follower, sent)) == followers:
            done.set()

    world.watch(on_sent)
    async with in_process(emulator, settings, deployment, wait_outbox=False) as app:
        services = app.bot_data.services
        assert services is not None
        await add_followers(services, world, first, followers)
        await publish_update(services, "Trygghetsvärdar på plats.")
        await asyncio.wait_for(started.wait(), 10)  # the first batch is on its way
        report = Draft(
            kind="report",
            station="jakobsberg",
            category="belysning",
            place_text="Vid trappan upp till perrong 1",
            times=["evening"],
            description="Lampan vid trappan är trasig.",
        )
        assert (await services.submit_draft(resident, report, "sv")).new
        at_enqueue = sum(map(is_follower, sent))  # the card is committed and the worker woken
        await asyncio.wait_for(card_sent.wait(), 20)
        await asyncio.wait_for(done.wait(), 20)
    staff = [i for i, chat in enumerate(sent) if not is_follower(chat) and chat != resident]
    before_card = sum(map(is_follower, sent[: staff[0]]))
    # The first batch of 500 and at most one chunk of the next (16 sends at a time) went
    # first; before, the card waited for all but the last chunk of the 600.
    # Woken by the card, the worker stops its batch of 500 after the chunk in flight (16
    # sends at a time) and fetches again, card first: at most that chunk and the card's own
    # went after the enqueue (16 now; before, the rest of the first batch: about 490).
    assert before_card - at_enqueue < 2 * 16, (before_card, at_enqueue)
    assert before_card < 60, before_card
    assert [sent.count(first + i) for i in range(followers)] == [1] * followers
