"""The export command as an admin runs it: `trygghetsbot export`, a child process."""

from __future__ import annotations

import sys
from pathlib import Path

from interop.checks import Check, NotYet
from interop.seed import Seeded, subprocess_env


class Exporter:
    def __init__(self, seeded: Seeded) -> None:
        self.seeded = seeded

    def export(self, check: Check, fmt: str, out: Path, *options: str) -> Path:
        """`trygghetsbot export --format FMT --out OUT`; the file, or NotYet/RuntimeError."""
        argv = [sys.executable, "-m", "bot", "export", "--format", fmt, "--out", str(out)]
        shown = f"trygghetsbot export --format {fmt} --out {out.name}"
        done = check.run(
            [*argv, *options],
            cwd=out.parent,
            env=subprocess_env(self.seeded),
            shown=" ".join([shown, *options]),
        )
        if done.returncode != 0:
            error = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
            if "invalid choice" in error or "unrecognized arguments" in error:
                raise NotYet(f"the export has no {fmt}: {error}")
            raise RuntimeError(f"the export failed ({done.returncode}): {error}")
        return out
