"""An admin's export choice from Telegram buttons, carried in callback data between steps."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot.domain.stats import PERIODS

FORMATS = ("csv", "xlsx", "json", "geojson")  # what makes sense to an admin; no NDJSON
KINDS = ("idea", "report")
ALL = "all"


@dataclass(frozen=True)
class ExportChoice:
    """Filters chosen so far; None means 'not asked yet', ALL means 'no filter'."""

    station: str | None = None
    kind: str | None = None
    period: str | None = None
    fmt: str | None = None

    def next_step(self) -> str | None:
        """Which question comes next: station, kind, period, fmt; None when complete."""
        for step in ("station", "kind", "period", "fmt"):
            if getattr(self, step) is None:
                return step
        return None

    def choose(self, value: str) -> ExportChoice:
        step = self.next_step()
        if step is None:
            raise ValueError("the choice is complete")
        return replace(self, **{step: value})

    def encode(self, stations: Sequence[str]) -> str:
        """Dot-separated, for callback data; a station is its position in `stations`, so
        that long station ids still fit in Telegram's 64 bytes."""
        station = None
        if self.station is not None:
            station = ALL if self.station == ALL else str(stations.index(self.station))
        return ".".join(v for v in (station, self.kind, self.period, self.fmt) if v) or "-"

    @classmethod
    def parse(cls, arg: str, stations: Sequence[str]) -> ExportChoice | None:
        """The choice in `arg`, or None if any part is not one of the allowed values."""
        parts = [] if arg in ("", "-") else arg.split(".")
        positions = {str(i): s for i, s in enumerate(stations)} | {ALL: ALL}
        allowed = (set(positions), set(KINDS) | {ALL}, set(PERIODS), set(FORMATS))
        if len(parts) > 4 or any(p not in ok for p, ok in zip(parts, allowed, strict=False)):
            return None
        if parts:
            parts[0] = positions[parts[0]]
        return cls(*parts)

    @property
    def station_filter(self) -> str | None:
        return None if self.station in (None, ALL) else self.station

    @property
    def kind_filter(self) -> str | None:
        return None if self.kind in (None, ALL) else self.kind
