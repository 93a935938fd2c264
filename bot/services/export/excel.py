"""CSV for Swedish Excel: the export's default CSV.

Swedish Excel opens a CSV by double-click with the Windows settings for Sweden: the list
separator is ';' and the decimal separator ','. Without a byte order mark it reads the file
in the ANSI code page (å, ä, ö as mojibake). So: UTF-8 with a BOM (written once, by
files.py, before the headings), ';' between cells, CRLF, Swedish headings and labels
(labels.py), local times as '2026-10-03 21:15' (Excel and LibreOffice read that as a date and
time) and coordinates with a decimal comma, so that they are numbers in a Swedish sheet: with
a point, Swedish Excel keeps them as text, or reads some as dates. The pseudonym is 'inv-'
and its hex digits, text in any sheet (the bare digits are at times a number to Excel). Every
text cell that starts like a formula is neutralised as in every CSV: the resident's texts,
the deployment's names (station, kommun, category, actors), the labels and the codes.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.services.export.cells import Cells, _text_cell, csv_record, neutral, plain_codes
from bot.services.export.labels import PSEUDONYM_PREFIX, Labels
from storage.export import Filters, batches

BOM = "\ufeff"
DELIMITER = ";"
#: The cells of a case written as they are stored: its reference and linked commitment. The
#: other codes are labels, made into cells once (quoted as needed) by `_labelled`.
_AS_STORED = tuple(map(operator.itemgetter, (1, 14)))


def excel_record(row: Sequence[Any]) -> str:
    """A row of `Labels.row` as one record: ';' between cells, numbers with a decimal comma,
    text that starts like a formula neutralised."""
    return csv_record([_number(v) if isinstance(v, float) else neutral(v) for v in row], DELIMITER)


def excel_header(labels: Labels) -> str:
    """The BOM and the headings: what starts the file, once."""
    return BOM + excel_record(labels.headings())


def _plain(cases: Sequence[Sequence[Any]]) -> bool:
    """Whether the batch's references and linked commitments need neither quoting nor
    neutralising (what the intake writes never does); checked a batch at a time, per column."""
    return all(plain_codes(map(get, cases), DELIMITER) for get in _AS_STORED)


def _number(value: float) -> str:
    return repr(value).replace(".", ",")


def _labelled(label: Callable[[str], str | None]) -> Callable[[str | None], str]:
    """A label lookup as a cached CSV cell, quoted and neutralised as needed: a code's cell is
    made once per export."""
    cache: dict[str | None, str] = {None: "", "": ""}

    def cell(code: str | None) -> str:
        try:
            return cache[code]
        except KeyError:
            made = cache[code] = _text_cell(label(code) if code else "", DELIMITER)
            return made

    return cell


def excel_chunks(
    cells: Cells,
    labels: Labels,
    database: Path,
    filters: Filters,
    first_id: int | None = None,
    stop_id: int | None = None,
) -> Iterator[tuple[str, int]]:
    """Records for the matching cases, a batch at a time: (text, number of rows).

    What `excel_record(labels.row(cells.row(...)))` writes, made as `Cells.csv_chunks` makes
    the RFC 4180 form: straight from the row, every label and time of an hour looked up once.
    A batch whose ids or codes would need quoting takes the generic path, row by row.
    """
    moment, pseudonym, known = cells.moment, cells.pseudonym, cells._pseudonyms
    prefix = PSEUDONYM_PREFIX
    kind = _labelled(labels.kind)
    status = _labelled(labels.status)
    category = _labelled(labels.category)
    times = _labelled(labels.times_of_day)
    actors = _labelled(labels.actors)
    language = _labelled(labels.language)
    stations = {
        s: (_text_cell(cells.names[s], DELIMITER), _text_cell(cells.kommun[s], DELIMITER))
        for s in cells.names
    }
    for batch in batches(database, filters, first_id, stop_id):
        if not _plain(batch.cases):
            text = "".join(excel_record(labels.row(cells.row(case, batch))) for case in batch.cases)
            yield text, len(batch.cases)
            continue
        photos = {case: str(n) for case, n in batch.photos.items()}.get
        supporters = {case: str(n) for case, n in batch.supporters.items()}.get
        routed = batch.actors.get
        records = []
        for (
            case_id,
            reference,
            kind_code,
            station_id,
            category_code,
            status_code,
            created_at,
            acknowledged_at,
            resolved_at,
            stored_times,
            lat,
            lon,
            place_text,
            description,
            commitment_id,
            language_code,
            resident_id,
        ) in batch.cases:
            name, municipality = stations.get(station_id) or (
                _text_cell(station_id, DELIMITER),
                "",
            )
            if resident_id is None:
                resident = ""
            else:
                resident = prefix + (known.get(resident_id) or pseudonym(resident_id) or "")
            records.append(
                DELIMITER.join(
                    (
                        reference,
                        kind(kind_code),
                        name,
                        municipality,
                        category(category_code),
                        status(status_code),
                        moment(created_at) or "",
                        moment(acknowledged_at) or "" if acknowledged_at else "",
                        moment(resolved_at) or "" if resolved_at else "",
                        times(stored_times),
                        "" if lat is None else _number(lat),
                        "" if lon is None else _number(lon),
                        _text_cell(place_text, DELIMITER) if place_text else "",
                        _text_cell(description, DELIMITER) if description else "",
                        photos(case_id, "0"),
                        supporters(case_id, "0"),
                        commitment_id or "",
                        actors(routed(case_id)),
                        language(language_code),
                        resident,
                    )
                )
            )
        records.append("")
        yield "\r\n".join(records), len(batch.cases)
