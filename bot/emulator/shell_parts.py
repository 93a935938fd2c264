"""The shell's pieces that need no running bot: its help (in Swedish, like everything else the
shell shows), identities and buttons, reading coordinates, and saving the files the bot sends."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import Path

from bot.emulator.models import Message
from bot.emulator.state import World

HELP = """\
Du är invånare från början. Skriv text för att skicka den till boten.
Knappar under ett meddelande har siffror: [1], [2] … Skriv siffran för att trycka.
Knappar längst ner (tangentbordet) har bokstäver: (a), (b) … Skriv bokstaven för att trycka.
Platsknappen frågar efter latitud och longitud, till exempel 59.4239, 17.8328.
Skalets egna kommandon (allt annat går till boten):
  /as kommunpolis | /as <namn, aktör eller telegram-id> | /as invånare   byt identitet
  /location LAT LON   dela en plats              /photo SÖKVÄG   skicka ett foto
  /who                visa alla identiteter      /quit           avsluta (Ctrl-D går också)
  /block              blockera boten (som du)    /unblock        häv blockeringen
  /shellhelp          visa den här hjälpen
En rad som börjar med \\ skickas som den är (\\12 skickar "12", \\a skickar "a").
Filer som boten skickar sparas i en mapp; sökvägen visas under meddelandet."""

LETTERS = string.ascii_lowercase
ASK_LOCATION = "Latitud, longitud: "
LOCATION_EXAMPLE = "Skriv latitud och longitud, till exempel 59.4239, 17.8328 (tom rad avbryter)."


def messages(n: int) -> str:
    """'1 meddelande', '3 meddelanden': the shell's own Swedish, not the bot's catalogs."""
    return f"{n} meddelande" if n == 1 else f"{n} meddelanden"


@dataclass(frozen=True)
class Identity:
    user_id: int
    label: str
    language_code: str = "sv"


@dataclass(frozen=True)
class Button:
    kind: str  # "inline" (callback) or "reply" (sends its text)
    message_id: int
    value: str
    label: str
    location: bool = False  # a reply button that shares the user's location


def inline_buttons(world: World, chat_id: int) -> list[Button]:
    """The buttons of the newest message with callback buttons: numbered 1..n."""
    for message in reversed(world.received(chat_id)):
        inline = [b for b in message.inline_buttons if "callback_data" in b]
        if inline:
            return [Button("inline", message.id, b["callback_data"], b["text"]) for b in inline]
    return []


def reply_buttons(world: World, chat_id: int) -> list[Button]:
    """The reply keyboard at the bottom of the chat: lettered a, b, c …"""
    keyboard = world.chat(chat_id).reply_keyboard or {}
    buttons: list[Button] = []
    for row in keyboard.get("keyboard", []):
        for button in row:
            text = button if isinstance(button, str) else str(button.get("text", ""))
            location = isinstance(button, dict) and bool(button.get("request_location"))
            buttons.append(Button("reply", 0, text, text, location))
    return buttons[: len(LETTERS)]


def reply_lines(buttons: list[Button]) -> list[str]:
    lines = []
    for letter, button in zip(LETTERS, buttons, strict=False):
        note = " (frågar efter koordinater)" if button.location else ""
        lines.append(f"   ({letter}) {button.label}{note}")
    return lines


def parse_coordinates(text: str) -> tuple[float, float] | None:
    """Latitude and longitude from "59.42, 17.83", "59.42 17.83", "59,42 17,83" or
    "59,42; 17,83" (decimal commas as Swedish writes them); None when it is not two numbers
    in range."""
    parts = [p.strip(",") for p in re.split(r"[\s;]+", text.strip()) if p.strip(",")]
    if len(parts) == 1:
        parts = parts[0].split(",")
    if len(parts) != 2:
        return None
    try:
        lat, lon = (float(p.replace(",", ".")) for p in parts)
    except ValueError:
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def save_document(world: World, message: Message, folder: Path) -> Path:
    """Write a document the bot sent to `folder` under its own name (a number is added when
    the name is taken); returns the path."""
    document = message.data["document"]
    stored = world.file(document["file_id"])
    name = Path(str(document.get("file_name") or stored.path)).name or "fil"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 1
    while path.exists():
        number += 1
        path = folder / f"{stem}-{number}{suffix}"
    path.write_bytes(stored.content)
    return path
