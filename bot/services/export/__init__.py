"""Exports of the collected feedback: CSV, JSON, newline-delimited JSON and XLSX, streamed.

`cells`: one case as pseudonymised export cells, and CSV records or JSON lines of them;
`labels`: what an admin reads instead (Swedish headings, labels for codes, local times);
`files`: an export written to a file, in several processes when it is big.
"""

from bot.services.export.atomic import ExportStopped
from bot.services.export.cells import COLUMNS, DIALECTS, FORMATS, csv_record
from bot.services.export.files import PARALLEL_MIN_ROWS, Exporter, default_jobs
from bot.services.export.labels import Labels
from bot.services.export.xlsx import TooManyRows

__all__ = [
    "COLUMNS",
    "DIALECTS",
    "FORMATS",
    "PARALLEL_MIN_ROWS",
    "ExportStopped",
    "Exporter",
    "Labels",
    "TooManyRows",
    "csv_record",
    "default_jobs",
]
