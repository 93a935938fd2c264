"""XLSX for an admin: a sheet that can be sorted and filtered the moment it is opened.

Swedish headings and labels (labels.py), times as real date cells (naive local time, shown
as 2026-10-03 21:15), a frozen heading row, an autofilter over the data, column widths that
fit, and the officer's closing note (what they wrote to the resident when they resolved the
case or set it aside) as the last column.

The sheet is written in openpyxl's write-only mode, row by row, so memory stays flat: the
heading row, widths and frozen pane go out before the first row, the autofilter (written
after the rows) gets its range once the rows are counted.

Every text is a text cell with the exact text. Text that Excel would read as something else
when typed, one that starts like a formula (= + - @) or is an error code ('#N/A', '#REF!'),
is marked as Excel marks a typed apostrophe (quotePrefix): it is shown and kept as text, even
when someone edits the cell, and no apostrophe is added to the data. (openpyxl itself would
write a str starting with '=' as a formula, and one equal to an error code as an error cell.)
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.domain.lifecycle import CLOSED
from bot.domain.text import xml_safe
from bot.services.export.cells import _FORMULA_START, COLUMNS, Cells
from bot.services.export.labels import DATE_COLUMNS, Labels
from storage.export import Filters, batches, count

SHEET = "Ärenden"
#: Rows an Excel sheet holds, the heading row included: Excel opens a longer sheet cut off.
MAX_ROWS = 1_048_576
DATE_FORMAT = "yyyy-mm-dd hh:mm"
NOTE_COLUMN = "resolution_note"
#: Characters a column is wide (Excel's unit), by column: room for what it usually holds.
WIDTHS = {
    "reference": 12,
    "kind": 9,
    "station": 14,
    "kommun": 12,
    "category": 24,
    "status": 17,
    "created": 17,
    "acknowledged": 17,
    "resolved": 17,
    "times_of_day": 22,
    "latitude": 11,
    "longitude": 11,
    "place_text": 30,
    "description": 60,
    "photo_count": 8,
    "supporters": 12,
    "linked_commitment": 16,
    "routed_actors": 36,
    "language": 11,
    "resident": 20,
    NOTE_COLUMN: 48,
}
_CLOSED = frozenset(s.value for s in CLOSED)
_FILTER_BUTTON = 3  # characters the autofilter's button covers at a heading's right


def column_letter(number: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class TooManyRows(Exception):
    """The export has more cases than one Excel sheet holds (MAX_ROWS, with the headings)."""

    def __init__(self, rows: int) -> None:
        super().__init__(rows)
        self.rows = rows


def write_xlsx(
    cells: Cells,
    labels: Labels,
    database: Path,
    out: Path,
    filters: Filters,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write the sheet to `out`; returns the number of rows (cases). Refused, before anything
    is written, with TooManyRows when the cases would not fit in the sheet."""
    total = count(database, filters)
    if total >= MAX_ROWS:  # one row is the headings'
        raise TooManyRows(total)
    try:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.cell.cell import ERROR_CODES
        from openpyxl.styles import Font
    except ImportError:  # the optional extra
        raise RuntimeError("XLSX needs openpyxl: pip install 'trygghetsbot[xlsx]'") from None
    book = Workbook(write_only=True)
    sheet = book.create_sheet(SHEET)
    columns = (*COLUMNS, NOTE_COLUMN)
    headings = [*labels.headings(), labels.text(f"export.column.{NOTE_COLUMN}", NOTE_COLUMN)]
    for number, (column, heading) in enumerate(zip(columns, headings, strict=True), start=1):
        width = max(WIDTHS.get(column, 12), len(heading) + _FILTER_BUTTON)
        sheet.column_dimensions[column_letter(number)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    errors = frozenset(ERROR_CODES)

    def heading_cell(text: str) -> Any:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        return cell

    def date_cell(value: Any) -> Any:
        if value is None:
            return None
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
        return cell

    def text_cell(value: str | None) -> Any:
        if not value:
            return value
        value = xml_safe(value)  # XML cannot hold most control characters
        if not value.startswith(_FORMULA_START) and value not in errors:
            return value  # a plain str: openpyxl writes it as a string cell
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # openpyxl would take it for a formula or an error
        cell.quotePrefix = True
        return cell

    sheet.append([heading_cell(h) for h in headings])
    written = 0
    try:
        for batch in batches(database, filters, notes=True):
            if written + len(batch.cases) >= MAX_ROWS:  # cases came in since the count
                raise TooManyRows(written + len(batch.cases))
            for case in batch.cases:
                # In the column order of storage.export.CASES_SQL.
                case_id, status = case[0], case[5]
                row = labels.row(cells.row(case, batch), dates=True)  # the texts as written
                # A reopened case's earlier note no longer tells how it ended.
                row.append(batch.notes.get(case_id) if status in _CLOSED else None)
                for index in DATE_COLUMNS:
                    row[index] = date_cell(row[index])
                sheet.append([text_cell(v) if isinstance(v, str) else v for v in row])
                written += 1
                if progress and written % 10_000 == 0:
                    progress(written)
        sheet.auto_filter.ref = f"A1:{column_letter(len(columns))}{written + 1}"
        book.save(out)
    except BaseException:
        _discard(sheet)
        raise
    if progress:
        progress(written)
    return written


def _discard(sheet: Any) -> None:
    """Close an unsaved write-only sheet and remove its temporary file: left to the garbage
    collector, its row writer writes to a closed file ("Exception ignored in: <generator
    object WriteOnlyWorksheet._write_rows>" on stderr) and the file stays until exit."""
    if sheet.closed:  # saved: openpyxl has removed it
        return
    with contextlib.suppress(Exception):
        sheet.close()
    writer = sheet._writer  # openpyxl's; None before the first row
    if writer is not None:
        with contextlib.suppress(Exception):
            writer.cleanup()
