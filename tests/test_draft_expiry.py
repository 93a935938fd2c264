"""Abandoned drafts expire after retention.draft_days, with their photos (issue 19, item 11):
the retention job run with a given "now" on the real Application and a real SQLite file."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config import load_deployment
from bot.context import BotApp
from bot.domain.deployment import Deployment, Retention
from bot.drafts import expire_drafts
from bot.emulator import Emulator
from bot.handlers.intake import DRAFT
from bot.i18n import Catalogs, Days
from bot.settings import Settings, bundled_deployment_path
from storage import Database, bot_state
from storage.bot_state import BotStateRepository
from storage.migrations import MIGRATIONS
from tests.bots import in_process
from tests.images import jpeg
from tests.people import Person, db_rows, to_description

ALICE, BOB = 1101, 1102
NOW = dt.datetime.now(dt.UTC)


async def draft_with_photo(person: Person, place: str) -> None:
    """A report as far as the photo step, with one photo in the draft."""
    await to_description(person, "Jakobsberg", "Belysning", place)
    await person.say("Lamporna vid trappan har varit trasiga i flera veckor.")
    await person.send_photo(jpeg())


def photos_of(app: BotApp, user_id: int) -> list[str]:
    draft = app.user_data[user_id][DRAFT]
    assert draft["photos"]
    return list(draft["photos"])


def age(settings: Settings, user_id: int, days: float) -> None:
    """Make the user's stored draft last changed `days` before NOW, as an inspector would."""
    when = (NOW - dt.timedelta(days=days)).isoformat(timespec="seconds")
    with sqlite3.connect(settings.database) as conn:
        changed = conn.execute(
            "UPDATE ptb_user_data SET draft_changed_at = ? WHERE user_id = ?", (when, user_id)
        ).rowcount
    assert changed == 1


def stored_data(settings: Settings, user_id: int) -> dict[str, Any]:
    rows = db_rows(settings, "SELECT data FROM ptb_user_data WHERE user_id = ?", user_id)
    return json.loads(rows[0]["data"]) if rows else {}


async def test_an_old_draft_goes_with_its_photo_a_younger_one_stays(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    alice, bob = Person(world, ALICE, catalogs), Person(world, BOB, catalogs)
    media = bot_settings.media_dir
    assert deployment.retention.draft_days == 7
    async with in_process(emulator, bot_settings, deployment) as app:
        await draft_with_photo(alice, "Vid trappan")
        await draft_with_photo(bob, "Vid busshållplatsen")
        old_button = alice.button(alice.t("nav.done"))
        older_button = alice.button("Hoppa över")  # the photo step's first prompt
        old_photos, young_photos = photos_of(app, ALICE), photos_of(app, BOB)
        await app.update_persistence()  # the drafts as the database holds them
        age(bot_settings, ALICE, 7.5)
        age(bot_settings, BOB, 6.5)

        assert await expire_drafts(app, NOW) == 1

        assert [p for p in old_photos if (media / p).exists()] == []
        assert all((media / p).exists() for p in young_photos)
        assert DRAFT not in app.user_data[ALICE]
        assert DRAFT not in stored_data(bot_settings, ALICE)
        assert stored_data(bot_settings, BOB)[DRAFT]["photos"] == young_photos
        # Run again: nothing more goes.
        assert await expire_drafts(app, NOW) == 0

        # Alice comes back and presses a button of the expired draft: one line, no error.
        shown = await alice.press(*old_button)
        expired = alice.t("draft.expired", days=Days(7))
        assert expired == "Ditt utkast har tagits bort efter 7 dagar. Börja om med /rapport."
        assert [m.text for m in shown] == [expired]
        assert alice.answer() == ""  # no alert
        # Her flow has ended, also in the database: a text gets the answer outside a flow,
        # not silence.
        assert not db_rows(
            bot_settings, "SELECT 1 FROM ptb_conversations WHERE key LIKE ?", f"%{ALICE}%"
        )
        assert await alice.say("Hej")
        assert not db_rows(bot_settings, "SELECT 1 FROM cases")

        # Bob's younger draft goes on, and is sent with its photo.
        await bob.tap(bob.t("nav.done"))
        await bob.tap(bob.t("summary.send"))
        rows = db_rows(bot_settings, "SELECT path FROM case_photos")
        assert [r["path"] for r in rows] == young_photos

    # After a restart the expired draft does not come back, and its button still says why.
    async with in_process(emulator, bot_settings, deployment) as app:
        assert DRAFT not in app.user_data[ALICE]
        assert DRAFT not in stored_data(bot_settings, ALICE)
        shown = await alice.press(*older_button)
        assert [m.text for m in shown] == [expired]
        assert alice.answer() == ""
        # Much later, the sent case's photo is still there.
        assert await expire_drafts(app, NOW + dt.timedelta(days=30)) == 0
        assert all((media / p).exists() for p in young_photos)


async def test_an_expired_drafts_text_leaves_the_database_files(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Like erasure and the purge, expiry leaves no copy of the draft's text in the database
    files (bot.sqlite3 and its WAL): the purge's checkpoint ran before the drafts went."""
    alice = Person(emulator.world, ALICE, catalogs)
    files = [bot_settings.database, Path(f"{bot_settings.database}-wal")]
    needle = b"Kalle Svensson"

    def in_files() -> bool:
        return any(f.exists() and needle in f.read_bytes() for f in files)

    async with in_process(emulator, bot_settings, deployment) as app:
        await to_description(alice, "Jakobsberg", "Belysning", "Vid trappan")
        await alice.say("Grannen Kalle Svensson på Ekvägen 12 har en trasig lampa vid porten.")
        await app.update_persistence()
        services = app.bot_data.services
        assert services is not None
        await services.checkpoint()  # as the purge does, before the drafts expire
        assert in_files()
        age(bot_settings, ALICE, 8)

        assert await expire_drafts(app, NOW) == 1

        assert DRAFT not in app.user_data[ALICE]
        assert not in_files(), "the expired draft's text is still in the database files"


async def test_a_sent_drafts_copy_expires_but_its_case_keeps_the_photos(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A copy of a sent draft (restored after a crash from before its case) is dropped, but
    its photos are the case's: they stay, and its button names the case."""
    bob = Person(emulator.world, BOB, catalogs)
    media = bot_settings.media_dir
    async with in_process(emulator, bot_settings, deployment) as app:
        await draft_with_photo(bob, "Vid busshållplatsen")
        copy = dict(app.user_data[BOB][DRAFT])
        old_button = bob.button("Hoppa över")  # the photo step's first prompt
        await bob.tap(bob.t("nav.done"))
        await bob.tap(bob.t("summary.send"))
        reference = db_rows(bot_settings, "SELECT reference FROM cases")[0]["reference"]
        app.user_data[BOB][DRAFT] = copy  # as a crash before the draft's removal was written
        await app.persistence.update_user_data(BOB, app.user_data[BOB])  # type: ignore[union-attr]
        age(bot_settings, BOB, 8)

        assert await expire_drafts(app, NOW) == 1

        assert all((media / p).exists() for p in copy["photos"])
        assert DRAFT not in app.user_data[BOB]
        shown = await bob.press(*old_button)
        said = bob.t("submitted.already", reference=reference)
        assert [m.text for m in shown] == [said.replace("<b>", "").replace("</b>", "")]


async def test_a_draft_changed_since_it_was_stored_stays(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The database's copy may be a second behind: a draft changed in memory since is not the
    stale one, and stays with its photos."""
    alice = Person(emulator.world, ALICE, catalogs)
    media = bot_settings.media_dir
    async with in_process(emulator, bot_settings, deployment) as app:
        await draft_with_photo(alice, "Vid trappan")
        await app.update_persistence()
        age(bot_settings, ALICE, 30)
        app.user_data[ALICE][DRAFT]["place_text"] = "Vid trappan, norra sidan"  # not yet stored

        assert await expire_drafts(app, NOW) == 0

        assert all((media / p).exists() for p in photos_of(app, ALICE))


async def test_the_draft_time_moves_only_when_the_draft_changes(tmp_path: Path) -> None:
    async with await Database.open(tmp_path / "db.sqlite3") as db:
        repo = BotStateRepository(db)

        async def changed_at() -> str | None:
            row = await db.fetchone("SELECT draft_changed_at FROM ptb_user_data")
            assert row is not None
            return row[0]  # type: ignore[no-any-return]

        draft = {"kind": "report", "token": "abc123", "photos": ["a.jpg"]}
        await repo.put_data("user", ALICE, {DRAFT: draft})
        assert await changed_at() is not None
        async with db.transaction() as conn:
            await conn.execute(
                "UPDATE ptb_user_data SET draft_changed_at = '2020-01-01T00:00:00+00:00'"
            )
        await repo.put_data("user", ALICE, {DRAFT: dict(draft), "lang": "sv"})  # same draft
        assert await changed_at() == "2020-01-01T00:00:00+00:00"
        await repo.put_data("user", ALICE, {DRAFT: {**draft, "photos": []}, "lang": "sv"})
        assert (await changed_at() or "") > "2020-01-01T00:00:00+00:00"
        await repo.put_data("user", ALICE, {"lang": "sv"})
        assert await changed_at() is None
        assert await repo.stale_drafts("9999") == []


async def test_drafts_from_before_count_as_changed_at_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    before = MIGRATIONS[: MIGRATIONS.index(next(m for m in MIGRATIONS if "draft_changed_at" in m))]
    async with await Database.open(path, migrations=before) as old, old.transaction() as conn:
        await conn.execute(
            "INSERT INTO ptb_user_data (user_id, data) VALUES (?, ?), (?, ?)",
            (ALICE, json.dumps({DRAFT: {"kind": "idea"}}), BOB, json.dumps({"lang": "fi"})),
        )
    start = NOW.isoformat(timespec="seconds")
    async with await Database.open(path) as db:
        rows = await db.fetchall("SELECT user_id, draft_changed_at FROM ptb_user_data")
    times = {r["user_id"]: r["draft_changed_at"] for r in rows}
    assert times[BOB] is None
    assert times[ALICE] >= start
    assert dt.datetime.fromisoformat(times[ALICE]) - NOW < dt.timedelta(minutes=5)


def test_draft_days_in_the_deployment_file() -> None:
    assert Retention().draft_days == 7
    assert Retention(draft_days=1).draft_days == 1
    for bad in (0, -3):
        with pytest.raises(ValidationError, match="draft_days"):
            Retention(draft_days=bad)
    # The sample file names it, with the value the notice and the docs give.
    assert load_deployment(bundled_deployment_path()).retention.draft_days == 7
    assert "draft_days = 7" in bundled_deployment_path().read_text(encoding="utf-8")


def test_the_stamped_key_is_the_intakes_draft() -> None:
    assert bot_state.DRAFT == DRAFT
