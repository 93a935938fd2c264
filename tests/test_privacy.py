"""Privacy: a resident's data export and erasure, and photos without metadata."""

from __future__ import annotations

import io
import json
import sqlite3
import struct

import pytest
from PIL import Image

from bot.domain.deployment import Deployment, Retention
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.media import PhotoError, clean_jpeg
from bot.settings import Settings
from tests.bots import in_process
from tests.people import Person
from tests.test_intake import file_report, jpeg_with_gps

CHAT_ID = 777123456
NAME = "Ingrid Testsson"
POLIS_JKB = 100000001  # the bundled deployment's kommunpolis at Jakobsberg
DESCRIPTION = "Lamporna vid trappan har varit trasiga i flera veckor."
PLACE = "Vid trappan upp till perrong 1"


def scan(settings: Settings, needles: list[str]) -> list[str]:
    """Every (table, column) of the database whose values contain any of the needles."""
    found = []
    with sqlite3.connect(settings.database) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
            for column in columns:
                for (value,) in conn.execute(f"SELECT {column} FROM {table}"):
                    if value is not None and any(n in str(value) for n in needles):
                        found.append(f"{table}.{column}")
    return sorted(set(found))


async def test_mydata_and_erase_leave_no_trace(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = live_bot.world
    world.user(CHAT_ID, "Ingrid", last_name="Testsson", username="ingrid_t")
    person = Person(world, CHAT_ID, catalogs)
    world.users[CHAT_ID].first_name = "Ingrid"
    assert "JKB-0001" in await file_report(person)
    await person.tap("Följ Jakobsberg")
    await person.say("/ide")  # an unfinished draft, kept in persistence
    await person.tap("Floda")
    await world.wait_idle(quiet=1.2)  # let persistence write the draft
    assert scan(bot_settings, [str(CHAT_ID)]), "the resident is stored before erasure"

    exported = await person.say("/minadata")
    document = exported[-1].data["document"]
    content = world.files[document["file_id"]].content
    data = json.loads(content)
    assert data["profile"]["chat_id"] == CHAT_ID
    assert data["cases"][0]["reference"] == "JKB-0001"
    assert data["followed_stations"][0]["station_id"] == "jakobsberg"
    assert data["consents"]

    await person.say("/radera")
    done = await person.tap(person.t("privacy.erase_yes"))
    assert "Dina uppgifter är raderade" in done[-1].text
    await world.wait_idle(quiet=1.5)  # persistence flushes the emptied state
    assert scan(bot_settings, [str(CHAT_ID), "Ingrid", "Testsson", "ingrid_t"]) == []
    with sqlite3.connect(bot_settings.database) as conn:
        (resident_id, description) = conn.execute(
            "SELECT resident_id, description FROM cases WHERE reference = 'JKB-0001'"
        ).fetchone()
    assert resident_id is None  # the case stays for the officers, unlinked
    assert description.startswith("Lamporna")  # the bundled policy keeps the text
    again = await person.say("/arenden")
    assert "Du har inga ärenden än" in again[-1].text


def on_disk(settings: Settings, needles: list[bytes]) -> list[str]:
    """The database files (main, WAL) whose raw bytes contain any of the needles."""
    files = [settings.database, settings.database.with_name(settings.database.name + "-wal")]
    return [f.name for f in files if f.exists() and any(n in f.read_bytes() for n in needles)]


async def test_erase_without_keeping_text_leaves_nothing_behind(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """keep_case_text_on_erase = false: the text, place, pin and photos go, also from the
    messages to staff, and the database files on disk no longer hold the bytes."""
    blank = deployment.model_copy(update={"retention": Retention(keep_case_text_on_erase=False)})
    world = emulator.world
    world.user(POLIS_JKB, "Staff").started = True
    pin = struct.pack(">d", 59.4236)  # how SQLite stores the REAL on disk
    needles = [DESCRIPTION.encode(), PLACE.encode(), pin]
    async with in_process(emulator, bot_settings, blank):
        person = Person(world, CHAT_ID, catalogs)
        assert "JKB-0001" in await file_report(person)
        await world.wait_for(POLIS_JKB, lambda m: m.kind == "location", timeout=15)
        assert DESCRIPTION in world.received(POLIS_JKB)[0].text
        photos = list(bot_settings.media_dir.iterdir())
        assert photos
        assert on_disk(bot_settings, needles), "the text is on disk before erasure"

        await person.say("/radera")
        done = await person.tap(person.t("privacy.erase_yes"))
        assert "Dina uppgifter är raderade" in done[-1].text

        assert scan(bot_settings, [DESCRIPTION, PLACE, "59.4236", "17.833"]) == []
        with sqlite3.connect(bot_settings.database) as conn:
            case = conn.execute(
                "SELECT description, place_text, lat, lon, resident_id FROM cases"
            ).fetchone()
            assert case == ("", None, None, None, None)
            assert conn.execute("SELECT COUNT(*) FROM case_photos").fetchone() == (0,)
            payloads = conn.execute(
                "SELECT payload FROM outbox WHERE recipient = ?", (str(POLIS_JKB),)
            ).fetchall()
        assert payloads  # the rows stay (a reply to a card finds its case), empty
        assert {p for (p,) in payloads} == {"{}"}
        assert [p for p in photos if p.exists()] == []
        assert on_disk(bot_settings, needles) == []


async def test_erase_drops_unsent_staff_copies(
    bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A card not yet sent when the resident erases never goes out with their text."""
    from bot.domain.intake import Draft
    from bot.services import Services

    blank = deployment.model_copy(update={"retention": Retention(keep_case_text_on_erase=False)})
    services = await Services.open(bot_settings, blank, catalogs)
    try:
        photo = await services.save_photo(jpeg_with_gps())
        draft = Draft(
            kind="report",
            station="jakobsberg",
            category="belysning",
            description=DESCRIPTION,
            place_text=PLACE,
            lat=59.4236,
            lon=17.8330,
            times=["evening"],
            photos=[photo],
        )
        case = await services.submit(CHAT_ID, draft, "sv")
        other = await services.submit(
            CHAT_ID + 1, Draft(kind="idea", station="jakobsberg", description="Bänkar."), "sv"
        )
        staff = await services.outbox.due()
        assert {r.case_id for r in staff} == {case.id, other.id}
        assert any(DESCRIPTION in json.dumps(r.payload) for r in staff)
        assert await services.erase(CHAT_ID) == 1
        left = await services.outbox.due()
        assert {r.case_id for r in left} == {other.id}  # another resident's stay
        assert not (bot_settings.media_dir / photo).exists()
    finally:
        await services.close()


async def test_keep_is_a_no(live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs) -> None:
    person = Person(live_bot.world, CHAT_ID, catalogs)
    await person.say("/installningar")
    await person.tap("Byt språk")
    await person.tap("English")
    await person.say("/delete")
    kept = await person.tap("No, keep")
    assert "Nothing has been erased" in kept[-1].text
    assert scan(bot_settings, [str(CHAT_ID)])


def test_photo_loses_gps_and_camera_data() -> None:
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as image:
        assert 0x8825 in image.getexif()  # GPS is there before
    with Image.open(io.BytesIO(clean_jpeg(original))) as clean:
        assert clean.getexif() == {}
        assert "exif" not in clean.info
        assert clean.size == (800, 600)
    largest = io.BytesIO()  # Telegram's largest photo size
    Image.new("RGB", (2560, 1920)).save(largest, "JPEG")
    with Image.open(io.BytesIO(clean_jpeg(largest.getvalue()))) as shrunk:
        assert shrunk.size == (2048, 1536)
    big = io.BytesIO()  # a 12-megapixel file: decoded at half size, to fit in memory
    Image.new("RGB", (4000, 3000)).save(big, "JPEG")
    with Image.open(io.BytesIO(clean_jpeg(big.getvalue()))) as shrunk:
        assert shrunk.size == (2000, 1500)
    with pytest.raises(PhotoError):
        clean_jpeg(b"not an image")


async def test_retention_purge(
    bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    from bot.domain.intake import Draft
    from bot.services import Services

    services = await Services.open(bot_settings, deployment, catalogs)
    try:
        photo = await services.save_photo(jpeg_with_gps())
        draft = Draft(
            kind="idea", station="floda", description="Gammal idé om ljus.", photos=[photo]
        )
        old = await services.submit(CHAT_ID, draft, "sv")
        fresh = await services.submit(
            CHAT_ID + 1, Draft(kind="idea", station="floda", description="Ny idé om bänkar."), "sv"
        )
        long_ago = "2020-01-01T00:00:00+00:00"
        async with services.db.transaction() as conn:
            await conn.execute("UPDATE cases SET created_at = ? WHERE id = ?", (long_ago, old.id))
            await conn.execute("UPDATE case_photos SET created_at = ?", (long_ago,))
            await conn.execute(
                "UPDATE residents SET last_seen_at = ? WHERE chat_id = ?", (long_ago, CHAT_ID)
            )
        counts = await services.purge()
        assert counts["identities"] == 1
        assert counts["photos"] == 1
        assert counts["cases"] == 1
        assert not (bot_settings.media_dir / photo).exists()
        kept = await services.cases.get(old.reference)
        assert kept is not None
        assert (kept.description, kept.resident_id, kept.photos) == ("", None, ())
        still = await services.cases.get(fresh.reference)
        assert still is not None
        assert still.description == "Ny idé om bänkar."
        assert await services.residents.get_by_chat(CHAT_ID) is None
        assert await services.residents.get_by_chat(CHAT_ID + 1) is not None
        assert await services.purge() == {"identities": 0, "photos": 0, "cases": 0, "messages": 0}
    finally:
        await services.close()


def test_purge_command(capsys: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    assert main(["purge"]) == 0
    assert "Purged: 0 identities, 0 photos, 0 cases, 0 messages" in capsys.readouterr().out
