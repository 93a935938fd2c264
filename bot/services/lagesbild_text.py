"""The lägesbild's words: each part's lines and the analys sentences, in a language, from a
Lagesbild (bot.services.lagesbild) and nothing else, so the PDF and the web page show the
same numbers. Plain text (the catalogs' HTML escapes are undone)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date

from bot.domain.lagesbild import MapCell
from bot.domain.stats import IDEA, Durations
from bot.domain.trygghet import Share
from bot.i18n import Catalogs, month_name
from bot.services.lagesbild import Lagesbild
from bot.services.stats import duration, plain


def percent(value: float) -> int:
    """A share (0..1) in whole percent."""
    return round(value * 100)


class LagesbildText:
    def __init__(self, catalogs: Catalogs, lang: str, labels: dict[str, str]) -> None:
        """`labels`: category id -> its name in `lang`."""
        self.catalogs = catalogs
        self.lang = lang
        self.labels = labels

    def t(self, key: str, **params: object) -> str:
        return plain(self.catalogs.text(self.lang, f"lagesbild.{key}", **params))

    def category(self, category: str) -> str:
        return self.t("idea") if category == IDEA else self.labels.get(category, category)

    def day(self, value: dt.date) -> str:
        return format_date(value, "d MMMM y", locale=self.lang)

    def title(self, report: Lagesbild) -> str:
        return self.t("title", area=report.scope.name, month=month_name(report.start, self.lang))

    def waited(self, d: Durations) -> str:
        if not d.count or d.median_hours is None:
            return self.t("no_wait")
        return self.t("wait", median=duration(d.median_hours, self.lang), n=d.count)

    def cell(self, cell: MapCell) -> str:
        return self.t("few") if cell.count is None else self.t("cases", n=cell.count)

    def share(self, share: Share) -> str:
        """'62 % (95 % konfidensintervall 45–77 %), 13 svar' or 'färre än 5 svar'."""
        if share.suppressed or share.interval is None or share.share is None:
            return self.t("share_few")
        low, high = share.interval
        return self.t(
            "share",
            share=percent(share.share),
            low=percent(low),
            high=percent(high),
            answers=share.answers,
        )

    def status(self, status: str | None) -> str:
        return plain(self.catalogs.text(self.lang, f"commitment.{status}")) if status else ""

    # ------------------------------------------------------------------ analys
    def analysis(self, report: Lagesbild) -> list[str]:
        """Short sentences the samordnare can paste: the most reported category and its
        change from last month, the response time's change, the trygghet's change."""
        out: list[str] = []
        if not report.total:
            out.append(self.t("analysis.no_cases"))
        else:
            top, n = next(iter(report.categories.items()))
            out.append(
                self.t(
                    "analysis.top",
                    category=self.category(top),
                    n=n,
                    cases=report.total,
                    before=report.previous.get(top, 0),
                )
            )
        now = report.response_all.to_acknowledge
        before = report.response_previous.to_acknowledge
        if now.median_hours is None:
            out.append(self.t("analysis.no_ack"))
        elif before.median_hours is None:
            out.append(self.t("analysis.ack", now=self.waited(now)))
        else:
            out.append(
                self.t("analysis.ack_change", now=self.waited(now), before=self.waited(before))
            )
        out.append(self.trygghet_sentence(report))
        return out

    def trygghet_sentence(self, report: Lagesbild) -> str:
        part = report.trygghet
        comparison = part.comparison
        if part.month.suppressed:
            return self.t("analysis.trygghet_few")
        if comparison is None or comparison.difference is None:
            return self.t("analysis.trygghet_month", share=self.share(part.month))
        d = comparison.difference
        change = dict(
            share=self.share(part.month),
            points=abs(percent(d.estimate)),
            low=percent(d.low),
            high=percent(d.high),
        )
        if not d.clear:
            return self.t("analysis.trygghet_unclear", **change)
        key = "analysis.trygghet_up" if d.estimate > 0 else "analysis.trygghet_down"
        return self.t(key, **change)
