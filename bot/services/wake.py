"""The outbox worker's wake-up, shared by every service that queues messages."""

from __future__ import annotations

from collections.abc import Callable


class Wake:
    """Called after outbox rows are committed; the running bot points it at its worker."""

    def __init__(self) -> None:
        self.callback: Callable[[], None] = lambda: None

    def __call__(self) -> None:
        self.callback()
