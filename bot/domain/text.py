"""Resident text made safe to show to staff: no line breaks where one line is expected, no
control characters, and no bidi controls that reorder what staff read.

Plain text in, plain text out: escaping for HTML stays with the rendering (bot.i18n). And the
length rule for text the bot wraps before sending: how Telegram counts a message's length.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

#: Bidi embeddings, overrides, isolates and marks: they can make text display in another order
#: than it is stored ("…\u202eetadpu" shows as "update…"), and so imitate other text.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u200e\u200f\u061c"  # LRM RLM ALM
)
#: Everything that starts a new line somewhere (Telegram, a mail client, a spreadsheet): the
#: characters str.splitlines() splits at.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _cleaned(char: str) -> str:
    """One character as it may stay in a line: breaks and tabs become spaces, other control
    and bidi characters go."""
    if char in LINE_BREAKS or char == "\t":
        return " "
    if char in BIDI_CONTROLS or unicodedata.category(char) == "Cc":
        return ""
    return char


def one_line(text: str) -> str:
    """Resident text for a one-line field (a place): one line, spaces collapsed, no control
    or bidi characters."""
    return _SPACES.sub(" ", "".join(_cleaned(c) for c in text)).strip()


def paragraphs(text: str) -> str:
    """Resident text of several lines (a description): each line cleaned as by `one_line`,
    line breaks of every kind as "\\n", and at most one blank line between paragraphs."""
    joined = "\n".join(one_line(line) for line in text.splitlines())  # splits at LINE_BREAKS
    return _BLANK_LINES.sub("\n\n", joined).strip("\n")


#: A keycap emoji ("1️⃣", "#️⃣"): a digit or sign, an optional emoji selector, the keycap mark.
_KEYCAP = re.compile("[0-9#*]\ufe0f?\u20e3")


def has_words(text: str) -> bool:
    """Whether `text` holds a letter or a digit in any script (Unicode categories L* and N*),
    as "Lampan är trasig", "Valot eivät toimi", "الإنارة معطلة" and "Buss 112" do; emoji
    (keycaps too), punctuation, symbols and white space alone do not."""
    return any(unicodedata.category(c)[0] in "LN" for c in _KEYCAP.sub("", text))


#: What XML 1.0 cannot hold (so neither can an XLSX cell): most C0 controls, surrogates,
#: U+FFFE and U+FFFF. Vertical tab and form feed separate lines, and become line feeds.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_BREAKS = str.maketrans("\x0b\x0c", "\n\n")


def xml_safe(text: str) -> str:
    """`text` without the characters XML forbids; everything else is kept."""
    return _XML_FORBIDDEN.sub("", text.translate(_XML_BREAKS))


#: Telegram's limit for a message's text, counted after the HTML parse mode (tags gone, each
#: entity one character), in UTF-16 code units as the Bot API counts. (A caption's is 1024; the
#: bot captions photos with a case reference only.)
MESSAGE_LIMIT = 4096

_HTML_TAG = re.compile(r"<[^<>]*>")
#: The entities Telegram's HTML parse mode decodes; any other "&...;" stays as written.
_HTML_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|lt|gt|amp|quot);")


def utf16_length(text: str) -> int:
    """Plain text's length as Telegram counts it: an emoji outside the BMP counts twice."""
    return len(text.encode("utf-16-le")) // 2


def telegram_length(html_text: str) -> int:
    """The length Telegram checks against its limits, for a message sent as HTML."""
    visible = _HTML_ENTITY.sub(lambda m: html.unescape(m[0]), _HTML_TAG.sub("", html_text))
    return utf16_length(visible)


def excess(messages: Iterable[str], limit: int = MESSAGE_LIMIT) -> int:
    """How much the longest of these HTML messages is over `limit`, 0 when each one fits.

    Pass a text wrapped in every way (and language) it will be sent: the excess is how many
    characters the writer must cut for it to fit everywhere.
    """
    return max([0, *(telegram_length(m) - limit for m in messages)])


class TooLong(ValueError):
    """A text that, wrapped as it will be sent, is `excess` characters over Telegram's limit."""

    def __init__(self, excess: int) -> None:
        super().__init__(f"{excess} characters too long")
        self.excess = excess


def check_fits(messages: Iterable[str], limit: int = MESSAGE_LIMIT) -> None:
    """TooLong, with how much to cut, when any of these HTML messages is over `limit`."""
    over = excess(messages, limit)
    if over:
        raise TooLong(over)


def in_messages(parts: Iterable[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """HTML `parts` (lines, each whole in its tags) joined by line breaks into as few messages
    as keep each within `limit`; a part is never split, so one over the limit stays too long."""
    messages: list[str] = []
    current: list[str] = []
    for part in parts:
        if current and telegram_length("\n".join([*current, part])) > limit:
            messages.append("\n".join(current).strip("\n"))
            current = []
        current.append(part)
    if current:
        messages.append("\n".join(current).strip("\n"))
    return [m for m in messages if m]


_ZWJ = "\u200d"


def _regional(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends(char: str) -> bool:
    """A character that belongs to the one before it: a combining mark, a variation selector,
    a skin tone, a tag (of a subdivision flag)."""
    return (
        unicodedata.category(char) in {"Mn", "Mc", "Me"}
        or "\ufe00" <= char <= "\ufe0f"
        or "\U000e0100" <= char <= "\U000e01ef"
        or "\U0001f3fb" <= char <= "\U0001f3ff"
        or "\U000e0020" <= char <= "\U000e007f"
    )


def _breaks_at(text: str, at: int) -> bool:
    """Whether `text` may be cut before `text[at]` without splitting what reads as one
    character: an accent from its letter, a ZWJ sequence (a family emoji), a flag's pair."""
    before, after = text[at - 1], text[at]
    if _extends(after) or _ZWJ in (before, after):
        return False
    if _regional(before) and _regional(after):
        run = 0  # regional indicators pair up from the first of a run
        while at - run - 1 >= 0 and _regional(text[at - run - 1]):
            run += 1
        return run % 2 == 0
    return True


def clipped(text: str, limit: int) -> str:
    """`text` on one line, cut to at most `limit` characters with "…" where it was cut, never
    inside what reads as one character (an accented letter, an emoji sequence, a flag)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    at = max(limit - 1, 0)
    while at > 0 and not _breaks_at(text, at):
        at -= 1
    return text[:at].rstrip() + "…"
