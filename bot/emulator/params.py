"""Bot API request parameters as the emulator reads them, with Telegram's errors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.emulator.models import bad_request


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
