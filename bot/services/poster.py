"""A station poster: an A4 PDF with the station's name, a short call to report in the
deployment's language, a line in each other language, and a QR code of the bot's deep link
that begins a report at the station (bot.domain.deeplinks). Fonts: Noto Sans and Noto Sans
Arabic (bot/assets/fonts, SIL OFL 1.1); Arabic is shaped right to left by HarfBuzz."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.pdf_fonts import add_fonts, font_for

if TYPE_CHECKING:
    from bot.domain.deployment import Deployment, Station
    from bot.i18n import Catalogs

PAGE_WIDTH = 210.0  # A4, mm
QR_SIZE = 115.0  # mm: the code's side, quiet zone included
LINE_SMALLEST = 9.0  # pt: the smallest type of a line in another language


@dataclass(frozen=True)
class PosterText:
    """What a poster says, in the deployment's language (`lang`), with one line in each of
    `others` ((language, line) pairs)."""

    lang: str
    title: str
    call: str
    emergency: str
    scan: str
    others: tuple[tuple[str, str], ...]


def url_text(url: str) -> str:
    """The link as printed: without the scheme, shorter to type."""
    return url.removeprefix("https://")


def render(text: PosterText, url: str, *, title: str, created: dt.datetime) -> bytes:
    """The poster as PDF bytes: one A4 page, texts as real text (searchable, copyable), the
    QR code as vector squares."""
    import segno
    from fpdf import FPDF

    pdf = FPDF(format="A4", unit="mm")
    pdf.set_title(title)
    pdf.set_lang(text.lang)
    pdf.set_creator("trygghetsbot")
    pdf.set_creation_date(created)
    add_fonts(pdf)
    pdf.set_auto_page_break(False)
    pdf.set_margins(15, 18, 15)
    pdf.add_page()

    pdf.set_font(font_for(text.lang), "B", 32)
    pdf.multi_cell(0, 14, text.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(font_for(text.lang), "", 20)
    pdf.multi_cell(0, 10, text.call, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(font_for(text.lang), "B", 18)
    pdf.multi_cell(0, 9, text.emergency, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(font_for(text.lang), "", 13)
    pdf.multi_cell(0, 7, text.scan, align="C", new_x="LMARGIN", new_y="NEXT")

    top = pdf.get_y() + 2
    _qr(pdf, segno.make(url, error="m"), (PAGE_WIDTH - QR_SIZE) / 2, top)
    pdf.set_y(top + QR_SIZE + 1)
    pdf.set_font("Sans", "", 12)
    pdf.cell(0, 6, url_text(url), align="C", link=url, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    for lang, line in text.others:  # one line each: smaller type for a longer text
        size = 13.0
        pdf.set_font(font_for(lang), "", size)
        while size > LINE_SMALLEST and pdf.get_string_width(line) > pdf.epw - 2 * pdf.c_margin:
            size -= 0.5
            pdf.set_font_size(size)
        pdf.multi_cell(0, 7, line, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())


def _qr(pdf: object, code: object, x: float, y: float) -> None:
    """The code's dark modules as filled rectangles (a run of them in a row as one)."""
    from fpdf import FPDF
    from segno import QRCode

    assert isinstance(pdf, FPDF)
    assert isinstance(code, QRCode)
    rows = [list(row) for row in code.matrix_iter(scale=1, border=4)]
    module = QR_SIZE / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            # A hair wider, so neighbouring squares leave no white seam when printed.
            width = (c - start) * module + 0.05
            pdf.rect(x + start * module, y + r * module, width, module + 0.05, style="F")


def station_poster(
    deployment: Deployment, catalogs: Catalogs, station: Station, username: str
) -> bytes:
    """The poster of `station` as `trygghetsbot poster` and the dashboard make it: the
    deployment's language first, a line in each of its other languages, and the QR code of
    the bot's deep link that begins a report at the station (`username`: the bot's, with or
    without '@')."""
    from telegram.helpers import create_deep_linked_url

    from bot.domain.deeplinks import station_payload
    from bot.i18n import Safe

    url = create_deep_linked_url(username.removeprefix("@"), station_payload(station.id))
    lang = deployment.deployment.default_language

    def line(in_lang: str, key: str) -> str:
        text = catalogs.text(in_lang, key, station=Safe(station.name))
        # Without the bidi isolation marks around parameters: the PDF lays out each line by
        # the Unicode bidi algorithm itself, and its fonts have no such glyphs.
        return text.replace("\u2068", "").replace("\u2069", "")

    text = PosterText(
        lang=lang,
        title=line(lang, "poster.title"),
        call=line(lang, "poster.call"),
        emergency=line(lang, "poster.emergency"),
        scan=line(lang, "poster.scan"),
        others=tuple(
            (other, line(other, "poster.line"))
            for other in deployment.deployment.languages
            if other != lang
        ),
    )
    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    return render(text, url, title=f"Trygghetsboten – {station.name}", created=created)
