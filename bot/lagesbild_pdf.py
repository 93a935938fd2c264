"""The lägesbild as an A4 PDF (fpdf2, the Noto fonts of bot/assets/fonts, text as real text):
part 1 Kartläggning, part 2 Analys with an empty "Bedömning" for the samordnare's own words.
Every number comes from the Lagesbild; the words from bot.services.lagesbild_text."""

from __future__ import annotations

import datetime as dt
import math
import string
from typing import TYPE_CHECKING

from babel.dates import format_date

from bot.domain.public_map import CELL_DEGREES
from bot.pdf_fonts import ARABIC, add_fonts, font_for
from bot.services.lagesbild import Lagesbild
from bot.services.lagesbild_text import LagesbildText
from bot.services.trygghet_text import MINUS

if TYPE_CHECKING:
    from fpdf import FPDF

LINE = 5.5  # mm per line of body text
MAP_W, MAP_H = 120.0, 80.0  # the map's box, mm
MAP_MARGIN = 0.006  # degrees around what is drawn (more than half a cell)
METRES_PER_DEGREE = 111_320.0  # of latitude
SCALE_BARS = (100, 200, 500, 1000, 2000, 5000, 10_000, 20_000)  # metres
RULED_LINES = 8  # under "Bedömning", for the samordnare's words
Box = tuple[float, float, float, float]  # x, y, width, height (mm)


def render(report: Lagesbild, text: LagesbildText, created: dt.date | None = None) -> bytes:
    """The PDF; every page's footer says when it was made and "sida n av m"."""
    from fpdf import FPDF

    footer = text.t("pdf.footer", day=text.day(created or dt.date.today()))
    font = font_for(text.lang)

    class Document(FPDF):
        def normalize_text(self, text: str) -> str:
            """Every string drawn passes here: the shared formatter's minus sign (U+2212),
            which the Noto fonts have no glyph for (it would print nothing), as "-"."""
            return super().normalize_text(text.replace(MINUS, "-"))

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(font, "", 8)
            self.set_text_color(90)
            line = text.t("pdf.page", footer=footer, n=self.page_no(), m="{nb}")
            self.cell(0, 5, line, align="C")
            self.set_text_color(0)

    pdf = Document(format="A4", unit="mm")
    pdf.set_title(text.title(report))
    pdf.set_lang(text.lang)
    pdf.set_creator("trygghetsbot")
    add_fonts(pdf)
    pdf.set_margins(18, 18, 18)
    pdf.set_auto_page_break(True, 20)
    pdf.add_page()
    page = _Page(pdf, font, "R" if text.lang in ARABIC else "L")

    page.heading(text.title(report), 18)
    page.line(text.t("internal"))
    page.line(text.t("stations", stations=", ".join(s.name for s in report.stations)))
    page.line(text.t("basis"))

    page.heading(text.t("part1"), 15)
    page.heading(text.t("per_week"), 12)
    if report.total:
        weeks = [week_label(text, w, report.start, report.end) for w in report.weeks]
        rows = [
            [text.category(c), *(str(n) for n in report.per_week.get(c, ())), str(total)]
            for c, total in report.categories.items()
        ]
        page.table([text.t("category"), *weeks, text.t("sum")], rows, first=3)
    page.line(text.t("total", n=report.total, before=sum(report.previous.values())))

    page.heading(text.t("where"), 12)
    labels = cell_labels(len(report.cells))
    _map(page, report, text, labels)
    page.line(text.t("pdf.map_note_stations" if len(report.stations) > 1 else "map_note"))
    for label, cell in zip(labels, report.cells, strict=True):
        if cell.count is None:
            page.line(text.t("pdf.cell_few", label=label))
        else:
            page.line(text.t("pdf.cell", label=label, n=cell.count))
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
    page.line(text.open_line(report))

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
    for line in text.trygghet_lines(report):
        page.line(line)

    page.heading(text.t("said_did"), 12)
    page.line(text.t("said"))
    if not report.categories:
        page.line(text.t("said_none"))
    for category, said in report.categories.items():
        page.line(f"• {text.category(category)}: {said}")
    page.line(text.t("did"))
    if not report.updates:
        page.line(text.t("did_none"))
    for u in report.updates:
        page.line(f"• {text.day(u.day)} – {u.commitment.rstrip('.')}: {u.text}")

    page.heading(text.t("part2"), 15)
    for sentence in text.analysis(report):
        page.line(sentence)
    if pdf.get_y() + 20 + RULED_LINES * 9 > pdf.h - pdf.b_margin:
        pdf.add_page()
    page.heading(text.t("assessment"), 12)
    page.line(text.t("pdf.assessment_hint"))
    page.ruled(RULED_LINES)
    return bytes(pdf.output())


def plain_time(text: LagesbildText, key: str) -> str:
    return text.catalogs.text(text.lang, f"times.{key}")


def week_label(text: LagesbildText, week: str, start: dt.date, end: dt.date) -> str:
    """'v. 41', or for a week only partly in the month its days in it: 'v. 44 (26–31 okt.)'."""
    year, number = (int(part) for part in week.split("-v"))
    monday = dt.date.fromisocalendar(year, number, 1)
    first = max(monday, start)
    last = min(monday + dt.timedelta(days=6), end - dt.timedelta(days=1))
    if (last - first).days == 6:
        return text.t("week", week=number)
    month = format_date(first, "MMM", locale=text.lang)
    return text.t("pdf.week_part", week=number, first=first.day, last=last.day, month=month)


def cell_labels(n: int) -> list[str]:
    """A, B, …, Z, AA, AB, …: one label for each of n cells."""
    letters = string.ascii_uppercase
    out: list[str] = []
    for i in range(n):
        label = ""
        i += 1
        while i:
            i, rest = divmod(i - 1, 26)
            label = letters[rest] + label
        out.append(label)
    return out


class _Page:
    def __init__(self, pdf: FPDF, font: str, align: str) -> None:
        self.pdf = pdf
        self.font = font
        self.align = align
        self.bold = "B" if font == "Sans" else ""  # the Arabic font has no bold

    def heading(self, value: str, size: float) -> None:
        self.pdf.ln(3)
        self.pdf.set_font(self.font, self.bold, size)
        self.pdf.multi_cell(0, size * 0.5, value, align=self.align, new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def line(self, value: str) -> None:
        """A line of body text, ragged (not justified)."""
        self.pdf.set_font(self.font, "", 10)
        self.pdf.multi_cell(0, LINE, value, align=self.align, new_x="LMARGIN", new_y="NEXT")

    def ruled(self, n: int) -> None:
        """n empty ruled lines across the text width."""
        pdf = self.pdf
        pdf.set_draw_color(150)
        pdf.set_line_width(0.2)
        for _ in range(n):
            y = pdf.get_y() + 9
            pdf.line(pdf.l_margin, y, pdf.w - pdf.r_margin, y)
            pdf.set_y(y)
        pdf.set_draw_color(0)

    def table(self, head: list[str], rows: list[list[str]], first: int = 1) -> None:
        """A table (black text on white, a light grey heading row); the first column
        `first` times as wide as each other."""
        from fpdf.fonts import FontFace

        pdf = self.pdf
        pdf.set_font(self.font, "", 9)
        pdf.set_fill_color(255)
        pdf.set_draw_color(0)
        pdf.set_text_color(0)
        widths: tuple[int, ...] = (first, *(1 for _ in head[1:]))
        lines = [head, *rows]
        if self.align == "R":  # right to left: the first column on the right
            widths, lines = widths[::-1], [values[::-1] for values in lines]
        style = FontFace(
            emphasis="BOLD" if self.bold else None, color=0, fill_color=(232, 236, 242)
        )
        with pdf.table(
            first_row_as_headings=True,
            headings_style=style,
            text_align="RIGHT" if self.align == "R" else "LEFT",
            col_widths=widths,
            cell_fill_color=255,
            cell_fill_mode="ALL",
        ) as table:
            for values in lines:
                row = table.row()
                for value in values:
                    row.cell(value)


def _map(page: _Page, report: Lagesbild, text: LagesbildText, labels: list[str]) -> None:
    """The stations (dots with names) and the grid cells (squares at their size with their
    label) on a plain box with a scale bar: no tiles, no network, no exact place."""
    pdf = page.pdf
    points = [(s.lat, s.lon) for s in report.stations] + [(c.lat, c.lon) for c in report.cells]
    if not points:
        return
    if pdf.get_y() + MAP_H + 4 > pdf.h - pdf.b_margin:
        pdf.add_page()
    x0, y0 = pdf.l_margin, pdf.get_y() + 2
    south = min(p[0] for p in points) - MAP_MARGIN
    north = max(p[0] for p in points) + MAP_MARGIN
    squeeze = math.cos(math.radians((south + north) / 2))  # a degree of longitude is shorter
    west = min(p[1] for p in points) - MAP_MARGIN / squeeze
    east = max(p[1] for p in points) + MAP_MARGIN / squeeze
    scale = min(MAP_W / ((east - west) * squeeze), MAP_H / (north - south))  # mm per degree

    def at(lat: float, lon: float) -> tuple[float, float]:
        return x0 + (lon - west) * squeeze * scale, y0 + (north - lat) * scale

    pdf.set_draw_color(120)
    pdf.set_line_width(0.2)
    pdf.rect(x0, y0, MAP_W, MAP_H)
    pdf.set_font("Sans", "", 8)  # labels and names in Latin letters (text() has no fallback)
    taken: list[Box] = []
    for station in report.stations:
        x, y = at(station.lat, station.lon)
        taken.append((x - 1.5, y - 1.5, 3.0, 3.0))
        taken.append((x + 2.5, y - 2.2, pdf.get_string_width(station.name), 3.2))
    side = CELL_DEGREES * scale  # a cell is as wide (in metres) as it is high
    pdf.set_fill_color(250, 200, 120)
    for cell in report.cells:
        x, y = at(cell.lat, cell.lon)
        pdf.rect(x - side / 2, y - side / 2, side, side, style="DF")
    for label, cell in zip(labels, report.cells, strict=True):
        x, y = at(cell.lat, cell.lon)
        shown = f"{label} {'' if cell.count is None else cell.count}".strip()
        box = _free_place(x, y, side, pdf.get_string_width(shown), taken)
        taken.append(box)
        pdf.text(box[0], box[1] + box[3] - 0.6, shown)
    pdf.set_fill_color(30, 80, 160)
    for station in report.stations:
        x, y = at(station.lat, station.lon)
        pdf.circle(x, y, 1.5, style="F")
        pdf.text(x + 2.5, y + 1, station.name)
    _scale_bar(pdf, x0 + 4, y0 + MAP_H - 4, scale)
    pdf.set_fill_color(255)
    pdf.set_draw_color(0)
    pdf.set_y(y0 + MAP_H + 3)


def _free_place(x: float, y: float, side: float, width: float, taken: list[Box]) -> Box:
    """Where a cell's label goes: inside the cell's top left corner if it fits, else just
    above, below, right or left of it; the first place that covers no station, no station
    name and no other label."""
    half, height = side / 2, 3.2
    places: list[Box] = []
    if width + 1 < side and height + 1 < side:
        places.append((x - half + 0.6, y - half + 0.6, width, height))
    places += [
        (x - half, y - half - height - 0.3, width, height),
        (x - half, y + half + 0.3, width, height),
        (x + half + 0.6, y - height / 2, width, height),
        (x - half - width - 0.6, y - height / 2, width, height),
    ]
    for place in places:
        if not any(_overlap(place, other) for other in taken):
            return place
    return places[0]


def _overlap(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _scale_bar(pdf: FPDF, x: float, y: float, scale: float) -> None:
    """A bar of a round length (500 m, 1 km, …) at least 15 mm long, with its length."""
    per_metre = scale / METRES_PER_DEGREE
    metres = next((m for m in SCALE_BARS if m * per_metre >= 15), SCALE_BARS[-1])
    length = metres * per_metre
    pdf.set_draw_color(0)
    pdf.set_line_width(0.4)
    pdf.line(x, y, x + length, y)
    pdf.line(x, y - 1.2, x, y)
    pdf.line(x + length, y - 1.2, x + length, y)
    pdf.set_line_width(0.2)
    shown = f"{metres} m" if metres < 1000 else f"{metres // 1000} km"
    pdf.text(x + length + 1.5, y + 0.8, shown)
