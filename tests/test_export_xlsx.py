"""The XLSX export, read back with openpyxl as Excel would open it: Swedish headings and
labels, real date cells, a frozen heading row, an autofilter, column widths, the officer's
closing note, and text that looks like a formula kept as text."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.domain.lifecycle import Action
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.export import COLUMNS, Labels
from bot.settings import Settings

POLIS_STK = 100000003
EVIL = '=HYPERLINK("http://example.com/x","klicka")'
PLUS = "+46 är inte en formel men börjar med plus"
RESOLVED_NOTE = "Lampan är bytt."
REJECTED_NOTE = "Det här är inte vår mark."
REOPENED_NOTE = "Åtgärdat, trodde vi."


@pytest.fixture
def seeded(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Settings:
    """FLO-0001 resolved with a note; FLO-0002 an idea, new; JKB-0001 set aside with a
    note; JKB-0002 resolved, then reopened."""
    settings = Settings(database=tmp_path / "xlsx.sqlite3", media_dir=tmp_path / "media")

    async def seed() -> None:
        services = await Services.open(settings, deployment, catalogs)
        try:
            cases = []
            for chat, station, kind, text in [
                (1, "floda", "report", EVIL),
                (1, "floda", "idea", "Fler bänkar, tack."),
                (2, "jakobsberg", "report", PLUS),
                (2, "jakobsberg", "report", "Trasig lampa i tunneln."),
            ]:
                draft = Draft(
                    kind=kind,
                    station=station,
                    description=text,
                    times=["evening", "night"],
                    category="belysning" if kind == "report" else None,
                    place_text="@perrongen" if kind == "report" else None,
                )
                cases.append(await services.submit(chat, draft, "sv"))
            lit, _idea, aside, reopened = cases
            stk = await services.desk.member(POLIS_STK)
            jkb = await services.desk.member(100000001)
            await services.desk.act(stk, lit.reference, Action.ACKNOWLEDGE)
            await services.desk.act(stk, lit.reference, Action.RESOLVE, RESOLVED_NOTE)
            await services.desk.act(jkb, aside.reference, Action.REJECT, REJECTED_NOTE)
            await services.desk.act(jkb, reopened.reference, Action.ACKNOWLEDGE)
            await services.desk.act(jkb, reopened.reference, Action.RESOLVE, REOPENED_NOTE)
            await services.desk.act(jkb, reopened.reference, Action.REOPEN)
        finally:
            await services.close()

    asyncio.run(seed())
    return settings


def export(settings: Settings, fmt: str, out: Path, *extra: str) -> int:
    os.environ["TRYGG_DATABASE"] = str(settings.database)
    try:
        return main(["export", "--format", fmt, "--out", str(out), *extra])
    finally:
        del os.environ["TRYGG_DATABASE"]


def sheet_of(path: Path) -> Any:
    return load_workbook(path).active


def test_swedish_headings_labels_and_the_closing_note(
    seeded: Settings, tmp_path: Path, deployment: Deployment
) -> None:
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    sheet = sheet_of(tmp_path / "x.xlsx")
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    headings = rows[0]
    assert headings == [*Labels(deployment).headings(), "Kommentar vid avslut"]
    assert headings[:3] == ["Ärende", "Typ", "Station"]
    assert all(cell.font.bold for cell in sheet[1])
    cases = {row[0]: dict(zip((*COLUMNS, "note"), row, strict=True)) for row in rows[1:]}
    assert list(cases) == ["FLO-0001", "FLO-0002", "JKB-0001", "JKB-0002"]
    lit = cases["FLO-0001"]
    assert (lit["kind"], lit["category"], lit["status"]) == ("rapport", "Belysning", "åtgärdad")
    assert lit["times_of_day"] == "kväll, natt"
    assert lit["station"] == "Floda"
    assert lit["kommun"] == "Lerum"
    assert lit["language"] == "svenska"
    assert isinstance(lit["resident"], str)
    assert re.fullmatch(r"inv-[0-9a-f]{16}", lit["resident"])  # text to Excel, however hashed
    assert cases["FLO-0002"]["kind"] == "idé"
    assert cases["JKB-0001"]["status"] == "kan inte åtgärdas"
    # The officer's closing note: what they wrote when they resolved or set the case aside;
    # none for an open case, nor for a reopened one (its old note no longer tells the end).
    assert lit["note"] == RESOLVED_NOTE
    assert cases["JKB-0001"]["note"] == REJECTED_NOTE
    assert cases["FLO-0002"]["note"] is None
    assert cases["JKB-0002"]["status"] == "pågår"
    assert cases["JKB-0002"]["note"] is None


def test_times_are_date_cells_in_local_time(
    seeded: Settings, tmp_path: Path, deployment: Deployment
) -> None:
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    sheet = sheet_of(tmp_path / "x.xlsx")
    with sqlite3.connect(seeded.database) as conn:
        stored = dict(
            conn.execute("SELECT reference, created_at FROM cases").fetchall()
        )  # UTC, ISO
    conn.close()
    zone = ZoneInfo(deployment.deployment.timezone)
    created = COLUMNS.index("created") + 1
    acknowledged = COLUMNS.index("acknowledged") + 1
    resolved = COLUMNS.index("resolved") + 1
    for row in sheet.iter_rows(min_row=2):
        reference = row[0].value
        cell = row[created - 1]
        assert cell.is_date
        assert isinstance(cell.value, dt.datetime)
        assert cell.value.tzinfo is None  # Excel has no time zones: local time
        local = dt.datetime.fromisoformat(stored[reference]).astimezone(zone)
        assert cell.value == local.replace(tzinfo=None)
        assert cell.number_format == "yyyy-mm-dd hh:mm"
    lit = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "FLO-0001")
    for column in (acknowledged, resolved):
        assert isinstance(lit[column - 1].value, dt.datetime)
        assert lit[column - 1].number_format == "yyyy-mm-dd hh:mm"
    idea = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "FLO-0002")
    assert idea[acknowledged - 1].value is None


def test_frozen_headings_an_autofilter_and_widths(seeded: Settings, tmp_path: Path) -> None:
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    sheet = sheet_of(tmp_path / "x.xlsx")
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:U5"  # 21 columns, the headings and 4 cases
    headings = [c.value for c in sheet[1]]
    widths = {
        heading: sheet.column_dimensions[cell.column_letter].width
        for heading, cell in zip(headings, sheet[1], strict=True)
    }
    for heading, width in widths.items():
        assert width >= len(heading) + 2, heading  # the heading and the filter's button
    assert widths["Beskrivning"] >= 50
    assert widths["Ärende"] < widths["Kategori"] < widths["Beskrivning"]
    # A filter that matches nothing: the filter covers the headings alone.
    assert export(seeded, "xlsx", tmp_path / "none.xlsx", "--since", "2999-01-01") == 0
    empty = sheet_of(tmp_path / "none.xlsx")
    assert empty.auto_filter.ref == "A1:U1"
    assert empty.max_row == 1


def test_formula_looking_text_stays_text(seeded: Settings, tmp_path: Path) -> None:
    """The resident's exact text, in a text cell with Excel's quote prefix (what a typed
    apostrophe sets): shown as typed, never run, not even after the cell is edited."""
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    sheet = sheet_of(tmp_path / "x.xlsx")
    description = COLUMNS.index("description")
    place = COLUMNS.index("place_text")
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    for reference, text in (("FLO-0001", EVIL), ("JKB-0001", PLUS)):
        cell = rows[reference][description]
        assert cell.value == text
        assert cell.data_type == "s"  # a string, not a formula
        assert cell.quotePrefix
        assert rows[reference][place].value == "@perrongen"
        assert rows[reference][place].quotePrefix
    plain = rows["FLO-0002"][description]
    assert plain.value == "Fler bänkar, tack."
    assert not plain.quotePrefix
    # The JSON export keeps its own columns: no note column, nothing taken from the sheet.
    assert export(seeded, "ndjson", tmp_path / "x.ndjson") == 0
    lines = (tmp_path / "x.ndjson").read_text(encoding="utf-8").splitlines()
    assert all(tuple(json.loads(line)) == COLUMNS for line in lines)


ASKED_NOTE = "Vid vilken lampa vid perrongen?"


def erased_notes(settings: Settings, deployment: Deployment, catalogs: Catalogs, how: str) -> None:
    """Resident 1 (FLO-0001, resolved with a note; FLO-0002, asked a question) leaves, with
    keep_case_text_on_erase = false: by /radera ("erase"), or by retention ("idle": not heard
    from in identity_days; "old": their cases older than case_days)."""
    from bot.domain.deployment import Retention

    blank = deployment.model_copy(update={"retention": Retention(keep_case_text_on_erase=False)})

    async def run() -> None:
        services = await Services.open(settings, blank, catalogs)
        try:
            stk = await services.desk.member(POLIS_STK)
            await services.desk.act(stk, "FLO-0002", Action.ASK, ASKED_NOTE)
            if how == "erase":
                assert await services.erase(1) == 2
                return
            with sqlite3.connect(settings.database) as conn:
                if how == "idle":
                    conn.execute(
                        "UPDATE residents SET last_seen_at = '2000-01-01T00:00:00+00:00'"
                        " WHERE chat_id = 1"
                    )
                else:
                    conn.execute(
                        "UPDATE cases SET created_at = '2000-01-01T00:00:00+00:00'"
                        " WHERE reference LIKE 'FLO-%'"
                    )
            conn.close()
            await services.purge()
        finally:
            await services.close()

    asyncio.run(run())


@pytest.mark.parametrize("how", ["erase", "idle", "old"])
def test_an_erased_residents_closing_note_leaves_the_sheet(
    seeded: Settings, tmp_path: Path, deployment: Deployment, catalogs: Catalogs, how: str
) -> None:
    """The officer's notes to the resident (closing note, question) often quote the resident's
    place or words: with the case text they go too, from the database and so from the sheet.
    Another resident's note stays."""
    erased_notes(seeded, deployment, catalogs, how)
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    rows = [list(r) for r in sheet_of(tmp_path / "x.xlsx").iter_rows(values_only=True)]
    cases = {row[0]: dict(zip((*COLUMNS, "note"), row, strict=True)) for row in rows[1:]}
    lit = cases["FLO-0001"]
    assert (lit["description"], lit["place_text"], lit["latitude"], lit["resident"]) == (
        None,
        None,
        None,
        None,
    )
    assert lit["status"] == "åtgärdad"  # the case stays, for the statistics
    assert lit["note"] is None
    assert cases["JKB-0001"]["note"] == REJECTED_NOTE  # resident 2 did not leave
    with sqlite3.connect(seeded.database) as conn:
        notes = {n for (n,) in conn.execute("SELECT note FROM case_events") if n}
    conn.close()
    assert RESOLVED_NOTE not in notes
    assert ASKED_NOTE not in notes
    assert REJECTED_NOTE in notes


def test_an_erasure_that_keeps_the_text_keeps_the_closing_note(
    seeded: Settings, tmp_path: Path, catalogs: Catalogs, deployment: Deployment
) -> None:
    """keep_case_text_on_erase = true (the default): the officers keep the case's text, and
    the note that answers it."""

    async def run() -> None:
        services = await Services.open(seeded, deployment, catalogs)
        try:
            assert await services.erase(1) == 2
        finally:
            await services.close()

    asyncio.run(run())
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    rows = [list(r) for r in sheet_of(tmp_path / "x.xlsx").iter_rows(values_only=True)]
    cases = {row[0]: dict(zip((*COLUMNS, "note"), row, strict=True)) for row in rows[1:]}
    assert cases["FLO-0001"]["description"] == EVIL
    assert cases["FLO-0001"]["resident"] is None
    assert cases["FLO-0001"]["note"] == RESOLVED_NOTE


def test_text_like_an_excel_error_stays_text(seeded: Settings, tmp_path: Path) -> None:
    """A resident who writes '#N/A' or '#REF!' gets a text cell with that text, not an
    error cell (openpyxl types a plain str equal to an error code as an error, t="e")."""
    with sqlite3.connect(seeded.database) as conn:
        conn.execute("UPDATE cases SET description = '#N/A' WHERE reference = 'FLO-0002'")
        conn.execute(
            "UPDATE cases SET description = '#REF!', place_text = '#DIV/0!'"
            " WHERE reference = 'JKB-0002'"
        )
    conn.close()
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    sheet = sheet_of(tmp_path / "x.xlsx")
    description = COLUMNS.index("description")
    place = COLUMNS.index("place_text")
    rows = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    for cell, text in (
        (rows["FLO-0002"][description], "#N/A"),
        (rows["JKB-0002"][description], "#REF!"),
        (rows["JKB-0002"][place], "#DIV/0!"),
    ):
        assert (cell.value, cell.data_type) == (text, "s")
        assert cell.quotePrefix  # and stays text when someone edits the cell
    plain = rows["JKB-0001"][description]
    assert (plain.value, plain.data_type, plain.quotePrefix) == (PLUS, "s", True)
