"""Callback data: small, versioned, parsed in one place, never trusted.

Format: ``v1:<scope>:<action>[:<arg>]``. The scope is ``m`` for buttons that are always
valid (menus) or the token of one draft, so that a button from an old draft is recognised as
expired instead of acting on the current one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION = "v1"
MENU = "m"
MAX_BYTES = 64
#: The longest part (scope, action or argument) we make or accept.
MAX_PART = 40
_PART = re.compile(rf"^[A-Za-z0-9_.-]{{1,{MAX_PART}}}$")


class CallbackDataError(ValueError):
    """Callback data we would make is malformed or longer than Telegram's 64 bytes."""


@dataclass(frozen=True)
class Callback:
    scope: str
    action: str
    arg: str = ""

    @property
    def is_menu(self) -> bool:
        return self.scope == MENU


def encode(scope: str, action: str, arg: str = "") -> str:
    parts = [VERSION, scope, action] + ([arg] if arg else [])
    for part in parts[1:]:
        if not _PART.match(part):
            raise CallbackDataError(f"bad callback part {part!r}")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise CallbackDataError(f"callback data too long: {data!r}")
    return data


def menu(action: str, arg: str = "") -> str:
    return encode(MENU, action, arg)


def parse(data: str | None) -> Callback | None:
    """The callback, or None for anything that is not ours or not well formed."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) not in (3, 4) or parts[0] != VERSION:
        return None
    if not all(_PART.match(p) for p in parts[1:]):
        return None
    return Callback(parts[1], parts[2], parts[3] if len(parts) == 4 else "")
