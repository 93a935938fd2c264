"""The Bot API methods that send, edit and delete messages, with Telegram's checks (text and
caption lengths after parse_mode, inline keyboards, replies, uploads) and error texts."""

from __future__ import annotations

from bot.emulator.markup import EntityParseError, parse_html, utf16_len
from bot.emulator.params import Params
from bot.emulator.state import JSON, ApiError, Chat, Message, World, bad_request

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64


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
    world.check_flood(chat, paid=(p.get_str("allow_paid_broadcast") or "").lower() == "true")
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
