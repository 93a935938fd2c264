"""The bot side of the emulated world: files, the checks a Bot API method makes on its chat
(refusals, flood limits), and what the bot's sends, edits, deletes and answers do."""

from __future__ import annotations

import io
import time

from PIL import Image

from bot.emulator.core import WorldCore
from bot.emulator.models import (
    JSON,
    ApiError,
    Chat,
    Event,
    Message,
    RateWindow,
    StoredFile,
    bad_request,
)


class BotSide(WorldCore):
    """What the Bot API methods (`bot.emulator.api`) call on the `World`."""

    # ------------------------------------------------------------------ files
    def store_file(self, content: bytes, path: str, mime: str | None = None) -> StoredFile:
        number = next(self._file_ids)
        stored = StoredFile(
            file_id=f"F{number:06d}-{len(content)}",
            unique_id=f"U{number:06d}",
            path=path.replace("{n}", str(number)),
            content=content,
            mime_type=mime,
        )
        self.files[stored.file_id] = stored
        return stored

    def file(self, file_id: str) -> StoredFile:
        try:
            return self.files[file_id]
        except KeyError:
            raise bad_request("invalid file_id") from None

    def photo_sizes(self, content: bytes) -> list[JSON]:
        """Telegram stores a photo at several sizes; we keep a thumbnail and the original."""
        try:
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                thumb = image.convert("RGB")
                thumb.thumbnail((90, 90))
                buffer = io.BytesIO()
                thumb.save(buffer, "JPEG")
        except (OSError, Image.DecompressionBombError) as exc:
            raise bad_request("IMAGE_PROCESS_FAILED") from exc
        sizes = []
        small = self.store_file(buffer.getvalue(), "photos/file_{n}.jpg", "image/jpeg")
        sizes.append(self._size(small, *thumb.size))
        original = self.store_file(content, "photos/file_{n}.jpg", "image/jpeg")
        sizes.append(self._size(original, width, height))
        return sizes

    @staticmethod
    def _size(stored: StoredFile, width: int, height: int) -> JSON:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "width": width,
            "height": height,
            "file_size": len(stored.content),
        }

    # ------------------------------------------------------------------ bot side helpers
    def target_chat(self, chat_id: int) -> Chat:
        """The chat a bot method addresses, with Telegram's errors for the bad cases."""
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request("chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            user = self.users[chat_id]
            if user.deactivated:
                raise ApiError(403, "Forbidden: user is deactivated")
            if user.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not user.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        elif chat.bot_removed:
            raise ApiError(403, "Forbidden: bot was kicked from the group chat")
        return chat

    def check_flood(self, chat: Chat, *, paid: bool = False) -> None:
        """Raise 429 with retry_after when a send would break Telegram's limits (see
        FloodPolicy: `paid` is the call's allow_paid_broadcast, heeded in strict mode)."""
        flood = self.flood
        if not flood.active:
            return
        now = self.clock()
        is_group = chat.type != "private"
        rate = flood.paid_per_second if flood.strict and paid else flood.global_per_second
        limits = [(self._global_window, rate)]
        if flood.strict or not is_group:  # lenient: a group has only its minute's limit
            second = self._chat_windows.setdefault(chat.id, RateWindow(1.0))
            limits.append((second, flood.per_chat_per_second))
        if is_group:
            group = self._group_windows.setdefault(chat.id, RateWindow(flood.group_window))
            limits.append((group, flood.group_per_minute))
        wait = max(window.retry_after(now, limit) for window, limit in limits)
        if wait:
            self.flood_errors += 1
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
        for window, _limit in limits:
            window.add(now)

    def bot_message(self, chat: Chat, body: JSON) -> Message:
        data: JSON = {
            "message_id": chat.next_id(),
            "from": {
                "id": self.bot_id,
                "is_bot": True,
                "first_name": self.bot_name,
                "username": self.bot_username,
            },
            "chat": chat.to_api(self.users),
            "date": int(time.time()),
            **body,
        }
        message = Message(data=data, outgoing=True)
        chat.messages.append(message)
        self._publish(Event("sent", chat.id, message))
        return message

    def edited(self, message: Message) -> None:
        message.edits += 1
        message.data["edit_date"] = int(time.time())
        self._publish(Event("edited", message.chat_id, message))

    def deleted(self, message: Message) -> None:
        message.deleted = True
        self._publish(Event("deleted", message.chat_id, message))

    def answer_too_late(self, query_id: str) -> bool:
        """Whether Telegram would refuse an answer to this press now (`callback_answer_timeout`)."""
        limit = self.callback_answer_timeout
        pressed = self._pressed_at.get(query_id)
        return limit is not None and pressed is not None and time.monotonic() - pressed >= limit

    def answered(self, query_id: str, answer: JSON) -> None:
        self.callback_answers[query_id] = answer
        self._publish(Event("answer", self._query_chat.get(query_id, 0), answer=answer))
