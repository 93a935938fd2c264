"""The trygghetsmätning's numbers as words, in one language: '65 % trygga (95 %
konfidensintervall: 43 %–82 %) av 20 svar', 'färre än 5 svar', a month's name, the change
before/after in percentage points and whether the answers can show it. For /statistik in the
bot, `trygghetsbot stats`, the web pages and the public promise page.

percent(), interval() and points() are THE formatters of shares, intervals and changes
(Babel, the language's own signs): interval bounds are rounded outward (the low one down,
the high one up), to a whole percent, or to one decimal where a whole percent would show a
bound at 0 (or 100 %) that is not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from babel.numbers import format_decimal, format_percent

from bot.domain.deployment import Deployment
from bot.domain.trygghet import (
    MIN_ANSWERS,
    BeforeAfter,
    Difference,
    Share,
    first_day,
    month_of,
)
from bot.i18n import Catalogs, month_name
from bot.services.trygghet import Overview, PromiseResult, PublicTrygghet, Trygghet

MINUS = "\u2212"


def _outward(value: float, down: bool, limit: Decimal | None = None) -> Decimal:
    """`value` (a share, −1…1) in percent rounded away from the interval's inside: down for a
    low bound, up for a high one; one decimal when a whole percent would reach 0 (or `limit`)
    where the value does not."""
    exact = Decimal(repr(value)) * 100
    how = ROUND_FLOOR if down else ROUND_CEILING
    whole = exact.quantize(Decimal(1), rounding=how)
    if (whole == 0 and exact != 0) or (limit is not None and whole == limit != exact):
        return exact.quantize(Decimal("0.1"), rounding=how)
    return whole


def percent(value: float, lang: str) -> str:
    """A share as a whole percent in the language's way: '71 %' (sv), '71%' (en)."""
    return format_percent(value, locale=lang)


def _percent(hundredths: Decimal, lang: str) -> str:
    return format_percent(hundredths / 100, locale=lang, decimal_quantization=False)


def interval(low: float, high: float, lang: str) -> str:
    """A share's interval, its bounds rounded outward: '43 %–82 %', '0,4 %–9 %'."""
    low_text = _percent(_outward(low, True, Decimal(100)), lang)
    return f"{low_text}–{_percent(_outward(high, False, Decimal(100)), lang)}"


def points(value: float, lang: str, signed: bool = True, bound: str = "") -> str:
    """A change (−1…1) in whole percentage points: '+12', '−4', '0' (signed), '12' (not).
    `bound` 'low'/'high' rounds outward as an interval's bound (one decimal near 0)."""
    if bound:
        n = _outward(value, bound == "low")
    else:
        n = (Decimal(repr(value)) * 100).quantize(Decimal(1))
    number = format_decimal(abs(n), locale=lang, decimal_quantization=False)
    if not signed or n == 0:
        return number
    return f"+{number}" if n > 0 else f"{MINUS}{number}"


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
        return percent(value, self.lang)

    def month(self, month: str) -> str:
        """'oktober 2026'."""
        return month_name(first_day(month), self.lang)

    def months(self, months: tuple[str, ...]) -> str:
        """'mars 2025 – februari 2026' (one month alone; '–' when there are none)."""
        if not months:
            return "–"
        if len(months) == 1:
            return self.month(months[0])
        return f"{self.month(months[0])} – {self.month(months[-1])}"

    def station_name(self, station_id: str) -> str:
        return self.deployment.station_name(station_id)

    def cells(self, share: Share) -> Cells:
        if share.share is None or share.interval is None:
            return Cells(None, None, None, self.t("trygghet.too_few", min=MIN_ANSWERS))
        low, high = share.interval
        value, interval = self.percent(share.share), self.interval(low, high)
        answers = format_decimal(share.answers, locale=self.lang)
        line = self.t("trygghet.share", share=value, interval=interval, answers=answers)
        return Cells(value, interval, answers, line)

    def interval(self, low: float, high: float) -> str:
        return interval(low, high, self.lang)

    def points(self, value: float) -> str:
        """A change in percentage points with its sign: '+12', '−4', '0'."""
        return points(value, self.lang)

    def change(self, comparison: BeforeAfter) -> str:
        d: Difference | None = comparison.difference
        if d is None:
            return self.t("trygghet.change_too_few", min=MIN_ANSWERS)
        low, high = points(d.low, self.lang, bound="low"), points(d.high, self.lang, bound="high")
        if not d.clear:
            change = points(d.estimate, self.lang)
            return self.t("trygghet.change_unclear", change=change, low=low, high=high)
        # "ökat med 47", "minskat med 12": the verb gives the direction, the number none.
        change = points(d.estimate, self.lang, signed=False)
        key = "trygghet.change_up" if d.estimate > 0 else "trygghet.change_down"
        return self.t(key, change=change, low=low, high=high)

    def pooled_note(self) -> str:
        """The line under every pooled figure: hidden cells are not counted."""
        return self.t("trygghet.pooled_note", min=MIN_ANSWERS)

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
        month = self.month(result.month)
        numbers = {"share": now.share, "interval": now.interval, "answers": now.answers}
        if len(result.stations) == 1:
            station = self.station_name(result.stations[0])
            lines = [self.t("trygghet.public_one", month=month, station=station, **numbers)]
        else:
            lines = [self.t("trygghet.public", month=month, **numbers)]
        start = result.start
        if result.before is None and start is not None:
            if result.month < month_of(start):
                lines.append(self.t("trygghet.public_month_before", month=month))
            else:
                lines.append(self.t("trygghet.public_start_month", month=month))
        if result.before is not None and not result.before.suppressed:
            before = self.cells(result.before)
            numbers = {"share": before.share, "interval": before.interval}
            lines.append(self.t("trygghet.public_before", answers=before.answers, **numbers))
        lines.append(self.pooled_note())
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
            out.append(self.pooled_note())
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
