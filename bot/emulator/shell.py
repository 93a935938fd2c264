"""`trygghetsbot shell`: the emulator and the bot in one process, chatted with in a terminal.

You are a resident by default. Type text to send it; type a button's number to press it.
Shell commands (everything else goes to the bot):
  /as kommunpolis | /as <name, actor or telegram id> | /as resident   switch identity
  /location LAT LON     share a location          /photo PATH   send a photo
  /who                  list identities           /quit         leave (Ctrl-D works too)
  /block                block the bot (as you)    /unblock      unblock it again
A line starting with a backslash is sent as it is (\\12 sends "12").
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.app import ALLOWED_UPDATES, build_application
from bot.domain.deployment import Deployment
from bot.emulator.inprocess import EmulatorRequest, InProcessBot
from bot.emulator.server import Emulator
from bot.emulator.state import Event, Message, World
from bot.settings import Settings

RESIDENT_ID = 500000001
HELP = __doc__.split("\n", 2)[2] if __doc__ else ""


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


class Shell:
    """Turns emulator events into terminal lines and terminal lines into user actions."""

    def __init__(self, world: World, deployment: Deployment, out: TextIO) -> None:
        self.world = world
        self.out = out
        self.resident = Identity(RESIDENT_ID, "Invånare (du)")
        self.staff = [
            Identity(s.telegram_id, f"{s.name} [{s.role.value}]")
            for s in deployment.staff
            if s.telegram_id is not None
        ]
        self.staff_roles = {
            s.telegram_id: (s.role.value, s.actor, s.name.casefold())
            for s in deployment.staff
            if s.telegram_id is not None
        }
        self.identity = self.resident
        self.buttons: list[Button] = []
        self.shown: dict[tuple[int, int], str] = {}  # (chat, message) -> text printed
        self.labels = {i.user_id: i.label for i in [self.resident, *self.staff]}
        for identity in [self.resident, *self.staff]:
            world.user(identity.user_id, identity.label, language_code=identity.language_code)
        for identity in self.staff:
            world.user(identity.user_id).started = True  # staff have opened the bot before

    # ------------------------------------------------------------------ output
    def say(self, line: str = "") -> None:
        self.out.write(line + "\n")
        self.out.flush()

    def on_event(self, event: Event) -> None:
        if event.kind == "answer":
            if event.answer and event.answer.get("text"):
                self.say(f"   💬 {event.answer['text']}")
            return
        message = event.message
        assert message is not None
        if event.chat_id != self.identity.user_id:
            if event.kind == "sent":
                label = self.labels.get(event.chat_id, f"chatt {event.chat_id}")
                first = message.text.splitlines()[0] if message.text else f"[{message.kind}]"
                self.say(f"   [→ {label}] {first[:100]}")
            return
        if event.kind == "deleted":
            self.say("   (ett meddelande togs bort)")
            return
        if event.kind == "edited" and self.shown.get((message.chat_id, message.id)) == message.text:
            # Only the buttons changed (a toggle, or buttons taken off after a press).
            self.refresh_buttons()
            for number, button in enumerate(self.buttons, start=1):
                if button.kind == "inline" and button.message_id == message.id:
                    self.say(f"   [{number}] {button.label}")
            return
        self.show(message, edited=event.kind == "edited")

    def show(self, message: Message, *, edited: bool = False) -> None:
        self.shown[(message.chat_id, message.id)] = message.text
        prefix = "🤖✏️ " if edited else "🤖 "
        body = message.text or f"[{message.kind}]"
        if message.kind == "location":
            loc = message.data["location"]
            body = f"[plats {loc['latitude']:.5f}, {loc['longitude']:.5f}]"
        elif message.kind in ("photo", "document") and message.text:
            body = f"[{message.kind}] {message.text}"
        lines = body.splitlines() or [""]
        self.say(prefix + lines[0])
        for line in lines[1:]:
            self.say("   " + line)
        self.refresh_buttons()
        for number, button in enumerate(self.buttons, start=1):
            if button.kind == "inline" and button.message_id == message.id:
                self.say(f"   [{number}] {button.label}")
        self.show_reply_keyboard()

    def show_reply_keyboard(self) -> None:
        for number, button in enumerate(self.buttons, start=1):
            if button.kind == "reply":
                self.say(f"   ({number}) {button.label}")

    def refresh_buttons(self) -> None:
        """Number the buttons the current identity can press: the newest keyboard, then
        the reply keyboard."""
        chat = self.world.chat(self.identity.user_id)
        buttons: list[Button] = []
        for message in reversed(self.world.received(chat.id)):
            inline = [b for b in message.inline_buttons if "callback_data" in b]
            if inline:
                buttons += [
                    Button("inline", message.id, b["callback_data"], b["text"]) for b in inline
                ]
                break
        keyboard = chat.reply_keyboard or {}
        for row in keyboard.get("keyboard", []):
            for button in row:
                text = button if isinstance(button, str) else button.get("text", "")
                kind = "reply"
                if isinstance(button, dict) and button.get("request_location"):
                    text = f"{text} (skriv /location LAT LON)"
                buttons.append(Button(kind, 0, text, text))
        self.buttons = buttons

    # ------------------------------------------------------------------ input
    def handle(self, line: str) -> bool:
        """Act on one line; False means quit."""
        line = line.rstrip("\n")
        if not line.strip():
            return True
        if line.startswith("\\"):
            self.world.send_text(self.identity.user_id, line[1:])
            return True
        word, _, rest = line.strip().partition(" ")
        if word in ("/quit", "/exit"):
            return False
        if word == "/as":
            self.switch(rest.strip())
        elif word == "/who":
            for identity in [self.resident, *self.staff]:
                mark = "*" if identity == self.identity else " "
                self.say(f" {mark} {identity.label} ({identity.user_id})")
        elif word == "/location":
            self.location(rest)
        elif word == "/block":
            self.world.block(self.identity.user_id)
            self.say("   Du har blockerat boten. /unblock (eller ett meddelande) häver det.")
        elif word == "/unblock":
            self.world.unblock(self.identity.user_id)
            self.say("   Boten är inte längre blockerad.")
        elif word == "/photo":
            self.photo(rest.strip())
        elif word in ("/shellhelp", "/?"):
            self.say(HELP)
        elif line.strip().isdigit():
            self.press(int(line.strip()))
        else:
            self.world.send_text(self.identity.user_id, line)
        return True

    def switch(self, who: str) -> None:
        key = who.casefold()
        if key in ("", "resident", "invånare", "invanare", "du"):
            self.identity = self.resident
        else:
            matches = [
                identity
                for identity in self.staff
                if key in self.staff_roles[identity.user_id]
                or key in identity.label.casefold()
                or key == str(identity.user_id)
            ]
            if not matches:
                self.say(f"   Ingen i personallistan matchar {who!r}. Skriv /who för att se alla.")
                return
            self.identity = matches[0]
        self.say(f"   Du är nu: {self.identity.label} ({self.identity.user_id})")
        self.refresh_buttons()

    def press(self, number: int) -> None:
        self.refresh_buttons()
        if not 1 <= number <= len(self.buttons):
            self.say("   Det finns ingen knapp med det numret. (Skicka siffror som text med \\.)")
            return
        button = self.buttons[number - 1]
        if button.kind == "inline":
            self.world.press(self.identity.user_id, button.message_id, button.value)
        else:
            self.world.send_text(self.identity.user_id, button.value)

    def location(self, rest: str) -> None:
        try:
            lat_text, lon_text = rest.replace(",", " ").split()
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            self.say("   Skriv: /location 59.4239 17.8328")
            return
        self.world.send_location(self.identity.user_id, lat, lon)

    def photo(self, path: str) -> None:
        try:
            content = Path(path).expanduser().read_bytes()
            self.world.send_photo(self.identity.user_id, content)
        except OSError as exc:
            self.say(f"   Kan inte läsa {path}: {exc.strerror}")
        except Exception as exc:  # the emulator refuses files that are not images
            self.say(f"   Kan inte skicka {path} som foto: {exc}")


def _reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None], src: TextIO) -> None:
    """Read lines in a daemon thread so a blocked read never holds up shutdown."""
    for line in src:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def run_shell(
    settings: Settings,
    deployment: Deployment,
    *,
    database: Path | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    """Start the emulator and the bot, then chat until /quit or end of input."""
    with contextlib.ExitStack() as stack:
        if database is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trygg-shell-")))
            database = folder / "shell.sqlite3"
        async with Emulator() as emulator:
            local = settings.model_copy(
                update={
                    "bot_token": SecretStr(emulator.token),
                    "api_base_url": emulator.base_url,
                    "api_file_url": emulator.file_url,
                    "database": database,
                }
            )
            emulator.world.member_updates = True  # /block and /unblock, as Telegram
            shell = Shell(emulator.world, deployment, stdout)
            # In-process (no long polling): waiting for the bot's answer is then exact, not
            # a quiet window (bot.emulator.inprocess).
            request = EmulatorRequest(emulator.world, emulator.token)
            app = build_application(local, deployment, request=request)
            async with InProcessBot(app, emulator.world, list(ALLOWED_UPDATES)):
                stop_watching = emulator.world.watch(shell.on_event)
                interactive = stdin.isatty()
                shell.say(
                    "Trygghetsboten, lokal testmiljö: ingen token och inget nät behövs. "
                    f"Databas: {database}"
                )
                shell.say(
                    "Du chattar som invånare. Skriv /start. Siffra = tryck på knapp. "
                    "/as kommunpolis byter roll, /shellhelp visar allt, /quit avslutar."
                )
                queue: asyncio.Queue[str | None] = asyncio.Queue()
                loop = asyncio.get_running_loop()
                threading.Thread(target=_reader, args=(loop, queue, stdin), daemon=True).start()
                while True:
                    if interactive:
                        stdout.write(f"{shell.identity.label}> ")
                        stdout.flush()
                    line = await queue.get()
                    if line is not None and not interactive:
                        shell.say(f"{shell.identity.label}> {line.rstrip()}")
                    if line is None or not shell.handle(line):
                        break
                    # Let the bot answer before the next prompt (and before the next piped line).
                    await emulator.world.wait_idle(quiet=0.2, timeout=10)
                await emulator.world.wait_idle(quiet=0.2, timeout=10)
                stop_watching()
