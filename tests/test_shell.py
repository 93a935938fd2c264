"""The shell (`make run` without a token, `trygghetsbot shell`) as a newcomer uses it: lines
typed into its input loop, only its printed output read back. The real Application answers
through the emulator, in this process."""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest

from bot.domain.deployment import Deployment
from bot.emulator.shell import RESIDENT_ID, Shell, run_shell
from bot.emulator.state import World
from bot.settings import load_settings
from tests.images import jpeg
from tests.test_e2e import TO_SUMMARY


async def shell(deployment: Deployment, lines: list[str], database: Path | None = None) -> str:
    """Everything the shell printed for `lines` typed one by one (then end of input)."""
    out = io.StringIO()
    stdin = io.StringIO("".join(line + "\n" for line in lines))
    await run_shell(load_settings(), deployment, database=database, stdin=stdin, stdout=out)
    return out.getvalue()


def after(out: str, typed: str) -> str:
    """What the shell printed after the (last) line `typed` was read."""
    return out.rpartition(f"> {typed}\n")[2]


async def test_reply_buttons_are_lettered_and_numbers_mean_inline_buttons(
    deployment: Deployment,
) -> None:
    out = await shell(deployment, ["/start", "1", "9", "b", "4"])
    choosing = after(out, "1")
    assert "(a) 📍 Dela min plats" in choosing
    assert "[8] ✖️ Avbryt" in choosing
    # The reply keyboard has no number: 9 is not a button (it was the location button's text).
    assert re.search(r"\(\d+\)", choosing) is None
    assert after(out, "9").splitlines()[0].strip().startswith("Det finns ingen knapp med det")
    assert "Jag hittar ingen station" not in out
    assert after(out, "b").splitlines()[0].strip().startswith("Det finns ingen knapp (b)")
    assert "Jag godkänner" in after(out, "4")  # 4 is still Jakobsberg in the inline list


async def test_location_button_asks_for_coordinates(deployment: Deployment) -> None:
    out = await shell(deployment, ["/start", "1", "a", "norrut", "59,4245 17,8335"])
    asked = after(out, "a")
    assert "Latitud, longitud: norrut" in asked
    assert "Det är inga koordinater" in after(out, "norrut")
    assert "Närmaste station är Jakobsberg" in after(out, "59,4245 17,8335")


@pytest.mark.parametrize(
    "text",
    [
        "59.4245, 17.8335",
        "59.4245 17.8335",
        "59,4245 17,8335",
        "59,4245; 17,8335",
        "59.4245,17.8335",
    ],
)
def test_coordinates_are_read_as_people_write_them(text: str) -> None:
    from bot.emulator.shell_parts import parse_coordinates

    assert parse_coordinates(text) == (59.4245, 17.8335)


@pytest.mark.parametrize("text", ["", "59.4245", "norr, söder", "91, 17", "59,42,17,83", "1 2 3"])
def test_what_is_not_coordinates(text: str) -> None:
    from bot.emulator.shell_parts import parse_coordinates

    assert parse_coordinates(text) is None


async def test_a_document_from_the_bot_is_saved_and_its_path_shown(
    deployment: Deployment, tmp_path: Path
) -> None:
    out = await shell(deployment, ["/start", "/minadata"], database=tmp_path / "kept.sqlite3")
    saved = re.search(r"📄 Sparad: (.+)", after(out, "/minadata"))
    assert saved is not None, out
    path = Path(saved.group(1))
    assert path.parent == tmp_path / "shell-files"  # a kept shell: ./shell-files
    data = json.loads(await asyncio.to_thread(path.read_text, encoding="utf-8"))
    assert data  # the resident's own data, as the bot sent it


async def test_switching_identity_shows_what_arrived_meanwhile(deployment: Deployment) -> None:
    lines = [*TO_SUMMARY, "1", "1", "/as kommunpolis", "/as resident"]  # skip photos, send
    out = await shell(deployment, lines)
    assert "Tack! Din rapport har nummer JKB-0001." in out
    officer = after(out, "/as kommunpolis").partition("> /as resident")[0]
    assert "Medan du var borta kom" in officer
    card = officer.partition("JKB-0001")[2]
    assert "Belysning" in card, officer
    assert "Lamporna vid trappan" in card, officer
    assert re.search(r"\[1\] \S", card)  # the card's buttons, numbered, ready to press
    assert "Inget nytt sedan sist." in after(out, "/as resident")


async def test_throwaway_shell_keeps_photos_in_its_temporary_folder(
    deployment: Deployment, tmp_path: Path
) -> None:
    (tmp_path / "lampa.jpg").write_bytes(jpeg())
    out = await shell(deployment, [*TO_SUMMARY, "/photo lampa.jpg", "1"])
    assert "Foton: 1" in out, out  # the photo was stored
    # Nothing under the working folder, where the default media folder (data/media) is.
    assert not (tmp_path / "data").exists()
    database = re.search(r"Databas: (\S+)", out)
    assert database is not None
    folder = Path(database.group(1)).parent
    assert f"Foton sparas i {folder / 'media'}" in out
    assert not folder.exists()  # removed at exit, photos with it


async def test_shell_help_is_in_one_language(deployment: Deployment) -> None:
    out = await shell(deployment, ["/shellhelp"])
    help_text = after(out, "/shellhelp")
    assert "byt identitet" in help_text
    english = ["switch", "share", "send", "leave", "list", "block the", "type", "default"]
    assert [word for word in english if word in help_text.casefold()] == []


def shell_of(deployment: Deployment, tmp_path: Path) -> tuple[Shell, World, io.StringIO]:
    """A shell on a world with no bot behind it: its own lines only."""
    world, out = World(), io.StringIO()
    return Shell(world, deployment, out, tmp_path / "filer"), world, out


def test_what_arrived_meanwhile_is_counted_in_swedish(
    deployment: Deployment, tmp_path: Path
) -> None:
    shell, world, out = shell_of(deployment, tmp_path)
    officer = shell.staff[0].user_id
    for n in range(3):
        world.bot_message(world.target_chat(officer), {"text": f"Meddelande {n}"})
    world.user(RESIDENT_ID).started = True
    world.bot_message(world.target_chat(RESIDENT_ID), {"text": "Ett svar"})
    shell.handle(f"/as {officer}")
    assert "Medan du var borta kom 3 meddelanden:" in out.getvalue()
    shell.handle("/as invånare")
    assert "Medan du var borta kom 1 meddelande:" in out.getvalue()
    assert "(n)" not in out.getvalue()


async def test_a_shell_command_leaves_the_coordinates_prompt(deployment: Deployment) -> None:
    lines = ["/start", "1", "a", "/as kommunpolis", "/as invånare", "a", "/quit", "/who"]
    out = await shell(deployment, lines)
    assert "Det är inga koordinater" not in out
    assert "Du är nu: Kommunpolis" in out.partition("Latitud, longitud: /as kommunpolis")[2]
    assert out.endswith("Latitud, longitud: /quit\n"), out[-300:]  # /quit quit: no /who


def test_a_photo_that_cannot_be_read_gets_a_swedish_line(
    deployment: Deployment, tmp_path: Path
) -> None:
    shell, _world, out = shell_of(deployment, tmp_path)
    (tmp_path / "anteckning.txt").write_text("ingen bild", encoding="utf-8")
    for path in ["/nonexistent.jpg", str(tmp_path), str(tmp_path / "anteckning.txt"), ""]:
        shell.handle(f"/photo {path}")
    said = [line.strip() for line in out.getvalue().splitlines()]
    assert said == [
        "Filen finns inte: /nonexistent.jpg",
        f"Kan inte läsa filen: {tmp_path} är en mapp.",
        f"Filen är ingen bild (JPEG eller PNG): {tmp_path / 'anteckning.txt'}",
        "Skriv: /photo SÖKVÄG",
    ]
