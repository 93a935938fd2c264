"""The lägesbild as an A4 PDF (fpdf2, the Noto fonts of bot/assets/fonts, text as real text):
part 1 Kartläggning, part 2 Analys with an empty "Bedömning" for the samordnare's own words.
Every number comes from the Lagesbild; the words from bot.services.lagesbild_text."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from bot.services.lagesbild import Lagesbild
from bot.services.lagesbild_text import LagesbildText
from bot.services.poster import ARABIC, FONTS

if TYPE_CHECKING:
    from fpdf import FPDF

LINE = 5.5  # mm per line of body text
MAP_W, MAP_H = 120.0, 80.0  # the map's box, mm
MAP_MARGIN = 0.004  # degrees around what is drawn


def render(report: Lagesbild, text: LagesbildText) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(text.title(report))
    pdf.set_lang(text.lang)
    pdf.set_creator("trygghetsbot")
    pdf.add_font("Sans", "", str(FONTS / "NotoSans-Regular.ttf"))
    pdf.add_font("Sans", "B", str(FONTS / "NotoSans-Bold.ttf"))
    pdf.add_font("Arab", "", str(FONTS / "NotoSansArabic-Regular.ttf"))
    pdf.set_fallback_fonts(["Sans", "Arab"])
    pdf.set_text_shaping(True)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, 18)
    pdf.add_page()
    font = "Arab" if text.lang in ARABIC else "Sans"
    page = _Page(pdf, font)

    page.heading(text.title(report), 18)
    page.line(text.t("stations", stations=", ".join(s.name for s in report.stations)))
    page.line(text.t("basis"))

    page.heading(text.t("part1"), 15)
    page.heading(text.t("per_week"), 12)
    if report.total:
        weeks = [text.t("week", week=w.rsplit("v", 1)[1]) for w in report.weeks]
        rows = [
            [text.category(c), *(str(n) for n in report.per_week.get(c, ())), str(total)]
            for c, total in report.categories.items()
        ]
        page.table([text.t("category"), *weeks, text.t("sum")], rows, first=4)
    page.line(text.t("total", n=report.total, before=sum(report.previous.values())))

    page.heading(text.t("where"), 12)
    _map(page, report, text)
    page.line(text.t("map_note"))
    for label, cell in zip(string.ascii_uppercase, report.cells, strict=False):
        page.line(f"{label}: {text.cell(cell)}")
    if report.unplaced:
        page.line(text.t("unplaced", n=report.unplaced))

    page.heading(text.t("when"), 12)
    page.line(text.t("when_said"))
    for key, n in report.times.items():
        page.line(f"• {plain_time(text, key)}: {n}")
    page.line(text.t("when_came"))
    for first, last, n in report.blocks:
        page.line(f"• {first:02d}–{last:02d}: {n}")

    page.heading(text.t("response"), 12)
    rows = [
        [a.name, text.waited(a.to_acknowledge), text.waited(a.to_resolve)] for a in report.response
    ]
    rows.append(
        [
            text.t("all_cases"),
            text.waited(report.response_all.to_acknowledge),
            text.waited(report.response_all.to_resolve),
        ]
    )
    page.table([text.t("actor"), text.t("to_ack"), text.t("to_resolve")], rows)

    page.heading(text.t("promise"), 12)
    if not report.promises:
        page.line(text.t("no_promise"))
    for promise in report.promises:
        page.line(
            text.t(
                "promise_line",
                title=promise.title,
                start=text.day(promise.start),
                end=text.day(promise.end),
                share=promise.progress,
            )
        )
        for c in report.commitments:
            if c.promise_id == promise.id:
                page.line(
                    text.t(
                        "commitment",
                        title=c.title,
                        actor=c.actor,
                        status=text.status(c.status),
                        share=c.progress,
                    )
                )

    page.heading(text.t("trygghet"), 12)
    part = report.trygghet
    page.line(text.t("trygghet_month", share=text.share(part.month)))
    page.line(text.t("trygghet_previous", share=text.share(part.previous)))
    for month, share in part.trend:
        page.line(f"• {month}: {text.share(share)}")
    if part.comparison is not None:
        page.line(text.t("trygghet_before", share=text.share(part.comparison.before)))
        page.line(text.t("trygghet_during", share=text.share(part.comparison.during)))

    page.heading(text.t("said_did"), 12)
    page.line(text.t("said"))
    if not report.said:
        page.line(text.t("said_none"))
    for category, said in report.said.items():
        shown = text.t("few") if said is None else str(said)
        page.line(f"• {text.category(category)}: {shown}")
    page.line(text.t("did"))
    if not report.updates:
        page.line(text.t("did_none"))
    for u in report.updates:
        page.line(f"• {text.day(u.day)} – {u.commitment.rstrip('.')}: {u.text}")

    page.heading(text.t("part2"), 15)
    for sentence in text.analysis(report):
        page.line(sentence)
    page.heading(text.t("assessment"), 12)
    pdf.ln(40)
    return bytes(pdf.output())


def plain_time(text: LagesbildText, key: str) -> str:
    return text.catalogs.text(text.lang, f"times.{key}")


class _Page:
    def __init__(self, pdf: FPDF, font: str) -> None:
        self.pdf = pdf
        self.font = font

    def heading(self, value: str, size: float) -> None:
        self.pdf.ln(3)
        self.pdf.set_font(self.font, "B", size)
        self.pdf.multi_cell(0, size * 0.5, value, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def line(self, value: str) -> None:
        self.pdf.set_font(self.font, "", 10)
        self.pdf.multi_cell(0, LINE, value, new_x="LMARGIN", new_y="NEXT")

    def table(self, head: list[str], rows: list[list[str]], first: int = 1) -> None:
        """A table; the first column `first` times as wide as each other."""
        self.pdf.set_font(self.font, "", 9)
        widths = (first, *(1 for _ in head[1:]))
        with self.pdf.table(
            first_row_as_headings=True, text_align="LEFT", col_widths=widths
        ) as table:
            for values in [head, *rows]:
                row = table.row()
                for value in values:
                    row.cell(value)


def _map(page: _Page, report: Lagesbild, text: LagesbildText) -> None:
    """The stations (dots with names) and the cells (squares with their letter and count) on
    a plain box: no tiles, no network, no exact place."""
    pdf = page.pdf
    points = [(s.lat, s.lon) for s in report.stations] + [(c.lat, c.lon) for c in report.cells]
    if not points:
        return
    if pdf.get_y() + MAP_H > pdf.h - 25:
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y() + 2
    south = min(p[0] for p in points) - MAP_MARGIN
    north = max(p[0] for p in points) + MAP_MARGIN
    west = min(p[1] for p in points) - MAP_MARGIN
    east = max(p[1] for p in points) + MAP_MARGIN
    scale = min(MAP_W / (east - west) / 0.55, MAP_H / (north - south))  # ~cos(57°)

    def at(lat: float, lon: float) -> tuple[float, float]:
        return x0 + (lon - west) * scale * 0.55, y0 + (north - lat) * scale

    pdf.set_draw_color(120)
    pdf.rect(x0, y0, MAP_W, MAP_H)
    pdf.set_font(page.font, "", 8)
    for label, cell in zip(string.ascii_uppercase, report.cells, strict=False):
        x, y = at(cell.lat, cell.lon)
        pdf.set_fill_color(250, 200, 120)
        pdf.rect(x - 4, y - 4, 8, 8, style="DF")
        pdf.text(x - 3, y + 1, f"{label} {'' if cell.count is None else cell.count}".strip())
    for station in report.stations:
        x, y = at(station.lat, station.lon)
        pdf.set_fill_color(30, 80, 160)
        pdf.circle(x, y, 1.5, style="F")
        pdf.text(x + 2.5, y + 1, station.name)
    pdf.set_y(y0 + MAP_H + 3)
