"""One run written into docs/interop.md, between two markers (the rest of the file is kept)."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

from interop.checks import Check

START = "<!-- interop-run:start -->"
END = "<!-- interop-run:end -->"


def _commit(repo: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or "unknown"


def render(checks: list[Check], versions: dict[str, str], repo: Path) -> str:
    now = dt.datetime.now().astimezone()
    passed = sum(c.passed for c in checks)
    commit = _commit(repo)
    lines = [
        START,
        f"Run of {now:%Y-%m-%d %H:%M %Z} at commit `{commit}`: {passed} of {len(checks)}"
        " checks passed."
        + (
            " (`-dirty`: the work tree had changes not yet committed.)" if "dirty" in commit else ""
        ),
        "",
        "| Tool | Version |",
        "| --- | --- |",
        *(f"| {name} | {version} |" for name, version in versions.items()),
        "",
        "```text",
        *(line for c in checks for line in c.lines()),
        "```",
        "",
        "The commands each check ran (`$WORK` is the run's temporary folder):",
        "",
        "```sh",
        *(f"{cmd}" for c in checks for cmd in c.commands),
        "```",
        END,
    ]
    return "\n".join(lines)


def write(path: Path, section: str) -> None:
    """Replace the recorded run in `path` (or append it when there is none yet)."""
    text = path.read_text("utf-8") if path.exists() else ""
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1]
        text = head + section + tail
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.write_text(text, "utf-8")
