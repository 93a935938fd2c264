"""The lägesbild PDF's layout, rendered with pypdfium2: tables black on white, every map cell
labelled and drawn at its size with a scale bar, labels clear of the station's name, the
footer with page numbers, a ruled "Bedömning", partial weeks with their days."""

from __future__ import annotations

import datetime as dt
import re

import pypdfium2 as pdfium
from pypdf import PdfReader

from bot.domain.lagesbild import ActorTimes, MapCell, MapStation, few
from bot.domain.public_map import cell_key, centre
from bot.domain.stats import Durations
from bot.i18n import Catalogs
from bot.lagesbild_pdf import cell_labels, render
from bot.services.lagesbild import Lagesbild, Scope
from bot.services.lagesbild_text import LagesbildText

STATION = MapStation("jakobsberg", "Jakobsberg", 59.4240, 17.8330)
TIMES = ActorTimes(
    "polis", "Lokalpolisområde Järfälla", Durations(3, 4.0, 6.0), Durations(0, None, None)
)


def report(cells: int = 2, stations: tuple[MapStation, ...] = (STATION,)) -> Lagesbild:
    """October 2020 (weeks 40–44: 40 and 44 only partly in it) with `cells` grid cells, the
    first of them the station's own."""
    row, column = cell_key(STATION.lat, STATION.lon)
    shown = tuple(
        MapCell(*centre((row + i // 6, column + i % 6)), few(9 - i % 9)) for i in range(cells)
    )
    return Lagesbild(
        Scope("station", "Jakobsberg", tuple(s.id for s in stations)),
        "2020-10",
        dt.date(2020, 10, 1),
        dt.date(2020, 11, 1),
        total=3,
        categories={"belysning": 3},
        weeks=("2020-v40", "2020-v41", "2020-v42", "2020-v43", "2020-v44"),
        per_week={"belysning": (0, 2, 1, 0, 0)},
        stations=stations,
        cells=shown,
        response=(TIMES,),
        response_all=TIMES,
    )


def pdf(catalogs: Catalogs, r: Lagesbild, lang: str = "sv") -> bytes:
    text = LagesbildText(catalogs, lang, {"belysning": "Belysning"})
    return render(r, text, created=dt.date(2020, 11, 2))


def text_of(content: bytes) -> str:
    import io

    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(p.extract_text() for p in pages).split())


def boxes(page: pdfium.PdfPage, needle: str) -> list[tuple[float, float, float, float]]:
    """The (left, bottom, right, top) in points of each place `needle` is on the page."""
    textpage = page.get_textpage()
    found = []
    searcher = textpage.search(needle, match_case=True)
    while (hit := searcher.get_next()) is not None:
        index, count = hit
        chars = [textpage.get_charbox(i) for i in range(index, index + count)]
        found.append(
            (
                min(c[0] for c in chars),
                min(c[1] for c in chars),
                max(c[2] for c in chars),
                max(c[3] for c in chars),
            )
        )
    return found


def test_tables_are_black_on_white_after_the_map(catalogs: Catalogs) -> None:
    document = pdfium.PdfDocument(pdf(catalogs, report()))
    for page in document:
        hits = boxes(page, "Lokalpolisområde Järfälla")
        if not hits:
            continue
        image = page.render(scale=2).to_pil().convert("L")
        _left, bottom, right, top = hits[0]
        height = page.get_height()
        # Just right of the actor's name, inside its cell: the cell's background.
        x, y = int((right + 6) * 2), int((height - (bottom + top) / 2) * 2)
        assert image.getpixel((x, y)) > 230, image.getpixel((x, y))
        return
    raise AssertionError("no response table")


def test_every_cell_is_labelled_even_past_z(catalogs: Catalogs) -> None:
    assert cell_labels(28)[-3:] == ["Z", "AA", "AB"]
    flat = text_of(pdf(catalogs, report(cells=28)))
    assert "AA: " in flat
    assert "AB: " in flat
    assert "A: 9 ärenden" in flat
    assert "B: 8 ärenden" in flat
    assert "H: färre än 3" in flat
    assert re.search(r"\b\d+ k?m\b", flat)  # the scale bar
    assert "Kartan visar stationen " in flat


def test_a_kommun_s_note_says_stationerna(catalogs: Catalogs) -> None:
    other = MapStation("kallhall", "Kallhäll", 59.4530, 17.8050)
    flat = text_of(pdf(catalogs, report(stations=(STATION, other))))
    assert "Kartan visar stationerna " in flat


def test_cells_are_drawn_at_grid_size_and_labels_clear_the_station_name(
    catalogs: Catalogs,
) -> None:
    page = pdfium.PdfDocument(pdf(catalogs, report(cells=2)))[0]
    (name,) = boxes(page, "Jakobsberg ")[-1:] or boxes(page, "Jakobsberg")[-1:]
    label = [b for b in boxes(page, "A 9")]
    assert label, "the cell's label"
    for box in label:
        clear = box[2] <= name[0] or name[2] <= box[0] or box[3] <= name[1] or name[3] <= box[1]
        assert clear, (box, name)
    # The scale bar's 500 m and a cell (about 556 m a side) are about as long: a label
    # "500 m" sits right of a bar of the length of 500 m; a cell is 1.11 times that.
    (bar,) = boxes(page, "500 m")
    assert bar


def test_footer_assessment_and_partial_weeks(catalogs: Catalogs) -> None:
    content = pdf(catalogs, report())
    pages = PdfReader(__import__("io").BytesIO(content)).pages
    m = len(pages)
    for n, page in enumerate(pages, 1):
        flat = " ".join(page.extract_text().split())
        assert f"Trygghetsboten · skapad 2 november 2020 · sida {n} av {m}" in flat
    flat = text_of(content)
    assert "Bedömning (Fylls i av samordnaren.)" in flat
    assert "v. 40 (1–4 okt.)" in flat
    assert "v. 41 " in flat
    assert "v. 41 (" not in flat
    assert "v. 44 (26–31 okt.)" in flat


def test_arabic_tables_read_right_to_left(catalogs: Catalogs) -> None:
    """In Arabic the first column (the actor) is on the right, text right-aligned."""
    for lang, right in (("sv", False), ("ar", True)):
        document = pdfium.PdfDocument(pdf(catalogs, report(), lang))
        hits = [(page, b) for page in document for b in boxes(page, "Lokalpolisområde")]
        assert hits, lang
        page, (left, _bottom, _right, _top) = hits[0]
        assert (left > page.get_width() / 2) is right, (lang, left)
