"""Admin use cases from Telegram: who may see statistics and export, and the export itself."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from bot.domain.access import is_national, may_export, may_see_stats, may_start_export
from bot.domain.deployment import Deployment
from bot.domain.exports import ExportChoice
from bot.domain.stats import named_period
from bot.i18n import Catalogs
from bot.services.desk import Refused
from bot.services.export import DIALECTS, Exporter
from bot.settings import Settings
from storage.audit import AuditRepository
from storage.export import Filters
from storage.staff import Staff

#: Bots may upload files up to 50 MB through the public Bot API.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class TooLarge(Exception):
    """The export is larger than Telegram accepts from a bot."""

    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.megabytes = size / (1024 * 1024)


@dataclass(frozen=True)
class ExportScope:
    stations: list[str]
    all_stations: bool  # may export every station at once

    def allows(self, choice: ExportChoice) -> bool:
        if choice.station is None:
            return True  # not chosen yet
        if choice.station_filter is None:
            return self.all_stations
        return choice.station_filter in self.stations


class AdminTools:
    def __init__(
        self,
        settings: Settings,
        deployment: Deployment,
        audit: AuditRepository,
        catalogs: Catalogs | None = None,
    ) -> None:
        self.settings = settings
        self.deployment = deployment
        self.audit = audit
        self.catalogs = catalogs  # the bot's, loaded once: the export's labels come from them

    @staticmethod
    def stats_scope(member: Staff | None) -> list[str] | None:
        """The stations whose statistics `member` may see (None: all); partners may not."""
        if member is None or not may_see_stats(member):
            raise Refused
        return None if is_national(member) else list(member.stations)

    @property
    def station_ids(self) -> list[str]:
        return [s.id for s in self.deployment.stations]

    def export_scope(self, member: Staff | None) -> ExportScope:
        """What `member` may export: only admins; a station-bound admin only their stations."""
        if not may_start_export(member):
            raise Refused
        stations = [s for s in self.station_ids if may_export(member, s)]
        return ExportScope(stations, all_stations=may_export(member, None))

    def export_choice(self, member: Staff | None, arg: str) -> tuple[ExportChoice, ExportScope]:
        """The choice carried by a button, if `member` may make it; else Refused."""
        scope = self.export_scope(member)
        choice = ExportChoice.parse(arg, self.station_ids)
        if choice is None or not scope.allows(choice):
            raise Refused
        return choice, scope

    def encode(self, choice: ExportChoice) -> str:
        return choice.encode(self.station_ids)

    def filters(self, choice: ExportChoice, today: dt.date) -> Filters:
        period = named_period(choice.period or "all", today)
        since, until = period.utc_bounds(self.deployment.deployment.timezone)
        return Filters(
            station=choice.station_filter, kind=choice.kind_filter, since=since, until=until
        )

    async def export(
        self,
        member: Staff | None,
        choice: ExportChoice,
        directory: Path,
        today: dt.date,
        *,
        via: str = "telegram",
        max_bytes: int | None = MAX_UPLOAD_BYTES,
    ) -> tuple[Path, int]:
        """Write the export into `directory` (pseudonymised) and log it, with where it was
        asked for (`via`); returns (file, rows). TooLarge past `max_bytes` (None: no limit;
        Telegram's upload limit by default)."""
        if not self.export_scope(member).allows(choice):
            raise Refused
        assert member is not None
        fmt = choice.fmt or "csv"
        filters = self.filters(choice, today)
        out = directory / f"trygghetsboten-{choice.station or 'alla'}-{today.isoformat()}.{fmt}"
        exporter = Exporter(self.deployment, self.catalogs)  # labelled in Swedish
        dialect = DIALECTS[0]  # CSV for Swedish Excel
        database = self.settings.database
        rows = await asyncio.to_thread(
            exporter.write, fmt, database, out, filters, None, 1, dialect
        )
        details: dict[str, object] = {"format": fmt, "rows": rows, "via": via}
        if fmt == "csv":
            details["dialect"] = dialect  # as the CLI logs it
        details.update({k: v for k, v in vars(filters).items() if v is not None})
        await self.audit.log(f"staff:{member.id}", "export", details)
        size = out.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise TooLarge(size)
        return out, rows
