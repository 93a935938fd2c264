"""The Bot API methods the emulator implements, with Telegram's checks and error texts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from bot.emulator.markup import EntityParseError, parse_html, utf16_len
from bot.emulator.state import JSON, ApiError, Chat, Message, World, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200


class Params:
    """Request parameters as PTB sends them: strings (JSON for non-strings) or uploaded files."""

    def __init__(self, values: Mapping[str, Any], files: Mapping[str, tuple[str, bytes, str]]):
        self._values = values
        self.files = files

    def has(self, name: str) -> bool:
        return self._values.get(name) not in (None, "")

    def raw(self, name: str) -> Any:
        return self._values.get(name)

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self._values.get(name)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def required_str(self, name: str) -> str:
        value = self.get_str(name)
        if value is None:
            raise bad_request(f"parameter {name} is required")
        return value

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self._values.get(name)
        if value in (None, ""):
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def required_int(self, name: str) -> int:
        value = self.get_int(name)
        if value is None:
            raise bad_request(f"{name} is empty" if name == "chat_id" else f"{name} required")
        return value

    def get_float(self, name: str) -> float:
        try:
            return float(self._values[name])
        except (KeyError, TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def get_json(self, name: str) -> Any:
        value = self._values.get(name)
        if value is None or not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self) -> int:
        value = self._values.get("chat_id")
        if isinstance(value, str) and value.startswith("@"):
            raise bad_request("chat not found")
        return self.required_int("chat_id")


Method = Callable[[World, Params], Awaitable[Any]]


def _formatted(world: World, p: Params, field: str, limit: int) -> JSON:
    """Text or caption after parse_mode, with Telegram's length check (after parsing)."""
    source = p.get_str(field) or ""
    mode = (p.get_str("parse_mode") or "").lower()
    entities: list[JSON] = p.get_json(f"{'caption_' if field == 'caption' else ''}entities") or []
    if mode == "html":
        try:
            text, entities = parse_html(source)
        except EntityParseError as exc:
            raise ApiError(400, str(exc)) from None
    elif mode in ("markdown", "markdownv2"):
        text = source  # the bot does not use Markdown; accepted as plain text
    elif mode:
        raise bad_request(f"unsupported parse_mode {mode!r}")
    else:
        text = source
    if field == "text" and not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > limit:
        raise bad_request(
            "message is too long" if field == "text" else "message caption is too long"
        )
    body: JSON = {field: text}
    if entities:
        body["caption_entities" if field == "caption" else "entities"] = entities
    return body


def _reply_markup(world: World, chat: Chat, p: Params) -> JSON:
    markup = p.get_json("reply_markup")
    if not markup:
        return {}
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
            raise bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array'
            )
        for row in rows:
            for button in row:
                if not isinstance(button, dict) or not button.get("text"):
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None:
                    size = len(str(data).encode("utf-8"))
                    if size < 1 or size > MAX_CALLBACK_DATA:
                        raise bad_request("BUTTON_DATA_INVALID")
                elif not any(k in button for k in ("url", "switch_inline_query", "web_app")):
                    raise bad_request("BUTTON_TYPE_INVALID")
        return {"reply_markup": {"inline_keyboard": rows}}
    if "keyboard" in markup:
        chat.reply_keyboard = markup
    elif "remove_keyboard" in markup:
        chat.reply_keyboard = None
    return {}  # reply keyboards are not part of the returned Message


def _reply_to(chat: Chat, p: Params) -> JSON:
    params = p.get_json("reply_parameters") or {}
    reply_id = params.get("message_id") if isinstance(params, dict) else None
    if reply_id is None:
        return {}
    original = chat.find(int(reply_id))
    if original is None:
        if isinstance(params, dict) and params.get("allow_sending_without_reply"):
            return {}
        raise bad_request("message to be replied not found")
    return {"reply_to_message": dict(original.data)}


def _send(world: World, p: Params, body: JSON) -> JSON:
    chat = world.target_chat(p.chat_id())
    body = {**body, **_reply_markup(world, chat, p), **_reply_to(chat, p)}
    world.check_flood(chat)
    return world.bot_message(chat, body).data


def _upload(world: World, p: Params, field: str, default_path: str) -> tuple[str, bytes, str]:
    """A file parameter: an upload (direct or attach://) or the file_id of a known file."""
    value = p.get_str(field)
    if value and value.startswith("attach://"):
        value = value.removeprefix("attach://")
        if value not in p.files:
            raise bad_request(f"file {value} not found in the request")
        return p.files[value]
    if field in p.files:
        return p.files[field]
    if not value:
        raise bad_request(f"there is no {field} in the request")
    if value.startswith(("http://", "https://")):
        raise bad_request("wrong file identifier/HTTP URL specified")
    stored = world.files.get(value)
    if stored is None:
        raise bad_request("wrong file identifier/HTTP URL specified")
    return stored.path.rsplit("/", 1)[-1], stored.content, stored.mime_type or default_path


# ---------------------------------------------------------------------- methods
async def get_me(world: World, p: Params) -> JSON:
    return {
        "id": world.bot_id,
        "is_bot": True,
        "first_name": world.bot_name,
        "username": world.bot_username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


def _allowed_updates(world: World, p: Params) -> None:
    """Keep `allowed_updates` if given (an empty list: Telegram's default again)."""
    if not p.has("allowed_updates"):
        return
    kinds = p.get_json("allowed_updates")
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise bad_request("can't parse allowed updates JSON array")
    world.allowed_updates = kinds or None


async def get_updates(world: World, p: Params) -> list[JSON]:
    if world.webhook_url:
        raise ApiError(
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
            "to delete the webhook first",
        )
    _allowed_updates(world, p)
    limit = min(max(p.get_int("limit", 100) or 100, 1), 100)
    timeout = max(p.get_int("timeout", 0) or 0, 0)
    return await world.take_updates(p.get_int("offset", 0) or 0, limit, float(timeout))


async def delete_webhook(world: World, p: Params) -> bool:
    world.webhook_url = ""
    return True


async def set_webhook(world: World, p: Params) -> bool:
    url = p.get_str("url") or ""
    secret = p.get_str("secret_token") or ""
    if secret and (len(secret) > 256 or not all(c.isalnum() or c in "_-" for c in secret)):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    _allowed_updates(world, p)
    world.webhook_url = url
    world.webhook_secret = secret
    world.changed()
    return True


async def set_my_commands(world: World, p: Params) -> bool:
    commands = p.get_json("commands")
    if not isinstance(commands, list):
        raise bad_request("commands must be an array")
    for command in commands:
        name = str(command.get("command", ""))
        if not (1 <= len(name) <= 32) or not all(
            c.islower() or c.isdigit() or c == "_" for c in name
        ):
            raise bad_request("BOT_COMMAND_INVALID")
        if not (1 <= len(str(command.get("description", ""))) <= 256):
            raise bad_request("command description must be 1-256 characters")
    scope = p.get_json("scope") or {"type": "default"}
    key = (json.dumps(scope, sort_keys=True), p.get_str("language_code") or "")
    world.commands[key] = commands
    return True


async def get_my_commands(world: World, p: Params) -> list[JSON]:
    scope = p.get_json("scope") or {"type": "default"}
    key = (json.dumps(scope, sort_keys=True), p.get_str("language_code") or "")
    return world.commands.get(key, [])


async def delete_my_commands(world: World, p: Params) -> bool:
    scope = p.get_json("scope") or {"type": "default"}
    world.commands.pop((json.dumps(scope, sort_keys=True), p.get_str("language_code") or ""), None)
    return True


async def send_message(world: World, p: Params) -> JSON:
    return _send(world, p, _formatted(world, p, "text", MAX_TEXT))


async def send_photo(world: World, p: Params) -> JSON:
    _name, content, _mime = _upload(world, p, "photo", "image/jpeg")
    body: JSON = {"photo": world.photo_sizes(content)}
    if p.has("caption"):
        body |= _formatted(world, p, "caption", MAX_CAPTION)
    return _send(world, p, body)


async def send_document(world: World, p: Params) -> JSON:
    name, content, mime = _upload(world, p, "document", "application/octet-stream")
    stored = world.store_file(content, f"documents/{name}", mime)
    body: JSON = {
        "document": {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_name": name,
            "mime_type": mime,
            "file_size": len(content),
        }
    }
    if p.has("caption"):
        body |= _formatted(world, p, "caption", MAX_CAPTION)
    return _send(world, p, body)


async def send_location(world: World, p: Params) -> JSON:
    lat, lon = p.get_float("latitude"), p.get_float("longitude")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad_request("wrong location specified")
    return _send(world, p, {"location": {"latitude": lat, "longitude": lon}})


async def send_chat_action(world: World, p: Params) -> bool:
    world.target_chat(p.chat_id())
    return True


def _edit_target(world: World, p: Params) -> Message:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the emulator")
    chat = world.target_chat(p.chat_id())
    message = chat.find(p.required_int("message_id"))
    if message is None or not message.outgoing:
        raise bad_request("message to edit not found")
    return message


def _not_modified() -> ApiError:
    return bad_request(
        "message is not modified: specified new message content and reply markup are exactly "
        "the same as a current content and reply markup of the message"
    )


async def edit_message_text(world: World, p: Params) -> JSON:
    message = _edit_target(world, p)
    if "text" not in message.data:
        raise bad_request("there is no text in the message to edit")
    body = _formatted(world, p, "text", MAX_TEXT)
    chat = world.chat(message.chat_id)
    markup = _reply_markup(world, chat, p)
    new = {**message.data, **body}
    new.pop("reply_markup", None)
    new.update(markup)
    if "entities" not in body:
        new.pop("entities", None)
    if new == message.data:
        raise _not_modified()
    message.data.clear()
    message.data.update(new)
    world.edited(message)
    return message.data


async def edit_message_reply_markup(world: World, p: Params) -> JSON:
    message = _edit_target(world, p)
    chat = world.chat(message.chat_id)
    markup = _reply_markup(world, chat, p)
    if markup.get("reply_markup") == message.data.get("reply_markup"):
        raise _not_modified()
    message.data.pop("reply_markup", None)
    message.data.update(markup)
    world.edited(message)
    return message.data


async def delete_message(world: World, p: Params) -> bool:
    chat = world.target_chat(p.chat_id())
    message = chat.find(p.required_int("message_id"))
    if message is None:
        raise bad_request("message to delete not found")
    world.deleted(message)
    return True


async def answer_callback_query(world: World, p: Params) -> bool:
    query_id = p.required_str("callback_query_id")
    if (
        query_id not in world.callback_answers
        or world.callback_answers[query_id] is not None
        or world.answer_too_late(query_id)
    ):
        raise bad_request("query is too old and response timeout expired or query ID is invalid")
    text = p.get_str("text") or ""
    if len(text) > MAX_CALLBACK_ANSWER:
        raise bad_request("MESSAGE_TOO_LONG")
    world.answered(query_id, {"text": text, "show_alert": p.get_str("show_alert") == "true"})
    return True


async def get_chat(world: World, p: Params) -> JSON:
    """getChat (a ChatFullInfo). As in Telegram, the private chat of a user who never wrote to
    the bot, like an id Telegram does not know, is 400 "chat not found": the bot has no access
    to it (`trygghetsbot doctor` checks staff chats this way). Otherwise the refusals of
    sending apply (blocked, deactivated, removed from the group, migrated)."""
    chat_id = p.chat_id()
    chat = world.chats.get(chat_id)
    if chat is None or (chat.type == "private" and not world.users[chat_id].started):
        raise bad_request("chat not found")
    world.target_chat(chat_id)
    gifts = ("unlimited_gifts", "limited_gifts", "unique_gifts", "premium_subscription")
    return {
        **chat.to_api(world.users),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": dict.fromkeys((*gifts, "gifts_from_channels"), False),
    }


async def get_file(world: World, p: Params) -> JSON:
    stored = world.file(p.required_str("file_id"))
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.unique_id,
        "file_size": len(stored.content),
        "file_path": stored.path,
    }


async def log_out(world: World, p: Params) -> bool:
    return True


METHODS: dict[str, Method] = {
    "getme": get_me,
    "getupdates": get_updates,
    "deletewebhook": delete_webhook,
    "setwebhook": set_webhook,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "senddocument": send_document,
    "sendlocation": send_location,
    "sendchataction": send_chat_action,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "deletemessage": delete_message,
    "answercallbackquery": answer_callback_query,
    "getfile": get_file,
    "getchat": get_chat,
    "close": log_out,
    "logout": log_out,
}
