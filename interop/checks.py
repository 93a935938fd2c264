"""One interop check: what it expects, what it found, PASS or FAIL."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path


class NotYet(Exception):
    """The check cannot run yet: what it needs has not been built (a FAIL, said so)."""


@dataclass
class Check:
    name: str
    failures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def expect(self, ok: bool, what: str) -> bool:
        """Record `what` as a failure unless `ok`; returns `ok`."""
        if not ok:
            self.failures.append(what)
        return ok

    def note(self, text: str) -> None:
        self.notes.append(text)

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        shown: str | None = None,
        timeout: float = 180,
    ) -> subprocess.CompletedProcess[str]:
        """Run a command (recorded for docs/interop.md); its output is returned, not checked."""
        self.commands.append(shown or " ".join(quote(a) for a in argv))
        return subprocess.run(
            list(argv),
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def lines(self) -> list[str]:
        """The report lines: PASS/FAIL, then the failures and notes indented."""
        head = f"{'PASS' if self.passed else 'FAIL'}  {self.name}"
        return [
            head,
            *(f"      - {f}" for f in self.failures),
            *(f"      . {n}" for n in self.notes),
        ]


def attempt(name: str, body: Callable[[Check], None]) -> Check:
    """Run one check's body; an exception is a failure of that check, not of the run."""
    check = Check(name)
    try:
        body(check)
    except NotYet as exc:
        check.failures.append(f"not yet possible: {exc}")
    except Exception as exc:  # a broken check is reported as its FAIL
        check.failures.append(f"{type(exc).__name__}: {exc}")
    return check


def quote(arg: str) -> str:
    plain = all(c.isalnum() or c in "-_./:=,@%+" for c in arg)
    return arg if plain and arg else "'" + arg.replace("'", "'\\''") + "'"
