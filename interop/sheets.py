"""The CSV and the XLSX export opened by LibreOffice Calc, headless, under a Swedish locale.

LibreOffice converts each file to XLSX (and the XLSX also to CSV as shown on screen);
openpyxl reads the result back. The CSV import options are set the way Excel opens a CSV by
double-click on a Swedish Windows (docs/interop.md says which and why).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from pathlib import Path
from typing import Any

import openpyxl

from interop.checks import Check, NotYet, quote
from interop.exports import Exporter
from interop.seed import FORMULA, RESOLUTION, TRICKY

LOCALE = "sv_SE.UTF-8"
#: LibreOffice's CSV import filter, with its options (the tokens, in order):
#: 59 field separator `;` only (the list separator of Swedish Windows, which Excel uses);
#: 34 text delimiter `"`; 76 character set UTF-8 (Excel takes it from the BOM);
#: 1 start at line 1; (empty) every column "Standard", like Excel's "General";
#: 0 language: the system's (sv-SE from LANG, as Excel uses the regional settings);
#: false quoted fields are not forced to text; true detect special numbers (dates, times);
#: false, false (export options); false keep spaces; true evaluate formulas (Excel does).
CSV_IMPORT = "Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,false,false,false,true"
#: LibreOffice's CSV export: `;`, `"`, UTF-8, ... token 9 true: "save cell contents as shown".
CSV_AS_SHOWN = "csv:Text - txt - csv (StarCalc):59,34,76,1,,0,false,true,true"
XLSX = "xlsx:Calc MS Excel 2007 XML"
BOM = b"\xef\xbb\xbf"
#: A cell of the Swedish CSV that holds a date, or a date and time (local).
DATE_TEXT = re.compile(r"^\d{4}-\d\d-\d\d(?:[ T]\d\d:\d\d(?::\d\d)?)?$")
#: A cell of the Swedish CSV that holds a number with a decimal comma.
DECIMAL_TEXT = re.compile(r"^-?\d+,\d+$")


def soffice(check: Check, work: Path, source: Path, target: str, *infilter: str) -> Path:
    """Convert `source` with LibreOffice headless (own profile, Swedish locale); the result."""
    out = work / f"lo-{source.suffix[1:]}-{target.split(':')[0]}"
    out.mkdir(exist_ok=True)
    profile = (work / "lo-profile").as_uri()
    env = {**os.environ, "LANG": LOCALE, "LC_ALL": LOCALE, "LANGUAGE": "sv"}
    argv = [
        "soffice",
        f"-env:UserInstallation={profile}",
        "--headless",
        *(f"--infilter={f}" for f in infilter),
        "--convert-to",
        target,
        "--outdir",
        str(out),
        str(source),
    ]
    shown = " ".join(["LANG=" + LOCALE, *(quote(a) for a in argv)])
    done = check.run(argv, env=env, shown=shown.replace(str(work), "$WORK"))
    name = source.stem + "." + target.split(":")[0]
    result = out / name
    if done.returncode != 0 or not result.exists():
        raise RuntimeError(f"soffice failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return result


def _text(value: str) -> str:
    return value.replace("\r\n", "\n")


def _number(text: str) -> float | None:
    """A number as Swedish Excel reads it: decimal comma, space or NBSP between thousands."""
    cleaned = text.replace("\u00a0", "").replace(" ", "").replace("\u2212", "-")
    if re.fullmatch(r"-?\d+(?:,\d+)?", cleaned):
        return float(cleaned.replace(",", "."))
    return None


def _date(text: str) -> dt.datetime | None:
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def same(text: str, value: Any) -> bool:
    """Whether a spreadsheet cell holds what the CSV cell says, read as Excel would."""
    if value is None:
        return text == ""
    if isinstance(value, dt.datetime | dt.date):
        when = _date(text)
        if when is None:
            return False
        got = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        return abs((got - when).total_seconds()) < 1
    if isinstance(value, bool):
        return text.upper() in {"TRUE", "FALSE", "SANT", "FALSKT"}
    if isinstance(value, int | float):
        number = _number(text)
        return number is not None and abs(number - value) <= 1e-9 * max(1.0, abs(number))
    return _text(str(value)) == _text(text)


def _rows(path: Path) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(path).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _find(rows: list[list[str]], wanted: str) -> tuple[int, int] | None:
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if wanted in _text(cell):
                return r, c
    return None


def check_csv(check: Check, exporter: Exporter, work: Path) -> None:
    path = exporter.export(check, "csv", work / "arenden.csv")
    raw = path.read_bytes()
    check.expect(raw.startswith(BOM), "the CSV starts with a UTF-8 BOM")
    header_line = raw[len(BOM) :].split(b"\n", 1)[0] if raw.startswith(BOM) else b""
    check.expect(header_line.endswith(b"\r"), "the CSV's lines end in CRLF")
    if not check.expect(b";" in header_line, "the CSV's fields are separated by ;"):
        raise NotYet("the default CSV is not the Swedish Excel dialect (no BOM and ;)")
    text = raw.decode("utf-8-sig")
    expected = list(csv.reader(io.StringIO(text, newline=""), dialect="excel", delimiter=";"))
    width = len(expected[0])
    check.note(f"export: {len(expected) - 1} cases, {width} columns")

    converted = soffice(check, work, path, XLSX, CSV_IMPORT)
    sheet = openpyxl.load_workbook(converted).active
    got = [list(row) for row in sheet.iter_rows(values_only=True)]
    check.expect(
        (sheet.max_row, sheet.max_column) == (len(expected), width),
        f"rows x columns in Calc {sheet.max_row} x {sheet.max_column},"
        f" in the CSV {len(expected)} x {width}",
    )
    headings = [str(v) if v is not None else "" for v in got[0]] if got else []
    check.expect(headings == expected[0], f"headings in Calc {headings} == {expected[0]}")
    check.expect(any(ch in "åäöÅÄÖ" for h in headings for ch in h), "a heading has å, ä or ö")
    check.expect(not any("Ã" in h or "\ufffd" in h for h in headings), "no mojibake in headings")
    check.note(f"headings: {'; '.join(headings)}")

    tricky = _find(expected, TRICKY)
    if check.expect(tricky is not None, 'the CSV holds the cell with ; " and a line break'):
        r, c = tricky or (0, 0)
        cell = got[r][c] if r < len(got) and c < len(got[r]) else None
        check.expect(
            isinstance(cell, str) and _text(cell) == _text(expected[r][c]),
            f"the ;/quote/newline cell intact: {cell!r}",
        )
    formula = _find(expected, FORMULA)
    if check.expect(formula is not None, "the CSV holds the formula-looking text"):
        r, c = formula or (0, 0)
        cell = got[r][c] if r < len(got) and c < len(got[r]) else None
        check.expect(
            isinstance(cell, str) and not cell.startswith("=") and FORMULA in cell,
            f"the formula-looking text stays text in Calc: {cell!r}",
        )
        stored = _cell_with(sheet, FORMULA)
        check.expect(
            stored is not None and stored.data_type == "s",
            f"Calc stored it as a text cell, not a formula: {stored.data_type if stored else None}",
        )
        check.note(f"formula-looking text as Calc shows it: {cell!r}")

    dates = [
        c
        for c in range(width)
        if any(row[c] for row in expected[1:] if c < len(row))
        and all(DATE_TEXT.match(row[c]) for row in expected[1:] if c < len(row) and row[c])
    ]
    if check.expect(bool(dates), "the CSV has columns of dates"):
        check.note(f"date columns: {', '.join(expected[0][c] for c in dates)}")
        for c in dates:
            values = [row[c] for row in got[1:] if c < len(row) and row[c] is not None]
            check.expect(
                all(isinstance(v, dt.datetime | dt.date) for v in values),
                f"Calc reads {expected[0][c]!r} as dates: {values[:2]!r}",
            )
    decimals = [
        c
        for c in range(width)
        if any(row[c] for row in expected[1:] if c < len(row))
        and all(DECIMAL_TEXT.match(row[c]) for row in expected[1:] if c < len(row) and row[c])
    ]
    for c in decimals:  # a decimal comma is a number only to a Swedish reader
        values = [row[c] for row in got[1:] if c < len(row) and row[c] is not None]
        check.expect(
            all(isinstance(v, float) for v in values),
            f"Calc reads {expected[0][c]!r} (decimal comma) as numbers: {values[:2]!r}",
        )
    if decimals:
        check.note(f"decimal-comma columns: {', '.join(expected[0][c] for c in decimals)}")
    wrong = [
        f"row {r + 1} {expected[0][c]!r}: CSV {expected[r][c]!r}, Calc {got[r][c]!r}"
        for r in range(1, min(len(expected), len(got)))
        for c in range(min(width, len(got[r])))
        if not same(expected[r][c], got[r][c])
    ]
    check.expect(not wrong, f"every cell as in the CSV; {len(wrong)} differ: {wrong[:4]}")


def check_xlsx(check: Check, exporter: Exporter, work: Path) -> None:
    path = exporter.export(check, "xlsx", work / "arenden.xlsx")
    original = openpyxl.load_workbook(path).active
    ours = [list(row) for row in original.iter_rows(values_only=True)]
    converted = soffice(check, work, path, XLSX)
    calc = openpyxl.load_workbook(converted).active
    got = [list(row) for row in calc.iter_rows(values_only=True)]
    check.note(f"export: {len(ours) - 1} cases, {original.max_column} columns")
    check.expect(
        (calc.max_row, calc.max_column) == (original.max_row, original.max_column),
        f"rows x columns in Calc {calc.max_row} x {calc.max_column},"
        f" in the file {original.max_row} x {original.max_column}",
    )
    check.expect(bool(got) and got[0] == ours[0], f"headings in Calc {got[:1]}")
    check.expect(
        any(ch in "åäöÅÄÖ" for h in ours[0] if isinstance(h, str) for ch in h),
        f"a heading has å, ä or ö: {ours[0]}",
    )
    check.note(f"headings: {'; '.join(str(h) for h in ours[0])}")
    texts = [v for row in got for v in row if isinstance(v, str)]
    check.expect(
        any(RESOLUTION in v for v in texts), "the officer's resolution note is in Calc's sheet"
    )
    formula = _cell_with(calc, FORMULA[1:])
    check.expect(
        formula is not None and formula.data_type == "s",
        "the formula-looking text is a text cell in Calc, not a formula: "
        f"{formula.value if formula else None!r} ({formula.data_type if formula else None})",
    )
    dates = sorted({c for row in ours[1:] for c, v in enumerate(row) if isinstance(v, dt.datetime)})
    if check.expect(bool(dates), "the XLSX has date cells"):
        check.note(f"date columns: {', '.join(str(ours[0][c]) for c in dates)}")
        for c in dates:
            values = [row[c] for row in got[1:] if row[c] is not None]
            check.expect(
                all(isinstance(v, dt.datetime) for v in values),
                f"Calc keeps {ours[0][c]!r} as dates: {values[:2]!r}",
            )
    wrong = [
        f"row {r + 1} col {c + 1}: ours {ours[r][c]!r}, Calc {got[r][c]!r}"
        for r in range(min(len(ours), len(got)))
        for c in range(min(len(ours[r]), len(got[r])))
        if not _equal(ours[r][c], got[r][c])
    ]
    check.expect(not wrong, f"every cell as in our file; {len(wrong)} differ: {wrong[:4]}")
    # A headless conversion has no view, and a sheet's frozen rows are view settings: Calc
    # drops them from any file converted so (a reference file written by openpyxl too), so
    # the frozen header row is checked in our file.
    check.expect(original.freeze_panes == "A2", f"header row frozen: {original.freeze_panes}")
    check.expect(
        bool(original.auto_filter.ref) and bool(calc.auto_filter.ref),
        f"autofilter kept (ours {original.auto_filter.ref}, Calc {calc.auto_filter.ref})",
    )
    shown = soffice(check, work, path, CSV_AS_SHOWN)
    table = list(csv.reader(io.StringIO(shown.read_text("utf-8-sig"), newline=""), delimiter=";"))
    for c in dates:
        sample = next((row[c] for row in table[1:] if c < len(row) and row[c]), "")
        check.expect(
            bool(re.search(r"\d{4}-\d\d-\d\d|\d{1,2} \w+\.? \d{4}", sample)),
            f"{ours[0][c]!r} shown as a Swedish date, not a serial number: {sample!r}",
        )
        check.note(f"{ours[0][c]!r} shown in Calc as {sample!r}")


def _cell_with(sheet: Any, text: str) -> Any:
    """The first cell of `sheet` whose text holds `text`, or None."""
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and text in cell.value:
                return cell
    return None


def _equal(ours: Any, calc: Any) -> bool:
    if isinstance(ours, dt.datetime) and isinstance(calc, dt.datetime):
        return abs((ours - calc).total_seconds()) < 1
    if isinstance(ours, int | float) and isinstance(calc, int | float):
        return abs(ours - calc) <= 1e-9 * max(1.0, abs(ours))
    if isinstance(ours, str) and isinstance(calc, str):
        return _text(ours) == _text(calc)
    return bool(ours == calc)
