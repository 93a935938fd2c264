"""An export's file appears complete or not at all: written to a hidden file beside it and
renamed into place; SIGTERM and Ctrl-C stop it (ExportStopped) until that rename."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class ExportStopped(KeyboardInterrupt):
    """The export was stopped by a signal (Ctrl-C, SIGTERM) before it was complete; nothing
    was written to its file. A KeyboardInterrupt: nothing on the way catches it by mistake."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def new_partial(folder: Path, created: list[Path]) -> Path:
    """A new hidden file in `folder`, to write the export into: in the target's folder, so
    that the rename into place is atomic; its name does not grow with the target's. Only its
    owner may read it while it is written. Its name is in `created` before it exists."""
    while True:
        partial = folder / f".trygg-export-{secrets.token_hex(4)}.partial"
        created.append(partial)
        try:
            os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except FileExistsError:
            created.remove(partial)  # someone else's
            continue
        return partial


def put_new(partial: Path, target: Path) -> None:
    """Move the finished `partial` to `target` unless a file is there by now (another export
    to the same name, begun meanwhile): FileExistsError, and `partial` stays for the caller to
    remove. A hard link is created only where nothing is; on a file system without hard
    links the name is held by an empty file (created only where nothing is), then replaced."""
    try:
        os.link(partial, target)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        os.close(os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        os.replace(partial, target)
        return
    os.unlink(partial)


def umask() -> int:
    """The process's umask, read without setting it (another thread may create files)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class Stop:
    """What the SIGTERM and SIGINT handlers saw: `signum`, the last signal; once `committing`,
    they only record it."""

    def __init__(self) -> None:
        self.signum: int | None = None
        self.committing = False


@contextlib.contextmanager
def signals_stop() -> Iterator[Stop]:
    """On the main thread (the CLI's), SIGTERM stops the export as Ctrl-C does, so that the
    partial file is removed: by default SIGTERM ends the process at once. Both record the
    signal before they raise ExportStopped: Python drops an exception raised inside a
    finaliser or a fork hook, and `write` looks again before the rename (such a dropped
    ExportStopped is not reported as "Exception ignored in ..." on stderr). In the bot the
    export runs in a worker thread, and the event loop handles the signals."""
    state = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield state
        return

    def stop(signum: int, frame: object) -> None:
        state.signum = signum
        if not state.committing:
            raise ExportStopped(signum)

    def unraisable(dropped: Any) -> None:
        if not isinstance(dropped.exc_value, ExportStopped):
            hook(dropped)

    hook = sys.unraisablehook
    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    sys.unraisablehook = unraisable
    try:
        yield state
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sys.unraisablehook = hook
