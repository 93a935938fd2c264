"""The README's shell captures are what the shell prints today.

A capture is a ```text block right after a `<!-- capture -->` line. Its lines typed at a
prompt (`Name> text`, or the shell's own `Latitud, longitud: text`) are fed to a fresh
throw-away shell, in order; every line of the block must then appear in the shell's output,
in the same order (a subsequence: `…` marks lines left out). `<!-- capture: continued -->`
goes on from the capture before it: that one's lines are typed first. Dates and times are
the day the capture was taken, so they are compared as dates and times."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.domain.deployment import Deployment
from bot.emulator.shell import run_shell
from bot.settings import load_settings

README = Path(__file__).resolve().parent.parent / "README.md"
CAPTURE = re.compile(r"<!-- capture(: continued)? -->\n```text\n(.*?)```", re.DOTALL)
PROMPT = re.compile(r"^(?:(?!🤖)[^\s>][^>]*> |Latitud, longitud: )(.*)$")
DATES = [
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<datum>"),
    (re.compile(r"\b\d{1,2} [a-zåäö]{3,4}\. \d{4}\b"), "<datum>"),
    (re.compile(r"\b\d{1,2}:\d{2}\b"), "<tid>"),
]


def normal(line: str) -> str:
    """`line` as compared: no trailing space, dates and times as such, Babel's no-break
    spaces (2 000) as the plain ones a README has."""
    line = line.rstrip().replace("\u00a0", " ").replace("\u202f", " ")
    for pattern, stand_in in DATES:
        line = pattern.sub(stand_in, line)
    return line


def captures() -> list[tuple[list[str], list[str]]]:
    """Each capture's (lines typed, lines expected), a continued one's typed lines after
    those of the capture it goes on from."""
    found: list[tuple[list[str], list[str]]] = []
    for continued, block in CAPTURE.findall(README.read_text(encoding="utf-8")):
        lines = [line for line in block.splitlines() if line.strip()]
        typed = [m.group(1) for line in lines if (m := PROMPT.match(line))]
        before = found[-1][0] if continued and found else []
        found.append(([*before, *typed], [line for line in lines if line.strip() != "…"]))
    return found


def missing(expected: list[str], printed: list[str]) -> str | None:
    """The first expected line not found, in order, among the printed lines; None: all were."""
    at = 0
    for line in expected:
        while at < len(printed) and printed[at] != line:
            at += 1
        if at == len(printed):
            return line
        at += 1
    return None


def test_the_readme_has_a_resident_and_an_officer_capture() -> None:
    blocks = captures()
    assert len(blocks) >= 2
    assert any("/as kommunpolis" in typed for typed, _expected in blocks)


@pytest.mark.parametrize("number", range(len(captures())))
async def test_a_readme_capture_is_what_the_shell_prints(
    deployment: Deployment, number: int
) -> None:
    typed, lines = captures()[number]
    out = io.StringIO()
    stdin = io.StringIO("".join(f"{line}\n" for line in typed))
    await run_shell(load_settings(), deployment, stdin=stdin, stdout=out)
    printed = [normal(line) for line in out.getvalue().splitlines()]
    expected = [normal(line) for line in lines]
    assert missing(expected, printed) is None, (
        f"README capture {number}: not printed (in this order): {missing(expected, printed)!r}"
        f"\n--- the shell printed ---\n{out.getvalue()}"
    )


def test_the_readme_tables_name_every_setting_and_command() -> None:
    """The settings table has every TRYGG_* setting and the command table every
    `trygghetsbot` command (the web pages' among them: issue 20's newcomer review)."""
    from bot.cli import build_parser
    from bot.settings import ENV_PREFIX, Settings

    text = README.read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    settings = [ENV_PREFIX + name.upper() for name in Settings.model_fields]
    assert not [s for s in settings if not any(f"`{s}`" in row for row in rows)]
    parser = build_parser()
    commands = next(
        a.choices for a in parser._actions if isinstance(a.choices, dict) and "run" in a.choices
    )
    assert {"web", "poster"} <= set(commands)
    assert not [c for c in commands if not any(f"| `trygghetsbot {c}" in row for row in rows)]
