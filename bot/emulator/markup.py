"""Telegram's HTML parse mode, as the Bot API applies it: text plus entities, or an error.

Offsets and lengths are in UTF-16 code units, like Telegram's. Only the tags the Bot API
documents are accepted; anything else is the same 400 error Telegram gives.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)\s*>")
_ATTR = re.compile(r"([a-zA-Z-]+)\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)")
_ENTITY = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]+);")


class EntityParseError(ValueError):
    """The text is not valid for the HTML parse mode; the message is Telegram's wording."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Open:
    tag: str
    offset: int
    attrs: dict[str, str] = field(default_factory=dict)


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return the plain text and the entities of an HTML-formatted message."""
    out: list[str] = []
    out_len = 0  # in UTF-16 units
    stack: list[_Open] = []
    entities: list[dict[str, Any]] = []
    i = 0
    byte_offset = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG.match(source, i)
            if match is None:
                raise EntityParseError(
                    f"Bad Request: can't parse entities: Unexpected end of name token at byte "
                    f"offset {byte_offset}"
                )
            closing, name, rest = match.group(1), match.group(2).lower(), match.group(3)
            if name not in _TAGS:
                kind = "end" if closing else "start"
                raise EntityParseError(
                    f'Bad Request: can\'t parse entities: Unsupported {kind} tag "{name}" at '
                    f"byte offset {byte_offset}"
                )
            if closing:
                if not stack or stack[-1].tag != name:
                    expected = f'"</{stack[-1].tag}>"' if stack else "none"
                    raise EntityParseError(
                        "Bad Request: can't parse entities: Unmatched end tag at byte offset "
                        f'{byte_offset}, expected {expected}, found "</{name}>"'
                    )
                opened = stack.pop()
                length = out_len - opened.offset
                if length > 0:
                    entities.append(_entity(opened, length))
            else:
                attrs = {k.lower(): v.strip("\"'") for k, v in _ATTR.findall(rest)}
                stack.append(_Open(name, out_len, attrs))
            byte_offset += len(match.group(0).encode())
            i = match.end()
            continue
        if char == "&":
            match = _ENTITY.match(source, i)
            if match is not None:
                decoded = _decode_entity(match.group(1))
                if decoded is not None:
                    out.append(decoded)
                    out_len += utf16_len(decoded)
                    byte_offset += len(match.group(0).encode())
                    i = match.end()
                    continue
        out.append(char)
        out_len += utf16_len(char)
        byte_offset += len(char.encode())
        i += 1
    if stack:
        raise EntityParseError(
            f"Bad Request: can't parse entities: Can't find end tag corresponding to start tag \""
            f'{stack[-1].tag}"'
        )
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _decode_entity(body: str) -> str | None:
    if body.startswith("#"):
        return html.unescape(f"&{body};")
    return _NAMED_ENTITIES.get(body)


def _entity(opened: _Open, length: int) -> dict[str, Any]:
    entity: dict[str, Any] = {"type": _TAGS[opened.tag], "offset": opened.offset, "length": length}
    if opened.tag == "a":
        entity["url"] = opened.attrs.get("href", "")
    if opened.tag == "pre" and "language" in opened.attrs:
        entity["language"] = opened.attrs["language"]
    if opened.tag == "blockquote" and "expandable" in opened.attrs:
        entity["type"] = "expandable_blockquote"
    return entity
