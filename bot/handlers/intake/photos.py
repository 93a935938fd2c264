"""Photos and albums sent at the intake's photo steps (and where none fits)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import cast

from telegram import Message, Update
from telegram.error import TelegramError

from bot.context import AppContext, BotApp
from bot.domain.intake import PHOTO_STEPS, TextProblem
from bot.handlers.common import keyboard
from bot.handlers.intake.flow import load
from bot.handlers.intake.prompts import not_fitting, photo_rows, show
from bot.handlers.intake.turn import ALBUM_WAIT, Turn
from bot.media import PhotoError, PhotoTooLarge
from bot.processor import PerChatUpdateProcessor

log = logging.getLogger(__name__)


async def on_photo(turn: Turn, message: Message) -> int | None:
    """A photo (or an image sent as a file): kept at a photo step, else "not expected"."""
    draft, step = turn.draft, turn.step
    group = message.media_group_id
    if step not in PHOTO_STEPS:
        if group is not None:  # an album where none fits: answered at its first photo only
            if draft.album == group:
                return None
            draft.album = group
        return await not_fitting(turn, step)
    if group is not None:
        await on_album_photo(turn, message, group)
        return None
    draft.check_photo_room()  # before downloading it
    draft.add_photo(await receive_photo(turn, message), None)
    turn.save()
    if draft.photos_full:
        return await show(turn, draft.after(step))
    await turn.say(
        turn.t("photos.got", count=len(draft.photos), limit=draft.max_photos),
        keyboard(photo_rows(turn)),
    )
    return None


async def receive_photo(turn: Turn, message: Message) -> str:
    """Download a resident's photo and store a cleaned copy; its file name, or TextProblem."""
    media = message.photo[-1] if message.photo else message.document
    assert media is not None
    try:
        file = await media.get_file()
        content = bytes(await file.download_as_bytearray())
        return await turn.services.save_photo(content)
    except PhotoTooLarge:
        log.info("A photo was refused: too large to decode")
        raise TextProblem("photos.too_large") from None
    except (TelegramError, PhotoError):
        log.warning("Could not receive a photo", exc_info=True)
        raise TextProblem("photos.failed") from None


# ---------------------------------------------------------------------- albums
@dataclass(frozen=True)
class AlbumWait:
    """The pending answer to an album: the update of its latest photo (to answer in its chat)."""

    update: Update
    group: str


async def on_album_photo(turn: Turn, message: Message, group: str) -> None:
    """One photo of an album: kept while there is room (the rest is never downloaded); the
    album is answered once, ALBUM_WAIT seconds after its last photo."""
    draft = turn.draft
    if draft.album_photo(group):
        try:
            name = await receive_photo(turn, message)
        except TextProblem:
            turn.save()  # the count stays; the problem is said now
            raise
        draft.add_photo(name, group)
    turn.save()
    # The context's generics cannot name our context type; the application is a BotApp.
    jobs = cast(BotApp, turn.context.application).job_queue
    if jobs is None:  # no scheduler (python-telegram-bot without job-queue): answer each
        await answer_album(turn, group)
        return
    name = f"album:{turn.chat_id}"
    for job in jobs.get_jobs_by_name(name):
        job.schedule_removal()
    user = turn.update.effective_user
    jobs.run_once(
        album_done,
        ALBUM_WAIT,
        data=AlbumWait(turn.update, group),
        name=name,
        chat_id=turn.chat_id,
        user_id=user.id if user else None,
    )


async def album_done(context: AppContext) -> None:
    """Job, shortly after an album's last photo: answer it, in the chat's turn."""
    assert context.job is not None
    wait = context.job.data
    assert isinstance(wait, AlbumWait)

    async def answer() -> None:
        turn = await load(wait.update, context)
        if turn is not None:
            await answer_album(turn, wait.group)

    processor = context.application.update_processor
    if isinstance(processor, PerChatUpdateProcessor) and context.job.chat_id is not None:
        await processor.in_turn(context.job.chat_id, answer())
    else:
        await answer()


async def answer_album(turn: Turn, group: str) -> None:
    """Say how many of the album's photos were kept; at the limit, go on to the next step."""
    draft = turn.draft
    step = turn.step
    if step not in PHOTO_STEPS or draft.album != group:
        return  # the resident went on meanwhile (pressed Klar): nothing to add
    if draft.photos_full:
        note = turn.t(
            "photos.album_cut",
            saved=draft.album_saved,
            total=draft.album_total,
            limit=draft.max_photos,
        )
        await show(turn, draft.after(step), note)
        return
    text = turn.t("photos.album_got", count=len(draft.photos), limit=draft.max_photos)
    await turn.say(text, keyboard(photo_rows(turn)))
