"""The Bot API emulator, driven by a real python-telegram-bot `Bot` over HTTP and in-process."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, MessageEntity
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter

from bot.emulator import Emulator
from bot.emulator.inprocess import EmulatorRequest
from tests.images import jpeg

ALICE = 1001


@pytest.fixture(params=["http", "in-process"])
async def bot(emulator: Emulator, request: pytest.FixtureRequest) -> AsyncIterator[Bot]:
    """A real `Bot`, over HTTP and through the in-process transport the flow tests use: every
    test below holds for both, so the two levels see the same Bot API."""
    emulator.world.user(ALICE, "Alice").started = True
    in_process = request.param == "in-process"
    async with Bot(
        emulator.token,
        base_url=emulator.base_url,
        base_file_url=emulator.file_url,
        request=EmulatorRequest(emulator.world, emulator.token) if in_process else None,
        get_updates_request=EmulatorRequest(emulator.world, emulator.token) if in_process else None,
    ) as b:
        yield b


async def test_get_me_and_wrong_token(emulator: Emulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.is_bot
    assert me.username == emulator.world.bot_username
    with pytest.raises(InvalidToken):
        async with Bot("1:wrong", base_url=emulator.base_url) as other:
            await other.get_me()


async def test_updates_long_poll_and_offset(emulator: Emulator, bot: Bot) -> None:
    started = asyncio.get_running_loop().time()
    assert await bot.get_updates(timeout=1) == ()
    assert asyncio.get_running_loop().time() - started >= 0.9  # it waited

    async def later() -> None:
        await asyncio.sleep(0.2)
        emulator.world.send_text(ALICE, "/start")

    task = asyncio.create_task(later())
    updates = await bot.get_updates(timeout=5)
    await task
    assert len(updates) == 1
    message = updates[0].message
    assert message is not None
    assert message.text == "/start"
    assert message.entities[0].type == MessageEntity.BOT_COMMAND
    assert message.from_user is not None
    assert message.from_user.id == ALICE
    # Not confirmed yet: delivered again; confirmed by offset: gone.
    assert len(await bot.get_updates(timeout=0)) == 1
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=0) == ()


async def test_send_and_read_back(emulator: Emulator, bot: Bot) -> None:
    sent = await bot.send_message(
        ALICE, "Hej <b>där</b> &amp; välkommen", parse_mode=ParseMode.HTML
    )
    assert sent.text == "Hej där & välkommen"
    assert sent.entities[0].type == MessageEntity.BOLD
    assert (sent.entities[0].offset, sent.entities[0].length) == (4, 3)
    assert emulator.world.last(ALICE).text == "Hej där & välkommen"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<blink>x</blink>", 'Unsupported start tag "blink"'),
        ("<b>x", 'end tag corresponding to start tag "b"'),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>"'),
        ("<b><i>x</b></i>", "Unmatched end tag"),
        ("1 < 2", "Unexpected end of name token"),
    ],
)
async def test_html_errors_are_telegrams(bot: Bot, text: str, error: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)parse entities") as info:
        await bot.send_message(ALICE, text, parse_mode=ParseMode.HTML)
    assert error.lower() in str(info.value).lower()


async def test_text_and_caption_limits(bot: Bot) -> None:
    await bot.send_message(ALICE, "å" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)too long"):
        await bot.send_message(ALICE, "å" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)too long"):  # emoji count twice (UTF-16)
        await bot.send_message(ALICE, "🚉" * 2049)
    with pytest.raises(BadRequest, match=r"(?i)empty"):
        await bot.send_message(ALICE, "   ")
    await bot.send_photo(ALICE, jpeg(), caption="c" * 1024)
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_photo(ALICE, jpeg(), caption="c" * 1025)


async def test_callback_data_limit(bot: Bot) -> None:
    ok = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="x" * 64)]])
    await bot.send_message(ALICE, "ok", reply_markup=ok)
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("Nej", callback_data="ö" * 33)]])
    with pytest.raises(BadRequest, match=r"(?i)BUTTON_DATA_INVALID"):
        await bot.send_message(ALICE, "no", reply_markup=too_long)


async def test_unknown_blocked_deactivated_and_unstarted(emulator: Emulator, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(999, "hej")
    emulator.world.user(2002)
    with pytest.raises(Forbidden, match=r"(?i)can't initiate conversation"):
        await bot.send_message(2002, "hej")
    emulator.world.block(ALICE)
    with pytest.raises(Forbidden, match=r"(?i)blocked by the user"):
        await bot.send_message(ALICE, "hej")
    emulator.world.send_text(ALICE, "hej igen")  # writing again unblocks
    await bot.send_message(ALICE, "hej")
    emulator.world.deactivate(ALICE)
    with pytest.raises(Forbidden, match=r"(?i)deactivated"):
        await bot.send_message(ALICE, "hej")


async def test_groups_kicked_and_migrated(emulator: Emulator, bot: Bot) -> None:
    group = emulator.world.group(-100, "Samverkan Jakobsberg")
    await bot.send_message(-100, "till gruppen")
    group.migrated_to = -1001234
    with pytest.raises(ChatMigrated) as info:
        await bot.send_message(-100, "igen")
    assert info.value.new_chat_id == -1001234
    group.migrated_to = None
    group.bot_removed = True
    with pytest.raises(Forbidden, match=r"(?i)kicked"):
        await bot.send_message(-100, "igen")


async def test_flood_control_with_retry_after(emulator: Emulator, bot: Bot) -> None:
    emulator.world.flood.enabled = True
    emulator.world.clock = clock = Clock()  # the windows' time, moved on without sleeping
    await bot.send_message(ALICE, "ett")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ALICE, "två")
    assert info.value.retry_after == dt.timedelta(seconds=1)
    assert emulator.world.flood_errors == 1
    clock.at(1.05)
    await bot.send_message(ALICE, "tre")


async def test_buttons_callbacks_edits_and_deletes(emulator: Emulator, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="v1:yes")]])
    sent = await bot.send_message(ALICE, "Stämmer det?", reply_markup=markup)
    query_id = emulator.world.press(ALICE, sent.message_id, text="Ja")
    updates = await bot.get_updates(timeout=1)
    query = updates[-1].callback_query
    assert query is not None
    assert query.id == query_id
    assert query.data == "v1:yes"
    assert query.message is not None
    assert query.message.message_id == sent.message_id
    assert await bot.answer_callback_query(query.id, "Tack")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)
    with pytest.raises(KeyError):
        emulator.world.press(ALICE, sent.message_id, "v1:forged")
    edited = await bot.edit_message_text("Tack!", chat_id=ALICE, message_id=sent.message_id)
    assert isinstance(edited, type(sent))
    assert emulator.world.last(ALICE).text == "Tack!"
    assert emulator.world.last(ALICE).inline_buttons == []
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Tack!", chat_id=ALICE, message_id=sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=ALICE, message_id=999)
    await bot.edit_message_reply_markup(ALICE, sent.message_id, reply_markup=markup)
    assert emulator.world.last(ALICE).inline_buttons[0]["callback_data"] == "v1:yes"
    assert await bot.delete_message(ALICE, sent.message_id)
    assert emulator.world.received(ALICE) == []
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(ALICE, sent.message_id)


async def test_user_photo_can_be_downloaded_byte_for_byte(emulator: Emulator, bot: Bot) -> None:
    original = jpeg(800, 600)
    emulator.world.send_photo(ALICE, original, caption="Mörk gångtunnel")
    updates = await bot.get_updates(timeout=1)
    message = updates[-1].message
    assert message is not None
    assert message.caption == "Mörk gångtunnel"
    largest = message.photo[-1]
    assert (largest.width, largest.height) == (800, 600)
    assert message.photo[0].width <= 90
    file = await largest.get_file()
    assert file.file_path is not None
    assert bytes(await file.download_as_bytearray()) == original
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_album_shares_media_group(emulator: Emulator, bot: Bot) -> None:
    emulator.world.send_album(ALICE, [jpeg(), jpeg(color=(0, 0, 200))])
    updates = await bot.get_updates(timeout=1)
    groups = {u.message.media_group_id for u in updates if u.message}
    assert len(groups) == 1
    assert None not in groups


async def test_documents_locations_and_commands(emulator: Emulator, bot: Bot) -> None:
    doc = await bot.send_document(ALICE, b"a;b\n1;2\n", filename="export.csv")
    assert doc.document is not None
    assert doc.document.file_name == "export.csv"
    loc = await bot.send_location(ALICE, 59.4239, 17.8328)
    assert loc.location is not None
    assert loc.location.latitude == pytest.approx(59.4239)
    with pytest.raises(BadRequest, match=r"(?i)wrong location"):
        await bot.send_location(ALICE, 99.0, 17.0)
    await bot.set_my_commands([("start", "Börja")])
    await bot.set_my_commands([("start", "Begin")], language_code="en")
    assert [c.command for c in await bot.get_my_commands()] == ["start"]
    assert (await bot.get_my_commands(language_code="en"))[0].description == "Begin"
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Hjälp", "x")])


async def test_unknown_method_is_404(emulator: Emulator) -> None:
    async with aiohttp.ClientSession() as session:
        url = f"{emulator.base_url}{emulator.token}/sendDice"
        async with session.post(url, data={"chat_id": "1"}) as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }


async def test_control_api_acts_as_a_user(emulator: Emulator, bot: Bot) -> None:
    async with aiohttp.ClientSession(base_url=emulator.url) as http:
        async with http.post(f"/control/users/{ALICE}/messages", json={"text": "hej"}) as r:
            assert r.status == 200
        updates = await bot.get_updates(timeout=1)
        assert updates[-1].message is not None
        assert updates[-1].message.text == "hej"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Ja", callback_data="yes")]])
        sent = await bot.send_message(ALICE, "Fråga", reply_markup=markup)
        async with http.post(
            f"/control/users/{ALICE}/press", json={"message_id": sent.message_id, "data": "yes"}
        ) as r:
            assert r.status == 200
        async with http.get(f"/control/chats/{ALICE}/messages") as r:
            views = await r.json()
        assert [v["text"] for v in views] == ["hej", "Fråga"]
        assert views[1]["buttons"] == [[{"text": "Ja", "data": "yes", "url": None}]]
        async with http.post(f"/control/users/{ALICE}/messages", json={}) as r:
            assert r.status == 400


async def test_control_api_for_benchmarks(emulator: Emulator, bot: Bot) -> None:
    """Many started users at once, a network delay, reply times, a long poll per chat."""
    async with aiohttp.ClientSession(base_url=emulator.url) as http:
        async with http.post("/control/users", json={"ids": [5001, 5002], "started": True}) as r:
            assert r.status == 200
        await bot.send_message(5001, "Nytt om löftet")  # started: a bot may write first
        async with http.post("/control/latency", json={"seconds": 0.2}) as r:
            assert r.status == 200
        async with http.post(f"/control/users/{ALICE}/messages", json={"text": "hej"}) as r:
            assert r.status == 200
        waiting = asyncio.create_task(http.get(f"/control/chats/{ALICE}/wait?after=0&timeout=5"))
        started = asyncio.get_running_loop().time()
        answer = await bot.send_message(ALICE, "Svar")
        assert asyncio.get_running_loop().time() - started >= 0.2  # the delay was added
        async with await waiting as r:
            waited = await r.json()
        assert waited["actions"] == 1
        assert [m["text"] for m in waited["messages"]] == ["hej", "Svar"]
        async with http.get("/control/stats") as r:
            stats = await r.json()
        assert stats["sent"] == 2
        assert stats["edited"] == 0
        assert stats["flood_errors"] == 0
        assert len(stats["reply_seconds"]) == 1  # "hej" was answered once
        await bot.edit_message_text("Svar, rättat", ALICE, answer.message_id)
        async with http.get("/control/stats") as r:
            stats = await r.json()
        assert (stats["sent"], stats["edited"]) == (2, 1)  # an edit is counted, not as a message
        assert stats["reply_seconds"][0] >= 0.2
        async with http.post("/control/stats/reset") as r:
            assert r.status == 200
        async with http.get("/control/stats") as r:
            assert (await r.json())["sent"] == 0
        async with http.post("/control/latency", json={"seconds": 60}) as r:
            assert r.status == 400


async def test_late_answers_are_refused_and_a_press_can_come_again(
    emulator: Emulator, bot: Bot
) -> None:
    """`callback_answer_timeout`: Telegram's "query is too old"; `deliver_again`: the update of
    a press once more, as after a bot died before confirming it (same update and query id)."""
    world = emulator.world
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Skicka", callback_data="v1:ok")]])
    sent = await bot.send_message(ALICE, "Skicka?", reply_markup=markup)
    world.callback_answer_timeout = 60.0
    in_time = world.press(ALICE, sent.message_id, "v1:ok")
    assert await bot.answer_callback_query(in_time)
    world.callback_answer_timeout = 0  # every answer is too late
    late = world.press(ALICE, sent.message_id, "v1:ok")
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(late)
    assert world.callback_answers[late] is None  # the spinner keeps turning
    updates = await bot.get_updates(timeout=0)
    assert [u.callback_query.id for u in updates if u.callback_query] == [in_time, late]
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == ()
    world.deliver_again(late)
    (again,) = await bot.get_updates(timeout=0)
    assert again.update_id == updates[-1].update_id
    assert again.callback_query is not None
    assert again.callback_query.id == late


# ---------------------------------------------------------------------- strict flood control
class Clock:
    """The flood windows' clock, moved on by hand: a test sees a sliding window without
    sleeping through it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def at(self, offset: float) -> None:
        self.now = 1000.0 + offset


@pytest.fixture
def clock(emulator: Emulator) -> Clock:
    emulator.world.clock = clock = Clock()
    emulator.world.flood.strict = True
    return clock


def _started(emulator: Emulator, first: int, count: int) -> list[int]:
    for user_id in range(first, first + count):
        emulator.world.user(user_id).started = True
    return list(range(first, first + count))


async def test_strict_mode_from_the_control_api(emulator: Emulator) -> None:
    flood = emulator.world.flood
    assert not flood.active  # off by default: flows run at full speed
    async with aiohttp.ClientSession(base_url=emulator.url) as http:
        async with http.post("/control/flood", json={"strict": True}) as r:
            assert r.status == 200
        assert flood.strict
        assert flood.active
        assert (flood.global_per_second, flood.paid_per_second) == (30, 1000)
        async with http.post("/control/flood", json={"enabled": False}) as r:
            assert r.status == 200
        assert not flood.active


async def test_strict_global_limit_is_a_sliding_second(
    emulator: Emulator, bot: Bot, clock: Clock
) -> None:
    """30 sends in any 1.0 s, to 31 different chats; the 31st is Telegram's 429 with
    retry_after, until the oldest of the 30 is a whole second old."""
    chats = _started(emulator, 6000, 40)
    for i in range(30):
        clock.at(i * 0.01)
        await bot.send_message(chats[i], "hej")
    clock.at(0.5)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(chats[30], "hej")
    assert info.value.retry_after == dt.timedelta(seconds=1)
    assert emulator.world.flood_errors == 1
    clock.at(0.999)
    with pytest.raises(RetryAfter):
        await bot.send_message(chats[30], "hej")
    clock.at(1.0)  # the first send has left the window: one more fits, not two
    await bot.send_message(chats[30], "hej")
    with pytest.raises(RetryAfter):
        await bot.send_message(chats[31], "hej")
    clock.at(1.01)
    await bot.send_message(chats[31], "hej")
    assert emulator.world.flood_errors == 3


async def test_strict_mode_has_no_burst_allowance(
    emulator: Emulator, bot: Bot, clock: Clock
) -> None:
    """30 sends spread over half a second, then 30 more at once: every one of those is
    refused (a token bucket would have let about 15 through), until a second has passed."""
    chats = _started(emulator, 6100, 60)
    for i in range(30):
        clock.at(i / 60)
        await bot.send_message(chats[i], "först")
    clock.at(0.5)
    for chat in chats[30:]:
        with pytest.raises(RetryAfter) as info:
            await bot.send_message(chat, "sedan")
        assert info.value.retry_after == dt.timedelta(seconds=1)
    assert emulator.world.flood_errors == 30
    clock.at(1.5)  # all 30 earlier sends have left the window
    for chat in chats[30:]:
        await bot.send_message(chat, "sedan")
    assert emulator.world.flood_errors == 30


async def test_strict_one_message_a_second_per_chat(
    emulator: Emulator, bot: Bot, clock: Clock
) -> None:
    await bot.send_message(ALICE, "ett")
    clock.at(0.5)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(ALICE, "två")
    assert info.value.retry_after == dt.timedelta(seconds=1)
    with pytest.raises(RetryAfter):  # every sending method counts
        await bot.send_photo(ALICE, jpeg())
    assert emulator.world.flood_errors == 2
    clock.at(1.0)
    await bot.send_photo(ALICE, jpeg())
    clock.at(1.5)
    with pytest.raises(RetryAfter):
        await bot.send_location(ALICE, 59.4, 17.8)
    clock.at(2.0)
    await bot.send_location(ALICE, 59.4, 17.8)
    assert [m.kind for m in emulator.world.received(ALICE)] == ["text", "photo", "location"]


async def test_strict_group_takes_twenty_a_minute(
    emulator: Emulator, bot: Bot, clock: Clock
) -> None:
    """A group: 20 in any 60 s (and one a second, as every chat). The 21st waits for the
    first to be a minute old: retry_after in whole seconds."""
    emulator.world.group(-200, "Samverkan")
    emulator.world.group(-201, "Trygghetsvandrare")
    await bot.send_message(-201, "ett")
    clock.at(0.5)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(-201, "för tätt")
    assert info.value.retry_after == dt.timedelta(seconds=1)
    for i in range(20):
        clock.at(i * 1.0)
        await bot.send_message(-200, f"nr {i}")
    clock.at(19.5)  # both limits: the answer is when both have room
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(-200, "för tätt")
    assert info.value.retry_after == dt.timedelta(seconds=41)
    clock.at(20.5)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(-200, "för många")
    assert info.value.retry_after == dt.timedelta(seconds=40)  # 60 - 20.5, rounded up
    clock.at(59.9)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(-200, "nästan")
    assert info.value.retry_after == dt.timedelta(seconds=1)
    clock.at(60.0)
    await bot.send_message(-200, "nu")
    assert emulator.world.flood_errors == 4


async def test_strict_paid_broadcast_rate(emulator: Emulator, bot: Bot, clock: Clock) -> None:
    """With allow_paid_broadcast a call passes while fewer than `paid_per_second` sends are in
    the last second (all sends count; Telegram's 1,000, here 100 to keep the HTTP run short);
    a free call still only while fewer than 30 are."""
    emulator.world.flood.paid_per_second = paid = 100
    chats = _started(emulator, 10_000, paid + 2)
    for i in range(30):
        await bot.send_message(chats[i], "gratis")
    with pytest.raises(RetryAfter):
        await bot.send_message(chats[30], "gratis")
    for i in range(30, paid):
        clock.at(i * 0.009)
        await bot.send_message(chats[i], "betald", allow_paid_broadcast=True)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(chats[paid], "betald", allow_paid_broadcast=True)
    assert info.value.retry_after == dt.timedelta(seconds=1)
    assert emulator.world.flood_errors == 2
    clock.at(1.0)  # the 30 free sends at 0.0 have left: 30 paid ones fit, but no free one
    with pytest.raises(RetryAfter):
        await bot.send_message(chats[paid], "gratis")
    await bot.send_message(chats[paid], "betald", allow_paid_broadcast=True)
    assert emulator.world.flood_errors == 3
