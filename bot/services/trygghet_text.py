"""The trygghetsmätning's numbers as words, in one language: '65 % (95 % säkerhet:
43 %–82 %) av 20 svar', 'färre än 5 svar', a month's name, the change before/after in
percentage points and whether the answers can show it. For /statistik in the bot,
`trygghetsbot stats`, the web pages and the public promise page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal, format_percent

from bot.domain.deployment import Deployment
from bot.domain.trygghet import MIN_ANSWERS, BeforeAfter, Difference, Share
from bot.i18n import Catalogs, month_name
from bot.services.trygghet import Overview, PromiseResult, PublicTrygghet, Trygghet


@dataclass(frozen=True)
class Cells:
    """One Share for a table: the share, its interval and the count; all None (and `hidden`
    set) when suppressed."""

    share: str | None
    interval: str | None
    answers: str | None
    line: str

    @property
    def hidden(self) -> bool:
        return self.share is None


@dataclass(frozen=True)
class PromiseCells:
    title: str
    stations: str
    trend: list[tuple[str, Cells]]
    before_label: str
    before: Cells
    during_label: str
    during: Cells
    change: str


class TrygghetText:
    def __init__(self, deployment: Deployment, catalogs: Catalogs, lang: str) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.lang = lang

    def t(self, key: str, **params: object) -> str:
        return self.catalogs.text(self.lang, key, **params)

    def percent(self, value: float) -> str:
        return format_percent(value, locale=self.lang)

    def month(self, month: str) -> str:
        """'oktober 2026'."""
        return month_name(dt.date.fromisoformat(f"{month}-01"), self.lang)

    def months(self, months: tuple[str, ...]) -> str:
        """'mars 2025 – februari 2026' (one month alone; '–' when there are none)."""
        if not months:
            return "–"
        if len(months) == 1:
            return self.month(months[0])
        return f"{self.month(months[0])} – {self.month(months[-1])}"

    def station_name(self, station_id: str) -> str:
        station = self.deployment.directory.stations.get(station_id)
        return station.name if station is not None else station_id

    def cells(self, share: Share) -> Cells:
        if share.share is None or share.interval is None:
            return Cells(None, None, None, self.t("trygghet.too_few", min=MIN_ANSWERS))
        low, high = share.interval
        value, interval = self.percent(share.share), self.interval(low, high)
        answers = format_decimal(share.answers, locale=self.lang)
        line = self.t("trygghet.share", share=value, interval=interval, answers=answers)
        return Cells(value, interval, answers, line)

    def interval(self, low: float, high: float) -> str:
        return f"{self.percent(low)}–{self.percent(high)}"

    def points(self, value: float) -> str:
        """A change in percentage points with its sign: '+12', '−4', '0'."""
        n = round(value * 100)
        number = format_decimal(abs(n), locale=self.lang)
        return f"+{number}" if n > 0 else (f"−{number}" if n < 0 else number)

    def change(self, comparison: BeforeAfter) -> str:
        d: Difference | None = comparison.difference
        if d is None:
            return self.t("trygghet.change_too_few", min=MIN_ANSWERS)
        params = {"change": self.points(d.estimate), "low": self.points(d.low)}
        params["high"] = self.points(d.high)
        if not d.clear:
            return self.t("trygghet.change_unclear", **params)
        # "ökat med 47", "minskat med 12": the verb gives the direction, the number none.
        params["change"] = format_decimal(round(abs(d.estimate) * 100), locale=self.lang)
        return self.t("trygghet.change_up" if d.estimate > 0 else "trygghet.change_down", **params)

    def promise(self, result: PromiseResult) -> PromiseCells:
        ba = result.comparison
        return PromiseCells(
            result.promise.title,
            ", ".join(self.station_name(s) for s in result.stations),
            [(self.month(m), self.cells(s)) for m, s in result.during],
            self.months(ba.before_months),
            self.cells(ba.before),
            self.months(ba.during_months),
            self.cells(ba.during),
            self.change(ba),
        )

    def stations(self, overview: Overview) -> list[tuple[str, list[tuple[str, Cells]]]]:
        """Each station's name and its months (named) with their cells: the web's tables."""
        return [
            (self.station_name(station), [(self.month(m), self.cells(s)) for m, s in months])
            for station, months in overview.stations
        ]

    def public(self, result: PublicTrygghet) -> list[str]:
        """The public promise page's line: the month's share at the stations pooled (or that
        there are too few answers yet), and the year before the promise when neither is
        hidden."""
        now = self.cells(result.share)
        if now.hidden:
            return [self.t("trygghet.public_too_few")]
        lines = [
            self.t(
                "trygghet.public",
                month=self.month(result.month),
                share=now.share,
                interval=now.interval,
                answers=now.answers,
            )
        ]
        if result.before is not None and not result.before.suppressed:
            before = self.cells(result.before)
            lines.append(
                self.t("trygghet.public_before", share=before.share, answers=before.answers)
            )
        return lines

    def lines(self, overview: Overview) -> list[str]:
        """The overview as Telegram HTML lines (plain text once the tags are taken out)."""
        out = [self.t("trygghet.title"), self.t("trygghet.explain")]
        for station, months in overview.stations:
            out.append("")
            out.append(self.t("trygghet.station", station=self.station_name(station)))
            out.extend(f"{self.month(m)}: {self.cells(s).line}" for m, s in months)
        for result in overview.promises:
            p = self.promise(result)
            out.append("")
            out.append(self.t("trygghet.promise", title=p.title, stations=p.stations))
            out.extend(f"{month}: {cells.line}" for month, cells in p.trend)
            out.append(self.t("trygghet.before", months=p.before_label, share=p.before.line))
            out.append(self.t("trygghet.during", months=p.during_label, share=p.during.line))
            out.append(p.change)
        return out

    def text(self, overview: Overview, limit: int = 3900) -> str:
        """The overview as one Telegram HTML message, cut at a line to fit `limit`."""
        text = "\n".join(self.lines(overview))
        if len(text) > limit:
            text = text[:limit].rsplit("\n", 1)[0] + "\n" + self.t("stats.truncated")
        return text


async def staff_text(
    trygghet: Trygghet, catalogs: Catalogs, lang: str, stations: Sequence[str] | None
) -> str:
    """/statistik's and `trygghetsbot stats`' trygghet part for `stations` (None: all)."""
    overview = await trygghet.overview(stations)
    return TrygghetText(trygghet.deployment, catalogs, lang).text(overview)
