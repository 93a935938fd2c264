"""The control side of the emulated world: what users do (write, send photos, press buttons,
block the bot, remove it from a group) and what tests read back (`received`, `wait_for`)."""

from __future__ import annotations

import time
from collections.abc import Callable

from bot.emulator.bot_side import BotSide
from bot.emulator.models import JSON, Chat, Message


class UserActions(BotSide):
    """Users acting on the `World`, and reading what the bot sent them."""

    # ------------------------------------------------------------------ control side: users act
    def _user_message(self, user_id: int, chat_id: int | None, body: JSON) -> Message:
        user = self.user(user_id)
        chat = self.chat(chat_id if chat_id is not None else user_id)
        if chat.type == "private":
            user.started = True
            if user.blocked:  # writing to a bot unblocks it, as in Telegram
                self.unblock(user_id)
        data: JSON = {
            "message_id": chat.next_id(),
            "from": user.to_api(),
            "chat": chat.to_api(self.users),
            "date": int(time.time()),
            **body,
        }
        message = Message(data=data, outgoing=False)
        chat.messages.append(message)
        self._asked.setdefault(chat.id, time.monotonic())
        self._push_update({"message": data})
        return message

    def business_message(self, user_id: int, text: str) -> bool:
        """`user_id` writes `text` to a Telegram Business account connected to the bot: a
        `business_message` update (the chat is theirs with the account's owner, not with the
        bot). Queued only if the bot asked for the type; True when it was."""
        user = self.user(user_id)
        data: JSON = {
            "message_id": 1,
            "business_connection_id": "business-connection",
            "from": user.to_api(),
            "chat": {"id": user_id, "type": "private", "first_name": user.first_name},
            "date": int(time.time()),
            "text": text,
        }
        update = self._push_update({"business_message": data})
        return update in self._updates

    def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> Message:
        """The user sends a text (a leading /command gets a bot_command entity)."""
        body: JSON = {"text": text}
        if text.startswith("/"):
            command = text.split()[0]
            body["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._user_message(user_id, chat_id, body)

    def edit_text(
        self, user_id: int, message_id: int, new_text: str, *, chat_id: int | None = None
    ) -> Message:
        """The user edits a text message they sent: as Telegram, the message keeps its
        message_id, gets an edit_date and arrives again as an `edited_message` update."""
        chat = self.chat(chat_id if chat_id is not None else user_id)
        message = chat.find(message_id)
        if message is None or message.outgoing or message.data["from"]["id"] != user_id:
            raise KeyError(f"user {user_id} sent no message {message_id} in chat {chat.id}")
        if "text" not in message.data:
            raise ValueError(f"message {message_id} has no text to edit")
        message.data["text"] = new_text
        message.data["edit_date"] = int(time.time())
        message.data.pop("entities", None)
        if new_text.startswith("/"):
            command = new_text.split()[0]
            message.data["entities"] = [
                {"type": "bot_command", "offset": 0, "length": len(command)}
            ]
        message.edits += 1
        self._asked.setdefault(chat.id, time.monotonic())
        self._push_update({"edited_message": dict(message.data)})
        return message

    def send_location(self, user_id: int, lat: float, lon: float) -> Message:
        return self._user_message(user_id, None, {"location": {"latitude": lat, "longitude": lon}})

    def send_photo(
        self,
        user_id: int,
        content: bytes,
        *,
        caption: str | None = None,
        media_group_id: str | None = None,
    ) -> Message:
        """The user sends a photo (JPEG or PNG bytes); Telegram-style sizes are produced."""
        body: JSON = {"photo": self.photo_sizes(content)}
        if caption:
            body["caption"] = caption
        if media_group_id:
            body["media_group_id"] = media_group_id
        return self._user_message(user_id, None, body)

    def send_album(self, user_id: int, photos: list[bytes]) -> list[Message]:
        """Several photos as one album: separate messages sharing a media_group_id."""
        group = f"album{next(self._file_ids)}"
        return [self.send_photo(user_id, p, media_group_id=group) for p in photos]

    def send_document(self, user_id: int, content: bytes, file_name: str, mime: str) -> Message:
        stored = self.store_file(content, f"documents/{file_name}", mime)
        document = {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": file_name,
            "mime_type": mime,
            "file_size": len(content),
        }
        return self._user_message(user_id, None, {"document": document})

    def send_other(self, user_id: int, kind: str) -> Message:
        """The user sends something that is not text: sticker, voice, video, contact, file."""
        number = next(self._file_ids)
        ids = {"file_id": f"X{number:06d}", "file_unique_id": f"XU{number:06d}"}
        bodies: dict[str, JSON] = {
            "sticker": {
                "sticker": {
                    **ids,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "voice": {"voice": {**ids, "duration": 3, "mime_type": "audio/ogg"}},
            "video": {"video": {**ids, "width": 640, "height": 360, "duration": 5}},
            "contact": {"contact": {"phone_number": "+46700000000", "first_name": "Kontakt"}},
            "document": {
                "document": {**ids, "file_name": "notes.pdf", "mime_type": "application/pdf"}
            },
            "dice": {"dice": {"emoji": "🎲", "value": 3}},
        }
        if kind not in bodies:
            raise ValueError(f"unknown kind {kind!r}; one of {sorted(bodies)}")
        return self._user_message(user_id, None, bodies[kind])

    def press(
        self,
        user_id: int,
        message_id: int,
        data: str | None = None,
        *,
        text: str | None = None,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> str:
        """The user presses an inline button (by callback data or label); returns the query id.

        With `forge=True` any data is sent, as a malicious client could.
        """
        user = self.user(user_id)
        chat = self.chat(chat_id if chat_id is not None else user_id)
        message = chat.find(message_id)
        if message is None:
            raise KeyError(f"no message {message_id} in chat {chat.id}")
        if not forge:
            buttons = [
                b
                for b in message.inline_buttons
                if "callback_data" in b
                and (data is None or b["callback_data"] == data)
                and (text is None or b["text"] == text)
            ]
            if not buttons:
                raise KeyError(f"message {message_id} has no button {data or text!r}")
            data = buttons[0]["callback_data"]
        query_id = str(next(self._query_ids))
        self.callback_answers[query_id] = None
        self._pressed_at[query_id] = time.monotonic()
        self._query_chat[query_id] = chat.id
        self._asked.setdefault(chat.id, time.monotonic())
        self._press_updates[query_id] = self._push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user.to_api(),
                    "message": message.data,
                    "chat_instance": str(chat.id),
                    "data": data,
                }
            }
        )
        return query_id

    def deliver_again(self, query_id: str) -> None:
        """Deliver a press's update once more, same update_id and query id, as Telegram does
        with every update past the last confirmed offset when a bot dies before confirming.

        `getUpdates` models that by itself for a bot process that is killed; this is for a test
        that stops its bot in-process (which confirms what it fetched on the way out).
        """
        update = self._press_updates[query_id]
        self._updates = [u for u in self._updates if u["update_id"] != update["update_id"]]
        self._updates.append(update)
        self._updates.sort(key=lambda u: int(u["update_id"]))
        self._notify()

    def deliver_message_again(self, chat_id: int, message_id: int) -> None:
        """Deliver a user's message once more (same message_id and content), as Telegram does
        when a bot dies before confirming it; like `deliver_again`, for a test that stops its
        bot in-process. The update_id is a new one (the bot must not rely on it)."""
        message = self.chat(chat_id).find(message_id)
        if message is None or message.outgoing:
            raise KeyError(f"no user message {message_id} in chat {chat_id}")
        self._push_update({"message": dict(message.data)})

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sending to them is 403 "bot was blocked by the user"."""
        user = self.user(user_id)
        if not user.blocked:
            user.blocked = True
            self._member_update(user_id, self.chat(user_id), "member", "kicked")

    def unblock(self, user_id: int) -> None:
        """The user unblocks the bot (Telegram's "Restart"; writing to it does the same)."""
        user = self.user(user_id)
        if user.blocked:
            user.blocked = False
            self._member_update(user_id, self.chat(user_id), "kicked", "member")

    def remove_bot(self, chat_id: int, by: int, status: str = "left") -> None:
        """A member removes the bot from a group ("left"; "kicked" if also banned)."""
        chat = self.chat(chat_id)
        if not chat.bot_removed:
            chat.bot_removed = True
            self._member_update(by, chat, "member", status)

    def add_bot(self, chat_id: int, by: int) -> None:
        """A member adds the bot to a group again."""
        chat = self.chat(chat_id)
        if chat.bot_removed:
            chat.bot_removed = False
            self._member_update(by, chat, "left", "member")

    def _member_update(self, user_id: int, chat: Chat, old: str, new: str) -> None:
        """A `my_chat_member` update (ChatMemberUpdated), if `member_updates` is on."""
        if not self.member_updates:
            return
        bot: JSON = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_name,
            "username": self.bot_username,
        }

        def member(status: str) -> JSON:
            banned = {"until_date": 0} if status == "kicked" else {}
            return {"status": status, "user": bot, **banned}

        self._push_update(
            {
                "my_chat_member": {
                    "chat": chat.to_api(self.users),
                    "from": self.user(user_id).to_api(),
                    "date": int(time.time()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    def deactivate(self, user_id: int) -> None:
        self.user(user_id).deactivated = True

    # ------------------------------------------------------------------ control side: reading
    def received(self, chat_id: int) -> list[Message]:
        """What the bot sent to a chat and did not delete, oldest first, edits applied."""
        return [m for m in self.chat(chat_id).messages if m.outgoing and not m.deleted]

    def last(self, chat_id: int) -> Message:
        messages = self.received(chat_id)
        if not messages:
            raise LookupError(f"chat {chat_id} has received nothing")
        return messages[-1]

    async def wait_for(
        self,
        chat_id: int,
        predicate: Callable[[Message], bool] = lambda m: True,
        *,
        after: int = 0,
        timeout: float = 10.0,
    ) -> Message:
        """Wait for a bot message in `chat_id` (position >= `after`) matching `predicate`."""

        deadline = time.monotonic() + timeout
        while True:
            for message in self.received(chat_id)[after:]:
                if predicate(message):
                    return message
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not await self._wait_change(remaining):
                got = [m.text[:80] for m in self.received(chat_id)[after:]]
                raise AssertionError(f"chat {chat_id}: no matching message; got {got}")
