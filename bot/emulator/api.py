"""The Bot API methods the emulator implements, with Telegram's checks and error texts: the
method table (`METHODS`), and the methods other than sending, editing and deleting messages
(those are in bot.emulator.messages; request parameters in bot.emulator.params)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from bot.emulator.messages import (
    delete_message,
    edit_message_reply_markup,
    edit_message_text,
    send_document,
    send_location,
    send_message,
    send_photo,
)
from bot.emulator.params import Params
from bot.emulator.state import JSON, ApiError, World, bad_request

__all__ = ["METHODS", "Method", "Params"]

MAX_CALLBACK_ANSWER = 200

Method = Callable[[World, Params], Awaitable[Any]]


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


async def send_chat_action(world: World, p: Params) -> bool:
    world.target_chat(p.chat_id())
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
