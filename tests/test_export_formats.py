"""Export formats as their readers take them (issue 18, items 1 and 3).

CSV by default for Swedish Excel: the bytes (BOM once, ';', CRLF) and read back with Python's
csv module in the Excel dialect with ';'; `--dialect rfc4180` is the old form. JSON is one
document `json.load` reads; NDJSON one object a line.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.export import COLUMNS, Exporter, Labels, csv_record
from bot.services.export.cells import neutral_row
from bot.services.export.geojson import EXCLUDED, PROPERTIES
from bot.settings import Settings
from storage.export import Filters
from tests.people import Person
from tests.test_stats import ADMIN, staff_bot  # noqa: F401 (a fixture)

BOM = b"\xef\xbb\xbf"
EVIL = '=HYPERLINK("http://example.com/x","klicka")'
#: A cell Swedish Excel must keep whole: the separator, quotes and a line break.
TRICKY = 'Mörkt; "farligt" vid trappan,\nsen ingen lampa'


@pytest.fixture
def seeded(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Settings:
    """Three cases: a report (formula-like text), an idea (text with ';', '"' and a line
    break) at Floda, and a report at Jakobsberg with a map pin."""
    settings = Settings(database=tmp_path / "export.sqlite3", media_dir=tmp_path / "media")

    async def seed() -> None:
        services = await Services.open(settings, deployment, catalogs)
        try:
            for chat, station, kind, text, times in [
                (1, "floda", "report", EVIL, ["evening", "night"]),
                (1, "floda", "idea", TRICKY, ["weekend"]),
                (2, "jakobsberg", "report", "Trasig lampa.", ["night"]),
            ]:
                draft = Draft(
                    kind=kind,
                    station=station,
                    description=text,
                    times=times,
                    category="belysning" if kind == "report" else None,
                    place_text="@perrongen" if kind == "report" else None,
                )
                await services.submit(chat, draft, "sv")
        finally:
            await services.close()

    asyncio.run(seed())
    with sqlite3.connect(settings.database) as conn:
        conn.execute(
            "UPDATE cases SET lat = 59.4231, lon = 17.8352, status = 'resolved',"
            " created_at = '2026-10-03T19:15:07+00:00',"
            " resolved_at = '2026-10-04T06:30:00+00:00' WHERE reference = 'JKB-0001'"
        )
    return settings


def export(settings: Settings, out: Path, *options: str) -> int:
    import os

    os.environ["TRYGG_DATABASE"] = str(settings.database)
    try:
        return main(["export", "--out", str(out), *options])
    finally:
        del os.environ["TRYGG_DATABASE"]


def swedish_rows(raw: bytes) -> list[list[str]]:
    """The file as Swedish Excel's list separator reads it: Python's Excel dialect with ';'."""
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))


def swedish_csv(exporter: Exporter, labels: Labels, database: Path) -> bytes:
    """What the Swedish CSV must be: csv.writer (Excel dialect, ';') over Labels.row of every
    row, neutralised, floats with a decimal comma, after the BOM."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";")
    writer.writerow(labels.headings())
    for cells in exporter.rows(database, Filters()):
        shown = neutral_row(labels.row(cells))
        writer.writerow([str(v).replace(".", ",") if isinstance(v, float) else v for v in shown])
    return BOM + out.getvalue().encode("utf-8")


def rfc4180_csv(exporter: Exporter, database: Path) -> bytes:
    """What the RFC 4180 CSV must be: csv.writer over the neutralised cells of every row."""
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    writer.writerows(map(neutral_row, exporter.rows(database, Filters())))
    return out.getvalue().encode("utf-8")


def test_the_default_csv_is_for_swedish_excel(seeded: Settings, tmp_path: Path) -> None:
    assert export(seeded, tmp_path / "x.csv") == 0
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith(BOM)
    assert raw.count(BOM) == 1
    header = raw[len(BOM) : raw.index(b"\r\n")].decode("utf-8")
    assert header.split(";")[:3] == ["Ärende", "Typ", "Station"]
    assert b"," not in raw.split(b"\r\n")[0]  # ';' between the cells, not ','
    # CRLF ends each of the four records; the one bare line feed is inside TRICKY's cell.
    assert raw.endswith(b"\r\n")
    assert raw.count(b"\r\n") == 4
    assert raw.count(b"\n") == 5

    rows = swedish_rows(raw)
    assert rows[0] == [
        "Ärende", "Typ", "Station", "Kommun", "Kategori", "Status", "Inkom", "Läst",
        "Färdigbehandlad", "Tider", "Latitud", "Longitud", "Plats", "Beskrivning", "Foton",
        "Håller med", "Åtagande", "Skickat till", "Språk", "Invånare (pseudonym)",
    ]  # fmt: skip
    assert len(rows) == 4
    by_ref = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    evil, idea, pinned = by_ref["FLO-0001"], by_ref["FLO-0002"], by_ref["JKB-0001"]
    assert idea["Beskrivning"] == TRICKY  # ';', quotes and the line break round-trip
    assert evil["Beskrivning"] == "'" + EVIL  # neutralised: a spreadsheet shows text
    assert evil["Plats"] == "'@perrongen"
    assert (evil["Typ"], evil["Kategori"], evil["Status"]) == ("rapport", "Belysning", "mottagen")
    assert (idea["Typ"], idea["Kategori"]) == ("idé", "")
    assert evil["Tider"] == "kväll, natt"
    assert idea["Tider"] == "helger"
    assert evil["Språk"] == "svenska"
    assert evil["Kommun"] == "Lerum"
    assert evil["Skickat till"] == "Lokalpolisområde Alingsås, Lerums kommun"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", evil["Inkom"])
    # Local time (Europe/Stockholm, summer time in October), without 'T' or offset.
    assert (pinned["Inkom"], pinned["Färdigbehandlad"]) == ("2026-10-03 21:15", "2026-10-04 08:30")
    assert pinned["Status"] == "åtgärdad"
    assert (pinned["Latitud"], pinned["Longitud"]) == ("59,4231", "17,8352")  # decimal comma
    assert evil["Invånare (pseudonym)"] == idea["Invånare (pseudonym)"] != ""
    assert evil["Invånare (pseudonym)"] != pinned["Invånare (pseudonym)"]


def test_the_export_says_in_swedish_what_it_wrote(
    seeded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert export(seeded, tmp_path / "x.csv") == 0
    assert capsys.readouterr().out == f"3 ärenden sparade i {tmp_path / 'x.csv'}\n"
    assert export(seeded, tmp_path / "y.csv", "--station", "jakobsberg") == 0
    assert capsys.readouterr().out == f"1 ärende sparat i {tmp_path / 'y.csv'}\n"
    assert export(seeded, tmp_path / "z.csv", "--station", "nowhere") == 2
    assert capsys.readouterr().err.startswith('Okänd station: "nowhere". Välj bland: ')


def test_rfc4180_is_the_old_form(seeded: Settings, deployment: Deployment, tmp_path: Path) -> None:
    """`--dialect rfc4180`: no BOM, commas, codes, ISO times, English column names; byte for
    byte what csv.writer writes of the cells (the export before the Swedish default)."""
    assert export(seeded, tmp_path / "x.csv", "--dialect", "rfc4180") == 0
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith(",".join(COLUMNS).encode() + b"\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
    pinned = dict(zip(COLUMNS, rows[3], strict=True))
    assert pinned["status"] == "resolved"
    assert pinned["created"] == "2026-10-03T21:15:07+02:00"
    assert pinned["times_of_day"] == "night"
    assert pinned["latitude"] == "59.4231"

    exporter = Exporter(deployment)  # one key for both: the same pseudonyms
    exporter.write("csv", seeded.database, tmp_path / "y.csv", Filters(), dialect="rfc4180")
    assert (tmp_path / "y.csv").read_bytes() == rfc4180_csv(exporter, seeded.database)


def test_the_fast_swedish_path_writes_what_the_labels_give(
    seeded: Settings, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fast path against csv.writer (Excel dialect, ';') over Labels.row of every row,
    with a batch whose codes need quoting (the generic path) as well. What the intake writes
    takes the fast path (routed actors are joined with ';' as stored, and still do)."""
    import bot.services.export.excel

    exporter = Exporter(deployment)
    labels = Labels(deployment)
    generic: list[object] = []  # records written by the generic path (and the headings)
    record = bot.services.export.excel.excel_record

    def counted(row: Sequence[Any]) -> str:
        generic.append(row)
        return record(row)

    monkeypatch.setattr(bot.services.export.excel, "excel_record", counted)

    exporter.write("csv", seeded.database, tmp_path / "fast.csv", Filters())
    assert len(generic) == 1  # the headings only: every case took the fast path
    assert (tmp_path / "fast.csv").read_bytes() == swedish_csv(exporter, labels, seeded.database)
    generic.clear()
    with sqlite3.connect(seeded.database) as conn:
        conn.execute("UPDATE cases SET commitment_id = 'a;\"b\"' WHERE reference = 'FLO-0002'")
    exporter.write("csv", seeded.database, tmp_path / "odd.csv", Filters())
    assert len(generic) == 1 + 3  # the headings, then the batch row by row
    assert (tmp_path / "odd.csv").read_bytes() == swedish_csv(exporter, labels, seeded.database)
    assert b';"a;""b"""' in (tmp_path / "odd.csv").read_bytes()


#: The rule by which Swedish Excel reads a CSV cell (or a typed one) as a number: an optional
#: sign, digits (or thousands grouped by a space), an optional decimal comma and decimals, an
#: optional exponent, an optional percent sign. A 16-digit pseudonym read so loses its digits
#: past the 15th and shows as 1,23457E+15. (Dates and times are numbers too; not at issue.)
EXCEL_NUMBER = re.compile(r"[+-]?(\d+|\d{1,3}([ \u00a0]\d{3})+)(,\d*)?([eE][+-]?\d+)?%?")
#: Pseudonyms of the shapes about one in a thousand has: all digits, and digits-E-digits.
NUMERIC_PSEUDONYMS = ("1234567890123456", "12345678901234e5")


def test_the_pseudonym_is_text_to_swedish_excel(
    seeded: Settings, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Swedish CSV (both paths) and the XLSX show the pseudonym as 'inv-' and its digits,
    a text cell in any spreadsheet; the forms for programs keep the bare 16 digits."""
    from openpyxl import load_workbook

    assert all(EXCEL_NUMBER.fullmatch(p) for p in NUMERIC_PSEUDONYMS)  # the rule bites
    assert not EXCEL_NUMBER.fullmatch("3f09a1c4e5b6d7e8")
    exporter = Exporter(deployment)
    forced: dict[int, str] = {}  # the seeded database's two residents, one shape each

    def pseudonym(resident_id: int | None) -> str | None:
        if resident_id is None:
            return None
        if resident_id not in forced:
            forced[resident_id] = NUMERIC_PSEUDONYMS[len(forced)]
        return forced[resident_id]

    monkeypatch.setattr(exporter, "pseudonym", pseudonym)
    shown = {"inv-" + p for p in NUMERIC_PSEUDONYMS}

    column = COLUMNS.index("resident")
    exporter.write("csv", seeded.database, tmp_path / "fast.csv", Filters())
    with sqlite3.connect(seeded.database) as conn:  # a batch the generic path writes
        conn.execute("UPDATE cases SET commitment_id = 'a;b' WHERE reference = 'FLO-0002'")
    exporter.write("csv", seeded.database, tmp_path / "generic.csv", Filters())
    for name in ("fast.csv", "generic.csv"):
        rows = swedish_rows((tmp_path / name).read_bytes())[1:]
        cells = [row[column] for row in rows]
        assert len(cells) == 3
        assert not [c for c in cells if EXCEL_NUMBER.fullmatch(c)], name
        assert set(cells) == shown, name

    exporter.write("xlsx", seeded.database, tmp_path / "x.xlsx", Filters())
    sheet = load_workbook(tmp_path / "x.xlsx").active
    assert sheet is not None
    xlsx = [row[column] for row in sheet.iter_rows(min_row=2)]
    assert len(xlsx) == 3
    assert all(cell.data_type == "s" for cell in xlsx)  # a string cell, not a number
    assert {cell.value for cell in xlsx} == shown

    # For programs, exactly as before: the bare 16 digits.
    exporter.write("csv", seeded.database, tmp_path / "r.csv", Filters(), dialect="rfc4180")
    with (tmp_path / "r.csv").open(encoding="utf-8", newline="") as handle:
        assert {row["resident"] for row in csv.DictReader(handle)} == set(NUMERIC_PSEUDONYMS)
    exporter.write("json", seeded.database, tmp_path / "x.json", Filters())
    document = json.loads((tmp_path / "x.json").read_text(encoding="utf-8"))
    assert {row["resident"] for row in document["rows"]} == set(NUMERIC_PSEUDONYMS)
    exporter.write("ndjson", seeded.database, tmp_path / "x.ndjson", Filters())
    lines = (tmp_path / "x.ndjson").read_text(encoding="utf-8").splitlines()
    assert {json.loads(line)["resident"] for line in lines} == set(NUMERIC_PSEUDONYMS)


def test_csv_records_with_semicolons_are_what_the_csv_module_writes() -> None:
    import itertools

    cells = ["", "plain", "a;b", "a,b", 'say "hi"', "two\nlines", "cr\r", "=1+2", "å ä ö"]
    values = [*cells, None, 0, 42, -1.5, True]
    for row in [list(pair) for pair in itertools.product(values, repeat=2)] + [[v] for v in values]:
        expected = io.StringIO()
        csv.writer(expected, delimiter=";").writerow(row)
        assert csv_record(row, ";") == expected.getvalue(), row


#: The CSV columns a GeoJSON feature must not carry: the personal ones and the coordinates.
NOT_ON_A_MAP = {"latitude", "longitude", "place_text", "description", "language", "resident"}


def test_the_geojson_properties_are_the_csv_columns_less_the_excluded(
    seeded: Settings, tmp_path: Path
) -> None:
    """One list of columns: a column the CSV gains is a property of every feature too,
    unless it is named as left out (bot/services/export/geojson.py, EXCLUDED)."""
    assert EXCLUDED == NOT_ON_A_MAP
    assert export(seeded, tmp_path / "x.csv", "--dialect", "rfc4180") == 0
    assert export(seeded, tmp_path / "x.geojson", "--format", "geojson") == 0
    header = (tmp_path / "x.csv").read_bytes().decode().split("\r\n", 1)[0].split(",")
    assert header == list(COLUMNS)
    expected = [column for column in header if column not in NOT_ON_A_MAP]
    assert len(expected) == len(header) - len(NOT_ON_A_MAP)  # each left-out one is a column
    features = json.loads((tmp_path / "x.geojson").read_text(encoding="utf-8"))["features"]
    assert len(features) == 3
    for feature in features:
        assert list(feature["properties"]) == expected
    assert list(PROPERTIES) == expected


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory, deployment: Deployment) -> Path:
    from bench.export import seed

    database = tmp_path_factory.mktemp("many") / "many.sqlite3"
    seed(database, 3000, deployment)
    return database


def in_processes(
    exporter: Exporter, fmt: str, jobs: int, many: Path, out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Write `many` (3000 cases) in `jobs` forked workers, however few its rows."""
    import bot.services.export.files

    monkeypatch.setattr(bot.services.export.files, "PARALLEL_MIN_ROWS", 0)
    assert exporter.write(fmt, many, out, Filters(), jobs=jobs) == 3000
    assert exporter.processes == jobs


def test_a_two_process_csv_has_one_bom_and_one_header(
    many: Path, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    in_processes(Exporter(deployment), "csv", 2, many, tmp_path / "x.csv", monkeypatch)
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith(BOM)
    assert raw.count(BOM) == 1
    assert raw.count("Ärende;Typ;Station".encode()) == 1
    rows = swedish_rows(raw)
    assert len(rows) == 3001
    assert len({row[0] for row in rows[1:]}) == 3000  # every case, once
    assert all(len(row) == len(COLUMNS) for row in rows)


@pytest.mark.parametrize(("options", "count"), [(["--since", "2999-01-01"], 0),
    (["--station", "floda", "--kind", "idea"], 1), ([], 3)])  # fmt: skip
def test_json_is_one_document(
    seeded: Settings, tmp_path: Path, options: list[str], count: int
) -> None:
    assert export(seeded, tmp_path / "x.json", "--format", "json", *options) == 0
    with (tmp_path / "x.json").open(encoding="utf-8") as handle:
        document = json.load(handle)
    assert document["columns"] == list(COLUMNS)
    assert document["timezone"] == "Europe/Stockholm"
    assert len(document["rows"]) == count
    assert all(list(row) == list(COLUMNS) for row in document["rows"])
    if count == 1:
        assert document["filters"] == {"station": "floda", "kind": "idea"}
        assert document["rows"][0]["description"] == TRICKY
        assert document["rows"][0]["times_of_day"] == "weekend"  # codes, for programs
    if count == 3:
        pinned = document["rows"][2]
        assert pinned["created"] == "2026-10-03T21:15:07+02:00"  # ISO, with the offset
        assert (pinned["status"], pinned["latitude"]) == ("resolved", 59.4231)


def test_a_two_process_json_document_loads(
    many: Path, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    exporter = Exporter(deployment)
    in_processes(exporter, "json", 3, many, tmp_path / "x.json", monkeypatch)
    with (tmp_path / "x.json").open(encoding="utf-8") as handle:
        rows = json.load(handle)["rows"]
    assert [row["reference"] for row in rows] == [
        cells[0] for cells in exporter.rows(many, Filters())
    ]


def test_ndjson_is_one_object_a_line(seeded: Settings, tmp_path: Path) -> None:
    assert export(seeded, tmp_path / "x.ndjson", "--format", "ndjson") == 0
    lines = (tmp_path / "x.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    rows = [json.loads(line) for line in lines]
    assert [row["reference"] for row in rows] == ["FLO-0001", "FLO-0002", "JKB-0001"]
    assert rows[1]["description"] == TRICKY


def test_json_keeps_the_residents_exact_text(seeded: Settings, tmp_path: Path) -> None:
    """JSON and NDJSON are for programs: the resident's text exactly as written, '=1+1' and
    '@x' too. The CSVs (both dialects) are for spreadsheets: there it is neutralised."""
    with sqlite3.connect(seeded.database) as conn:
        conn.execute("UPDATE cases SET description = '=1+1' WHERE reference = 'FLO-0002'")
        conn.execute("UPDATE cases SET description = '@x' WHERE reference = 'JKB-0001'")
    conn.close()
    written = {
        "FLO-0001": (EVIL, "@perrongen"),
        "FLO-0002": ("=1+1", None),
        "JKB-0001": ("@x", "@perrongen"),
    }
    assert export(seeded, tmp_path / "x.json", "--format", "json") == 0
    with (tmp_path / "x.json").open(encoding="utf-8") as handle:
        rows = json.load(handle)["rows"]
    assert {r["reference"]: (r["description"], r["place_text"]) for r in rows} == written
    assert export(seeded, tmp_path / "x.ndjson", "--format", "ndjson") == 0
    lines = (tmp_path / "x.ndjson").read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line) for line in lines]
    assert {r["reference"]: (r["description"], r["place_text"]) for r in rows} == written

    neutralised = {
        "FLO-0001": ("'" + EVIL, "'@perrongen"),
        "FLO-0002": ("'=1+1", ""),
        "JKB-0001": ("'@x", "'@perrongen"),
    }
    assert export(seeded, tmp_path / "x.csv", "--dialect", "rfc4180") == 0
    with (tmp_path / "x.csv").open(encoding="utf-8", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert {r["reference"]: (r["description"], r["place_text"]) for r in records} == neutralised
    assert export(seeded, tmp_path / "sv.csv") == 0
    sheet = swedish_rows((tmp_path / "sv.csv").read_bytes())
    shown = {r[0]: (r[13], r[12]) for r in sheet[1:]}
    assert shown == neutralised


def live(cell: str) -> bool:
    """Whether a spreadsheet would run the cell as a formula: it starts with = + - @, a tab or
    a carriage return, and is not a number (a negative coordinate is one)."""
    if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    try:
        float(cell.replace(",", "."))
    except ValueError:
        return True
    return False


def test_names_and_codes_that_start_like_a_formula_are_neutralised_in_every_csv(
    seeded: Settings, deployment: Deployment, tmp_path: Path
) -> None:
    """Not only the resident's text: a deployment's names (station, kommun, category, actors)
    and the stored codes are cells too, in both CSV dialects, by the fast path and by the
    generic one. Byte for byte what csv.writer writes of the neutralised cells."""
    formula = '=HYPERLINK("http://x";"Belysning")'
    evil = deployment.model_copy(
        update={
            "stations": [
                s.model_copy(update={"name": "@Floda", "kommun": "+Lerum"})
                if s.id == "floda"
                else s
                for s in deployment.stations
            ],
            "categories": [
                c.model_copy(update={"name": {**c.name, "sv": formula}})
                if c.id == "belysning"
                else c
                for c in deployment.categories
            ],
            "actors": [a.model_copy(update={"name": "-" + a.name}) for a in deployment.actors],
        }
    )
    with sqlite3.connect(seeded.database) as conn:  # codes no intake writes
        conn.execute(
            "UPDATE cases SET category = '=cmd', commitment_id = '@c', times = '[\"-x\"]',"
            " lat = -33.9, lon = -70.6 WHERE reference = 'JKB-0001'"
        )
    conn.close()
    labels = Labels(evil)
    for dialect, path in (("excel-sv", "sv.csv"), ("rfc4180", "rfc.csv")):
        exporter = Exporter(evil)
        exporter.write("csv", seeded.database, tmp_path / path, Filters(), dialect=dialect)
        raw = (tmp_path / path).read_bytes()
        if dialect == "excel-sv":
            assert raw == swedish_csv(exporter, labels, seeded.database)
            rows = swedish_rows(raw)
            by_ref = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
            lit = by_ref["FLO-0001"]
            assert (lit["Station"], lit["Kommun"], lit["Kategori"]) == (
                "'@Floda",
                "'+Lerum",
                "'" + formula,
            )
            assert lit["Skickat till"].startswith("'-")
            assert (by_ref["JKB-0001"]["Kategori"], by_ref["JKB-0001"]["Åtagande"]) == (
                "'=cmd",
                "'@c",
            )
            assert by_ref["JKB-0001"]["Latitud"] == "-33,9"  # a number, not neutralised
        else:
            assert raw == rfc4180_csv(exporter, seeded.database)
            rows = list(csv.reader(io.StringIO(raw.decode("utf-8"), newline="")))
            by_ref = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
            lit = by_ref["FLO-0001"]
            assert (lit["station"], lit["kommun"]) == ("'@Floda", "'+Lerum")
            pinned = by_ref["JKB-0001"]
            assert (pinned["category"], pinned["linked_commitment"]) == ("'=cmd", "'@c")
            assert pinned["times_of_day"] == "'-x"
            assert pinned["latitude"] == "-33.9"
        assert [cell for row in rows[1:] for cell in row if live(cell)] == []


def test_the_dialect_is_for_csv_only(
    seeded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(seeded, tmp_path / "x.json", "--format", "json", "--dialect", "rfc4180") == 2
    assert "--dialect gäller bara CSV, inte json." in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()


async def test_the_bots_export_buttons_give_files_an_admin_can_open(
    staff_bot: Emulator,  # noqa: F811 (the fixture imported from tests/test_stats.py)
    catalogs: Catalogs,
) -> None:
    """/export offers CSV, Excel, JSON and GeoJSON; each file opens in what it is for."""
    from openpyxl import load_workbook

    world = staff_bot.world
    admin = Person(world, ADMIN, catalogs)
    files: dict[str, bytes] = {}
    for fmt in ("csv", "xlsx", "json", "geojson"):
        await admin.say("/export")
        await admin.tap("Jakobsberg")
        await admin.tap(admin.t("export.kind_all"))
        got = await admin.tap(admin.t("stats.period_all"))
        offered = [b["text"] for m in got for b in m.inline_buttons]
        assert offered[-4:] == [
            admin.t(f"export.format_{f}") for f in ("csv", "xlsx", "json", "geojson")
        ]
        got = await admin.tap(admin.t(f"export.format_{fmt}"))
        document = next(m for m in got if "document" in m.data).data["document"]
        assert document["file_name"].endswith(f".{fmt}")
        files[fmt] = world.files[document["file_id"]].content
    rows = swedish_rows(files["csv"])
    assert files["csv"].startswith(BOM)
    assert rows[0][0] == "Ärende"
    assert sorted(row[0] for row in rows[1:]) == ["JKB-0001", "JKB-0002", "JKB-0003", "JKB-0004"]
    book = load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    assert next(book.active.iter_rows(values_only=True))[0] == "Ärende"
    book.close()
    assert len(json.loads(files["json"])["rows"]) == 4
    assert json.loads(files["geojson"])["type"] == "FeatureCollection"
