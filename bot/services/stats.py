"""Statistics for /statistik and `trygghetsbot stats`: numbers, a text and a PNG chart."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.units import format_unit

from bot.charts import weekly_chart
from bot.domain.deployment import Deployment
from bot.domain.stats import IDEA, Durations, Period, StatsReport, summarise, weekly
from bot.i18n import Catalogs, InLanguage, written
from storage.stats import StatsRepository

MAX_TEXT = 3900  # Telegram allows 4096 characters; leave room for the last line
TENTH = Decimal("0.1")  # durations are shown to one decimal


class Statistics(InLanguage):
    def __init__(self, deployment: Deployment, catalogs: Catalogs, repo: StatsRepository) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.repo = repo
        self.zone = ZoneInfo(deployment.deployment.timezone)
        self.lang = deployment.deployment.default_language

    def today(self) -> dt.date:
        return dt.datetime.now(self.zone).date()

    async def report(self, period: Period, stations: Sequence[str] | None = None) -> StatsReport:
        """Counts, response times and cases per week for `period` at `stations` (None: all)."""
        since, until = period.utc_bounds(self.deployment.deployment.timezone)
        chosen = list(stations) if stations is not None else None
        counts = await self.repo.counts(since, until, chosen)
        ack = await self.repo.waits("acknowledged_at", since, until, chosen)
        resolved = await self.repo.waits("resolved_at", since, until, chosen)
        hours = await self.repo.per_hour(since, until, chosen)
        days = [(self._local_day(hour), category, n) for hour, category, n in hours]
        # The chart covers the whole period asked for (up to today), not just weeks with cases.
        last = min(period.until - dt.timedelta(days=1), self.today()) if period.until else None
        weeks, per_week = weekly(days, period.since, last)
        return StatsReport(
            period=period,
            stations=chosen if chosen is not None else [s.id for s in self.deployment.stations],
            counts={(s, c, st): n for s, c, st, n in counts},
            to_acknowledge=summarise(ack),
            to_resolve=summarise(resolved),
            weeks=weeks,
            per_week=per_week,
        )

    def _local_day(self, utc_hour: str) -> dt.date:
        moment = dt.datetime.fromisoformat(utc_hour + ":00:00+00:00")
        return moment.astimezone(self.zone).date()

    # ------------------------------------------------------------------ rendering
    def t(self, key: str, **params: object) -> str:
        return self.catalogs.text(self.lang, key, **params)

    def category_name(self, category: str) -> str:
        if category == IDEA:
            return self.t("stats.ideas")
        return self.deployment.category_label(category, self.lang) or category

    def station_name(self, station_id: str) -> str:
        return self.deployment.station_name(station_id)

    def period_label(self, period: Period) -> str:
        """'1 okt. 2026 – 31 okt. 2026': the period's first and last day, the language's way;
        'sedan start', 'från 1 okt. 2026' or 'till och med 31 okt. 2026' when open-ended."""

        def day(value: dt.date) -> str:
            return format_date(value, "medium", locale=self.lang)

        last = period.until - dt.timedelta(days=1) if period.until else None
        if period.since and last:
            return f"{day(period.since)} – {day(last)}"
        if period.since:
            return self.t("stats.from", date=day(period.since))
        if last:
            return self.t("stats.through", date=day(last))
        return self.t("stats.since_start")

    def duration(self, hours: float) -> str:
        """'4 timmar', '1,5 timmar', '2,1 dygn': hours up to two days, then days."""
        return duration(hours, self.lang)

    def wait_line(self, key: str, d: Durations) -> str:
        if not d.count or d.median_hours is None or d.p90_hours is None:
            return self.t(f"{key}_none")
        median, p90 = self.duration(d.median_hours), self.duration(d.p90_hours)
        return self.t(key, median=median, p90=p90, count=d.count)

    def text(self, report: StatsReport) -> str:
        """The summary as Telegram HTML, cut to fit one message."""
        lines = [self.t("stats.title", period=self.period_label(report.period), count=report.total)]
        if not report.total:
            lines.append(self.t("stats.empty"))
        for station, total in sorted(report.by_station().items(), key=lambda kv: -kv[1]):
            lines.append("")
            lines.append(self.t("stats.station", station=self.station_name(station), total=total))
            for category, statuses in self.by_category(report, station):
                parts = ", ".join(
                    f"{self.t('status.' + status).lower()} {written(n, self.lang)}"
                    for status, n in statuses.items()
                )
                lines.append(
                    self.t(
                        "stats.category",
                        category=self.category_name(category),
                        total=sum(statuses.values()),
                        statuses=parts,
                    )
                )
        lines.append("")
        lines.append(self.wait_line("stats.to_ack", report.to_acknowledge))
        lines.append(self.wait_line("stats.to_resolve", report.to_resolve))
        text = "\n".join(lines)
        if len(text) > MAX_TEXT:
            cut = text[:MAX_TEXT].rsplit("\n", 1)[0]
            text = cut + "\n" + self.t("stats.truncated")
        return text

    @staticmethod
    def by_category(report: StatsReport, station: str) -> list[tuple[str, dict[str, int]]]:
        rows = report.by_station_category(station).items()
        return sorted(rows, key=lambda kv: -sum(kv[1].values()))

    def table(self, report: StatsReport) -> list[tuple[str, str, str, int]]:
        """Rows for a terminal or a spreadsheet: station, category, status (its label), count."""
        return [
            (self.station_name(s), self.category_name(c), self.t(f"status.{st}"), n)
            for (s, c, st), n in sorted(report.counts.items())
        ]

    def terminal(self, report: StatsReport) -> list[str]:
        """`trygghetsbot stats`: the table with headings, the period and the waits, plain text
        in the deployment's language."""
        rows = [
            (station, category, status, written(n, self.lang))
            for station, category, status, n in self.table(report)
        ]
        lines: list[str] = []
        if rows:
            head = tuple(
                self.t(f"stats.cli.{c}") for c in ("station", "category", "status", "count")
            )
            widths = [max(len(row[i]) for row in [head, *rows]) for i in range(4)]
            for row in [head, *rows]:
                cells = [cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False)]
                lines.append("  ".join([*cells, row[3].rjust(widths[3])]))
        lines.append(
            self.t("stats.cli.period", period=self.period_label(report.period), count=report.total)
        )
        lines.append(plain(self.wait_line("stats.to_ack", report.to_acknowledge)))
        lines.append(plain(self.wait_line("stats.to_resolve", report.to_resolve)))
        return lines

    def chart(self, report: StatsReport) -> bytes:
        """Cases per week per category as a PNG."""
        names = ", ".join(self.station_name(s) for s in report.stations)
        return weekly_chart(
            self.t("stats.chart_title"),
            f"{names} · {self.period_label(report.period)} · {self.deployment.deployment.name}",
            report.weeks,
            report.per_week,
            {c: self.category_name(c) for c in report.per_week},
            self.t("stats.empty"),
        )


def duration(hours: float, lang: str) -> str:
    """'1 timme', '1,5 timmar', '2,1 dygn' in `lang`: hours up to two days, then days, to one
    decimal. The number is rounded before Babel picks the plural form, so 0.96 and 1.04 hours
    read '1 timme' like the 1 shown (Babel would choose the form from the unrounded value)."""
    unit, value = ("duration-hour", hours) if hours < 48 else ("duration-day", hours / 24)
    shown = Decimal(repr(value)).quantize(TENTH, rounding=ROUND_HALF_EVEN)
    whole = shown == shown.to_integral_value()
    number: int | Decimal = int(shown) if whole else shown
    return format_unit(number, unit, length="long", format="#,##0.#", locale=lang)


def plain(html_text: str) -> str:
    """Telegram HTML as terminal text."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_text))
