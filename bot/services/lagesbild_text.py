"""The lägesbild's words: each part's lines and the analys sentences, in a language, from a
Lagesbild (bot.services.lagesbild) and nothing else, so the PDF and the web page show the
same numbers. Plain text (the catalogs' HTML escapes are undone)."""

from __future__ import annotations

import datetime as dt

from babel.dates import format_date

from bot.domain.lagesbild import FEW, MapCell, PromiseTrygghet, hidden_runs, top_categories
from bot.domain.stats import IDEA, Durations
from bot.domain.trygghet import Share
from bot.i18n import Catalogs, month_name
from bot.services.lagesbild import Lagesbild
from bot.services.stats import duration, plain
from bot.services.trygghet_text import interval, percent, points


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
        """'62 % känner sig trygga (95 % konfidensintervall 45 %–78 %), svar: 13' or 'färre
        än 5 svar': the share and its interval as everywhere else (trygghet_text)."""
        if share.suppressed or share.interval is None or share.share is None:
            return self.t("share_few")
        low, high = share.interval
        return self.t(
            "share",
            share=percent(share.share, self.lang),
            interval=interval(low, high, self.lang),
            answers=share.answers,
        )

    def status(self, status: str | None) -> str:
        return plain(self.catalogs.text(self.lang, f"commitment.{status}")) if status else ""

    def month(self, month: str) -> str:
        return month_name(dt.date.fromisoformat(f"{month}-01"), self.lang)

    def open_line(self, report: Lagesbild) -> str:
        """'Ännu inte kvitterade: 1. Ännu inte åtgärdade: 3. Uppgifterna gäller 2 december 2026.'"""
        day = self.day(report.as_of) if report.as_of else ""
        return self.t("open", unacked=report.unacknowledged, unresolved=report.unresolved, date=day)

    def trygghet_lines(self, report: Lagesbild) -> list[str]:
        """The trygghet part: the month (once it has ended), the month before, and per running
        promise its months (runs of hidden months in one line) and before/during."""
        part = report.trygghet
        out = [
            self.t("trygghet_month", share=self.share(part.month))
            if part.ended
            else self.t("trygghet_not_ended"),
            self.t("trygghet_previous", share=self.share(part.previous)),
        ]
        for promise in part.promises:
            out.append(self.t("trygghet_promise", title=promise.title))
            for first, last, share in hidden_runs(promise.trend):
                if share is not None:
                    out.append(f"• {self.month(first)}: {self.share(share)}")
                elif first == last:
                    out.append(f"• {self.month(first)}: {self.share(Share())}")
                else:
                    months = f"{self.month(first)} – {self.month(last)}"
                    out.append(f"• {self.t('trend_hidden', months=months)}")
            out.append(self.t("trygghet_before", share=self.share(promise.comparison.before)))
            out.append(self.t("trygghet_during", share=self.share(promise.comparison.during)))
        if self.pooled(report):
            out.append(self.t("pooled_note"))
        return out

    @staticmethod
    def pooled(report: Lagesbild) -> bool:
        """Whether a trygghet figure pools cells (several stations, or a promise's months), so
        that the note on cells under the limit belongs under it."""
        return len(report.scope.stations) > 1 or bool(report.trygghet.promises)

    # ------------------------------------------------------------------ analys
    def analysis(self, report: Lagesbild) -> list[str]:
        """Short sentences the samordnare can paste: the most reported category (every tied
        one; none under 3 cases) and its change from last month, the response time's change,
        the trygghet's change per running promise."""
        out: list[str] = []
        top, n = top_categories(report.categories)
        if not report.total:
            out.append(self.t("analysis.no_cases"))
        elif n >= FEW:
            names = [self.category(c).lower() for c in top]
            before = ", ".join(str(report.previous.get(c, 0)) for c in top)
            out.append(
                self.t(
                    "analysis.top" if len(top) == 1 else "analysis.top_tied",
                    category=self.joined(names),
                    n=n,
                    cases=report.total,
                    before=before,
                )
            )
        now = report.response_all.to_acknowledge
        previous = report.response_previous.to_acknowledge
        if now.median_hours is None:
            out.append(self.t("analysis.no_ack"))
        elif previous.median_hours is None:
            out.append(self.t("analysis.ack", now=self.waited(now)))
        else:
            out.append(
                self.t("analysis.ack_change", now=self.waited(now), before=self.waited(previous))
            )
        if report.trygghet.ended and not report.trygghet.month.suppressed:
            out.append(self.t("analysis.trygghet_month", share=self.share(report.trygghet.month)))
        out.extend(self.trygghet_sentences(report))
        return out

    def joined(self, names: list[str]) -> str:
        """'a', 'a och b', 'a, b och c'."""
        if len(names) < 2:
            return "".join(names)
        return self.t("and", first=", ".join(names[:-1]), last=names[-1])

    def trygghet_sentences(self, report: Lagesbild) -> list[str]:
        """Per running promise: its before/after change in plain words, decided from the
        comparison alone (not from whether this month has enough answers)."""
        if not report.trygghet.promises:
            return [self.t("analysis.trygghet_no_promise")]
        return [self.trygghet_sentence(p) for p in report.trygghet.promises]

    def trygghet_sentence(self, promise: PromiseTrygghet) -> str:
        d = promise.comparison.difference
        if d is None:
            return self.t("analysis.trygghet_few", promise=promise.title)
        lang = self.lang
        low, high = points(d.low, lang, bound="low"), points(d.high, lang, bound="high")
        change = dict(promise=promise.title, low=low, high=high)
        if not d.clear:  # "kan inte visa": the signed value, with "−"
            return self.t("analysis.trygghet_unclear", change=points(d.estimate, lang), **change)
        key = "analysis.trygghet_up" if d.estimate > 0 else "analysis.trygghet_down"
        return self.t(key, points=points(d.estimate, lang, signed=False), **change)
