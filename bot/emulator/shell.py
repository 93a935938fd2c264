"""`trygghetsbot shell`: the emulator and the bot in one process, chatted with in a terminal.

The shell's own lines and help (bot.emulator.shell_parts.HELP) are in Swedish, like the bot's
default language. Inline buttons are numbered 1..n, reply-keyboard buttons lettered a, b, ...
The throw-away shell (no --database) keeps its database, photos and the files the bot sends in
one temporary folder, removed at exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import tempfile
import threading
from pathlib import Path
from typing import TextIO

from pydantic import SecretStr

from bot.app import ALLOWED_UPDATES, build_application
from bot.domain.deployment import Deployment
from bot.emulator.inprocess import EmulatorRequest, InProcessBot
from bot.emulator.models import JSON
from bot.emulator.server import Emulator
from bot.emulator.shell_parts import (
    ASK_LOCATION,
    HELP,
    LETTERS,
    LOCATION_EXAMPLE,
    Button,
    Identity,
    inline_buttons,
    messages,
    parse_coordinates,
    reply_buttons,
    reply_lines,
    save_document,
)
from bot.emulator.state import Event, Message, World
from bot.settings import Settings

RESIDENT_ID = 500000001
SHELL_FILES = Path("shell-files")  # where a kept shell (--database) saves the bot's files

__all__ = ["HELP", "RESIDENT_ID", "Shell", "run_shell"]


class Shell:
    """Turns emulator events into terminal lines and terminal lines into user actions."""

    def __init__(
        self, world: World, deployment: Deployment, out: TextIO, files: Path = SHELL_FILES
    ) -> None:
        self.world = world
        self.out = out
        self.files = files.resolve()
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
        self.inline: list[Button] = []
        self.reply: list[Button] = []
        self.asking_location = False
        self.shown: dict[tuple[int, int], str] = {}  # (chat, message) -> text printed
        self.saved: dict[tuple[int, int], Path] = {}  # (chat, message) -> document written
        self.keyboards: dict[int, JSON | None] = {}  # chat -> reply keyboard last printed
        self.labels = {i.user_id: i.label for i in [self.resident, *self.staff]}
        for identity in [self.resident, *self.staff]:
            world.user(identity.user_id, identity.label, language_code=identity.language_code)
        for identity in self.staff:
            world.user(identity.user_id).started = True  # staff have opened the bot before

    def prompt(self) -> str:
        return ASK_LOCATION if self.asking_location else f"{self.identity.label}> "

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
            self.show_inline(message.id)
            return
        self.show(message, edited=event.kind == "edited")

    def show(self, message: Message, *, edited: bool = False, buttons: bool = True) -> None:
        key = (message.chat_id, message.id)
        self.shown[key] = message.text
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
        if message.kind == "document":
            self.show_document(message)
        if buttons:
            self.refresh_buttons()
            self.show_inline(message.id)
            self.show_reply_keyboard()

    def show_document(self, message: Message) -> None:
        key = (message.chat_id, message.id)
        if key not in self.saved:
            try:
                self.saved[key] = save_document(self.world, message, self.files)
            except OSError as exc:
                self.say(f"   📄 Kunde inte spara filen i {self.files}: {exc.strerror or exc}")
                return
        self.say(f"   📄 Sparad: {self.saved[key]}")

    def show_inline(self, message_id: int) -> None:
        for number, button in enumerate(self.inline, start=1):
            if button.message_id == message_id:
                self.say(f"   [{number}] {button.label}")

    def show_reply_keyboard(self, *, always: bool = False) -> None:
        """Print the reply keyboard when it changed (or `always`, after switching identity)."""
        chat_id = self.identity.user_id
        keyboard = self.world.chat(chat_id).reply_keyboard
        if not always and chat_id in self.keyboards and self.keyboards[chat_id] == keyboard:
            return
        self.keyboards[chat_id] = keyboard
        for line in reply_lines(self.reply):
            self.say(line)

    def refresh_buttons(self) -> None:
        """The buttons the current identity can press: the newest inline keyboard (numbers)
        and the reply keyboard (letters)."""
        self.inline = inline_buttons(self.world, self.identity.user_id)
        self.reply = reply_buttons(self.world, self.identity.user_id)

    # ------------------------------------------------------------------ input
    def handle(self, line: str) -> bool:
        """Act on one line; False means quit."""
        line = line.rstrip("\n")
        if self.asking_location:
            if not line.strip().startswith("/"):
                self.answer_location(line)
                return True
            self.asking_location = False  # a command leaves the prompt and runs as usual
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
        elif len(line.strip()) == 1 and line.strip().lower() in LETTERS:
            self.press_reply(line.strip().lower())
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
        self.catch_up()

    def catch_up(self) -> None:
        """Show what arrived for this identity while another one was shown, then its buttons."""
        chat_id = self.identity.user_id
        missed = [
            m for m in self.world.received(chat_id) if self.shown.get((chat_id, m.id)) != m.text
        ]
        if missed:
            self.say(f"   Medan du var borta kom {messages(len(missed))}:")
        else:
            self.say("   Inget nytt sedan sist.")
        for message in missed:
            self.show(message, buttons=False)
        self.refresh_buttons()
        if self.inline:
            if not missed or self.inline[0].message_id != missed[-1].id:
                self.say("   Knappar att trycka på:")
            self.show_inline(self.inline[0].message_id)
        self.show_reply_keyboard(always=True)

    def press(self, number: int) -> None:
        self.refresh_buttons()
        if not 1 <= number <= len(self.inline):
            self.say("   Det finns ingen knapp med det numret. (Skicka siffror som text med \\.)")
            return
        button = self.inline[number - 1]
        self.world.press(self.identity.user_id, button.message_id, button.value)

    def press_reply(self, letter: str) -> None:
        self.refresh_buttons()
        index = LETTERS.index(letter)
        if index >= len(self.reply):
            self.say(
                f"   Det finns ingen knapp ({letter}) längst ner. (Skicka text med \\{letter}.)"
            )
            return
        button = self.reply[index]
        if button.location:
            self.say(f"   {LOCATION_EXAMPLE}")
            self.asking_location = True
        else:
            self.world.send_text(self.identity.user_id, button.value)

    def answer_location(self, line: str) -> None:
        if not line.strip():
            self.asking_location = False
            self.say("   Ingen plats skickades.")
            return
        coordinates = parse_coordinates(line)
        if coordinates is None:
            self.say(f"   Det är inga koordinater. {LOCATION_EXAMPLE}")
            return
        self.asking_location = False
        self.world.send_location(self.identity.user_id, *coordinates)

    def location(self, rest: str) -> None:
        coordinates = parse_coordinates(rest)
        if coordinates is None:
            self.say("   Skriv: /location 59.4239 17.8328")
            return
        self.world.send_location(self.identity.user_id, *coordinates)

    def photo(self, path: str) -> None:
        if not path:
            self.say("   Skriv: /photo SÖKVÄG")
            return
        file = Path(path).expanduser()
        try:
            content = file.read_bytes()
        except FileNotFoundError:
            self.say(f"   Filen finns inte: {path}")
            return
        except IsADirectoryError:
            self.say(f"   Kan inte läsa filen: {path} är en mapp.")
            return
        except PermissionError:
            self.say(f"   Kan inte läsa filen: {path} (du saknar behörighet).")
            return
        except OSError:
            self.say(f"   Kan inte läsa filen: {path}")
            return
        try:
            self.world.send_photo(self.identity.user_id, content)
        except Exception:  # the emulator refuses files that are not images
            self.say(f"   Filen är ingen bild (JPEG eller PNG): {path}")


def _reader(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None], src: TextIO) -> None:
    """Read lines in a daemon thread so a blocked read never holds up shutdown."""
    for line in src:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


def _local_web(settings: Settings) -> dict[str, object]:
    """With TRYGG_WEB_WITH_BOT the shell serves the web pages too: /webb's links then point
    at them on this machine, whatever the public TRYGG_WEB_URL."""
    if not settings.web_with_bot:
        return {}
    host = "127.0.0.1" if settings.web_listen in {"", "0.0.0.0", "::"} else settings.web_listen
    return {"web_url": f"http://{host}:{settings.web_port}"}


async def run_shell(
    settings: Settings,
    deployment: Deployment,
    *,
    database: Path | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    """Start the emulator and the bot, then chat until /quit or end of input.

    Without `database` everything goes into one temporary folder, removed at exit: the
    database, the photos (media folder) and the files the bot sends. With it, the settings'
    media folder is used and the bot's files go to ./shell-files."""
    with contextlib.ExitStack() as stack:
        media, files = settings.media_dir, SHELL_FILES
        if database is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="trygg-shell-")))
            database, media, files = folder / "shell.sqlite3", folder / "media", folder / "filer"
            media.mkdir()
        async with Emulator() as emulator:
            local = settings.model_copy(
                update={
                    "bot_token": SecretStr(emulator.token),
                    "api_base_url": emulator.base_url,
                    "api_file_url": emulator.file_url,
                    "database": database,
                    "media_dir": media,
                    "lagesbild_monthly": settings.model_fields_set >= {"lagesbild_monthly"}
                    and settings.lagesbild_monthly,
                    **_local_web(settings),
                }
            )
            emulator.world.member_updates = True  # /block and /unblock, as Telegram
            shell = Shell(emulator.world, deployment, stdout, files)
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
                shell.say(f"Foton sparas i {media}, filer från boten i {files}.")
                if local.web_with_bot:
                    shell.say(
                        f"Webbsidorna: {local.web_url} (inloggning: /as kommunpolis, sedan /webb)."
                    )
                shell.say(
                    "Du chattar som invånare. Skriv /start. Siffra = tryck på knapp, bokstav = "
                    "knapp längst ner. /as kommunpolis byter roll, /shellhelp visar allt, "
                    "/quit avslutar."
                )
                queue: asyncio.Queue[str | None] = asyncio.Queue()
                loop = asyncio.get_running_loop()
                threading.Thread(target=_reader, args=(loop, queue, stdin), daemon=True).start()
                while True:
                    if interactive:
                        stdout.write(shell.prompt())
                        stdout.flush()
                    prompt = shell.prompt()
                    line = await queue.get()
                    if line is not None and not interactive:
                        shell.say(f"{prompt}{line.rstrip()}")
                    if line is None or not shell.handle(line):
                        break
                    # Let the bot answer before the next prompt (and before the next piped line).
                    await emulator.world.wait_idle(quiet=0.2, timeout=10)
                await emulator.world.wait_idle(quiet=0.2, timeout=10)
                stop_watching()
