"""What Telegram refuses, checked on the deployment file before the bot meets it
(`trygghetsbot check-config`): HTML outside Telegram's subset, a message longer than 4096
characters, ids that leave callback data over 64 bytes, a privacy notice without Swedish.

Pure: the caller gives the catalog's header for the notice. Telegram's HTML parse mode, as
the Bot API documents it: only the tags below; `<`, `>` and `&` that are not part of a tag or
an entity written as `&lt;`, `&gt;`, `&amp;`; of the named entities only those and `&quot;`.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.intake import TOKEN_BYTES, Action

MAX_TEXT = 4096  # characters of a message after its entities are parsed (UTF-16 code units)
#: Characters of a button's text, our limit: a phone shows about this much of a wide button
#: (Telegram cuts a longer one where the screen ends, at no word boundary).
MAX_BUTTON_TEXT = 60

#: Tags Telegram knows; the attributes it needs are checked in `_check_tag`.
TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ATTR = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?")
_ENTITY = re.compile(r"&(#[0-9]{1,7};|#x[0-9a-fA-F]{1,6};|[a-zA-Z][a-zA-Z0-9]*;?)")

#: Callback data that carries an id from the deployment file, as the handlers build it
#: (`bot.domain.callbacks.encode`): the longest scope and action each kind of id goes with.
#: A draft's scope is its token, 2 * TOKEN_BYTES hex digits.
#:   stations:   v1:<token>:st:<id>, v1:m:home|fol|unf|promise|phist:<id>
#:   categories: v1:<token>:cat:<id>
#:   actors:     v1:c:fw:<case reference>.<id>   (forwarding a case to another actor)
_DRAFT_TOKEN = "0" * 2 * TOKEN_BYTES
STATION_FORMATS = (
    (_DRAFT_TOKEN, Action.STATION.value),
    (callbacks.MENU, "promise"),
    (callbacks.MENU, "phist"),  # a station's earlier promises (bot.handlers.promises)
    (callbacks.MENU, "home"),
)
CATEGORY_FORMATS = ((_DRAFT_TOKEN, Action.CATEGORY.value),)
ACTOR_FORMAT = ("c", "fw")
#: Case numbers are written with at least 4 digits; room is kept for 6 (999,999 per station).
REFERENCE_DIGITS = 6


class HtmlError(ValueError):
    """Text that Telegram's HTML parse mode would refuse or show other than meant."""


def plain_text(source: str) -> str:
    """The text Telegram shows for `source` in HTML parse mode; HtmlError if it would refuse
    it (or show an entity it does not know as it is written)."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(source):
        char = source[i]
        if char == "<":
            match = _TAG.match(source, i)
            if match is None:
                raise HtmlError(f"a '<' that starts no tag at character {i + 1} (write &lt;)")
            closing, name, attrs = match.group(1), match.group(2).lower(), match.group(3)
            if name not in TAGS:
                raise HtmlError(f"<{name}> is not a tag Telegram knows")
            if closing:
                if not stack or stack[-1] != name:
                    expected = f"</{stack[-1]}>" if stack else "no end tag"
                    raise HtmlError(f"</{name}> at character {i + 1}, where {expected} belongs")
                stack.pop()
            else:
                _check_tag(name, attrs)
                stack.append(name)
            i = match.end()
        elif char == "&":
            match = _ENTITY.match(source, i)
            body = match.group(1) if match else ""
            if not body.endswith(";"):
                raise HtmlError(f"a bare '&' at character {i + 1} (write &amp;)")
            decoded = _decode(body[:-1])
            if decoded is None:
                raise HtmlError(
                    f"&{body} is not an entity Telegram knows (only &lt; &gt; &amp; &quot; "
                    "and numeric ones)"
                )
            out.append(decoded)
            i = match.end() if match else i + 1
        else:
            out.append(char)
            i += 1
    if stack:
        raise HtmlError(f"<{stack[-1]}> is never closed")
    return "".join(out)


def _decode(body: str) -> str | None:
    if body.startswith("#"):
        return html.unescape(f"&{body};")
    return _NAMED.get(body)


def _check_tag(name: str, attrs: str) -> None:
    found = {k.lower(): (v or "").strip("\"'") for k, v in _ATTR.findall(attrs)}
    if name == "span" and found.get("class") != "tg-spoiler":
        raise HtmlError('<span> only as <span class="tg-spoiler">')
    if name == "a" and not found.get("href"):
        raise HtmlError('<a> needs href="..."')
    if name == "tg-emoji" and not found.get("emoji-id"):
        raise HtmlError('<tg-emoji> needs emoji-id="..."')


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def id_room(scope: str, action: str, reserved: int = 0) -> int:
    """The longest id that fits after `v1:<scope>:<action>:` (and `reserved` characters of
    the same part), in Telegram's 64 bytes and our limit on one part."""
    prefix = len(f"{callbacks.VERSION}:{scope}:{action}:".encode())
    return min(callbacks.MAX_BYTES - prefix, callbacks.MAX_PART) - reserved


@dataclass(frozen=True)
class Refusal:
    """One thing in the file that Telegram would refuse: where and why."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def telegram_refusals(dep: Deployment, notice_headers: dict[str, str]) -> list[Refusal]:
    """Everything in `dep` that Telegram would refuse. `notice_headers`: per language, the
    catalog's header sent before the notice (HTML), for the length of that message."""
    found: list[Refusal] = []
    languages = dep.deployment.languages
    notices = dep.privacy.notice
    if "sv" not in notices:
        others = f" (there is {', '.join(sorted(notices))})" if notices else ""
        found.append(
            Refusal(
                "privacy.notice.sv",
                "missing: the Swedish notice is required, and is shown to every language "
                f"without its own{others}",
            )
        )
    for lang, notice in sorted(notices.items()):
        where = f"privacy.notice.{lang}"
        if lang not in languages:
            found.append(
                Refusal(
                    where, f"{lang!r} is not a language of this deployment ({', '.join(languages)})"
                )
            )
        try:
            text = plain_text(notice)
        except HtmlError as exc:
            found.append(Refusal(where, f"Telegram would refuse this HTML: {exc}"))
            continue
        header = notice_headers.get(lang, notice_headers.get("sv", ""))
        length = utf16_len(plain_text(header)) + 2 + utf16_len(text)
        if length > MAX_TEXT:
            found.append(
                Refusal(
                    where,
                    f"{length} characters with its header, over Telegram's {MAX_TEXT}: "
                    f"shorten it by {length - MAX_TEXT}",
                )
            )
    found += _long_ids("stations", [s.id for s in dep.stations], STATION_FORMATS)
    found += _long_ids("categories", [c.id for c in dep.categories], CATEGORY_FORMATS)
    code = max((len(s.code) for s in dep.stations), default=0)
    reference = code + 1 + REFERENCE_DIGITS + 1  # "JKB-000042."
    found += _long_ids("actors", [a.id for a in dep.actors], (ACTOR_FORMAT,), reference)
    return found


def _long_ids(
    section: str, ids: list[str], formats: tuple[tuple[str, str], ...], reserved: int = 0
) -> list[Refusal]:
    room = min(id_room(scope, action, reserved) for scope, action in formats)
    return [
        Refusal(
            f"{section}[{i}] ({value}).id",
            f"{len(value)} characters, but buttons have room for {room}: use a shorter id",
        )
        for i, value in enumerate(ids)
        if len(value.encode()) > room
    ]
