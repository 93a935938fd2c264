"""Exports: every format parses back to the same rows, pseudonymised, formulas neutralised."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.domain.deployment import Deployment
from bot.domain.intake import Draft
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.export import COLUMNS, Exporter, Labels
from bot.services.export.cells import neutral, neutral_row
from bot.settings import Settings
from storage.export import Filters

EVIL = '=HYPERLINK("http://example.com/x","klicka")'


@pytest.fixture
def seeded(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Settings:
    settings = Settings(database=tmp_path / "export.sqlite3", media_dir=tmp_path / "media")
    asyncio.run(seed(settings, deployment, catalogs))
    return settings


async def seed(settings: Settings, deployment: Deployment, catalogs: Catalogs) -> None:
    services = await Services.open(settings, deployment, catalogs)
    try:
        for chat, station, kind, text in [
            (1, "floda", "report", EVIL),
            (1, "floda", "idea", "Fler bänkar, tack."),
            (2, "jakobsberg", "report", "+46 är inte en formel men börjar med plus"),
        ]:
            draft = Draft(
                kind=kind,
                station=station,
                description=text,
                times=["night"],
                category="belysning" if kind == "report" else None,
                place_text="@perrongen" if kind == "report" else None,
            )
            await services.submit(chat, draft, "sv")
    finally:
        await services.close()


def export(settings: Settings, fmt: str, out: Path, *extra: str) -> int:
    import os

    os.environ["TRYGG_DATABASE"] = str(settings.database)
    try:
        return main(["export", "--format", fmt, "--out", str(out), *extra])
    finally:
        del os.environ["TRYGG_DATABASE"]


def test_every_format_parses_back_with_the_same_rows(
    seeded: Settings, tmp_path: Path, deployment: Deployment
) -> None:
    """The forms for programs (CSV in RFC 4180, NDJSON, JSON) and XLSX hold the same cells;
    the CSV for Swedish Excel: tests/test_export_formats.py."""
    assert export(seeded, "csv", tmp_path / "x.csv", "--dialect", "rfc4180") == 0
    assert export(seeded, "ndjson", tmp_path / "x.ndjson") == 0
    assert export(seeded, "json", tmp_path / "x.json") == 0
    assert export(seeded, "xlsx", tmp_path / "x.xlsx") == 0
    with (tmp_path / "x.csv").open(encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == COLUMNS
        from_csv = list(reader)
    ndjson = (tmp_path / "x.ndjson").read_text().splitlines()
    from_json = [json.loads(line) for line in ndjson]
    with (tmp_path / "x.json").open(encoding="utf-8") as handle:
        document = json.load(handle)
    assert [{**r, "resident": None} for r in document["rows"]] == [
        {**r, "resident": None} for r in from_json
    ]
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "x.xlsx", read_only=True)
    from_xlsx = [list(r) for r in book.active.iter_rows(values_only=True)]
    book.close()
    # The XLSX is for people: Swedish headings, labels, date cells, the officer's closing
    # note last, and the texts as written (a text cell keeps them from running as formulas).
    labels = Labels(deployment)
    assert from_xlsx[0] == [*labels.headings(), "Kommentar vid avslut"]
    assert len(from_csv) == len(from_json) == len(from_xlsx) - 1 == 3
    texts = (COLUMNS.index("place_text"), COLUMNS.index("description"))

    def norm(value: object) -> str:
        return "" if value is None else str(value)

    # The resident pseudonym is keyed per export, so it differs between the three files.
    for i, row in enumerate(from_csv):
        # The CSV neutralises what starts like a formula; JSON has the text as written.
        assert row[:-1] == [norm(neutral(from_json[i][c])) for c in COLUMNS][:-1]
        shown = labels.row([from_json[i][c] for c in COLUMNS], dates=True)
        assert from_xlsx[i + 1][: len(COLUMNS) - 1] == shown[:-1]  # all but the pseudonym
        for n in texts:  # the sheet has the text as written too
            assert from_xlsx[i + 1][n] == from_json[i][COLUMNS[n]]
    by_ref = {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in from_csv}
    first = by_ref["FLO-0001"]
    assert first["description"] == "'" + EVIL  # neutral: a spreadsheet shows it as text
    assert first["place_text"] == "'@perrongen"
    # JSON is for programs: the resident's exact text, no apostrophe.
    assert from_json[0]["description"] == document["rows"][0]["description"] == EVIL
    assert from_json[0]["place_text"] == "@perrongen"
    assert by_ref["JKB-0001"]["description"].startswith("'+46")
    assert first["kommun"] == "Lerum"
    assert first["times_of_day"] == "night"
    assert first["created"].endswith(("+01:00", "+02:00"))  # Europe/Stockholm
    assert first["routed_actors"] == "polisen-alingsas;lerum-kommun"
    # Pseudonymised: one resident's rows share a hash, no chat ids anywhere.
    assert first["resident"] == by_ref["FLO-0002"]["resident"] != by_ref["JKB-0001"]["resident"]
    assert "1" not in {first["resident"]}
    text = (tmp_path / "x.csv").read_text()
    assert "chat_id" not in text


def test_filters_and_the_audit_log(
    seeded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert export(seeded, "csv", tmp_path / "f.csv", "--station", "floda", "--kind", "idea") == 0
    with (tmp_path / "f.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))[1:]
    assert [r[0] for r in rows] == ["FLO-0002"]
    assert export(seeded, "csv", tmp_path / "g.csv", "--since", "2999-01-01") == 0
    with (tmp_path / "g.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert len(list(csv.reader(handle, delimiter=";"))) == 1  # header only
    assert export(seeded, "csv", tmp_path / "h.csv", "--since", "yesterday") == 2
    import os

    os.environ["TRYGG_DATABASE"] = str(seeded.database)
    try:
        capsys.readouterr()
        assert main(["audit"]) == 0
    finally:
        del os.environ["TRYGG_DATABASE"]
    log = capsys.readouterr().out
    assert log.count(" export ") == 2
    assert '"kind": "idea"' in log
    assert '"station": "floda"' in log


def test_a_two_process_export_stays_under_the_memory_bound(many: Path, tmp_path: Path) -> None:
    """`trygghetsbot export --jobs 2` in a process of its own: every row, two processes, under
    150 MB. At 100,000 and a million rows, the size where it counts: bench/export.py's
    correctness figures (`python -m bench --quick` runs 100,000). Here on 5,000 rows, with
    PARALLEL_MIN_ROWS lowered in the child so that it still forks."""
    database = many
    out = tmp_path / "many.csv"
    # VmHWM, the export's own peak: ru_maxrss would include pytest's, carried through exec;
    # plus its forked worker's (two processes, the default on two cores), whose peak counts the
    # pages it shares with the parent again.
    code = (
        "import resource, sys\n"
        "import bot.services.export.files\n"
        "from bot.cli import main\n"
        "bot.services.export.files.PARALLEL_MIN_ROWS = 0\n"
        f"code = main(['export', '--format', 'csv', '--out', {str(out)!r}, '--jobs', '2'])\n"
        "status = open('/proc/self/status').read().splitlines()\n"
        "own = next(int(line.split()[1]) for line in status if line.startswith('VmHWM:'))\n"
        "worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(own, worker)\n"
        "sys.exit(code)\n"
    )
    import os

    env = {**os.environ, "TRYGG_DATABASE": str(database)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert result.returncode == 0, result.stderr
    own, worker = map(int, result.stdout.strip().splitlines()[-1].split())
    assert worker > 0  # it did run in two processes
    peak_mb = (own + worker) / 1024
    assert peak_mb < 150, f"peak {peak_mb:.0f} MB"
    with out.open(encoding="utf-8") as handle:
        assert sum(1 for _ in handle) == 5_001


def test_csv_records_are_what_the_csv_module_writes() -> None:
    """The export's own CSV encoder (faster for big exports) writes the same bytes."""
    import io
    import itertools

    from bot.services.export import csv_record

    cells = ["", "plain", "a,b", 'say "hi"', "two\nlines", "cr\r", "=1+2", "'x", "å ä ö", " "]
    values = [*cells, None, 0, 42, -1.5, 59.420374956584425, True]
    rows = [list(pair) for pair in itertools.product(values, repeat=2)]
    rows += [[v] for v in values] + [list(COLUMNS), [None] * 20]
    for row in rows:
        expected = io.StringIO()
        csv.writer(expected).writerow(row)
        assert csv_record(row) == expected.getvalue(), row


def test_local_times_across_daylight_saving_changes(deployment: Deployment) -> None:
    """The per-hour cache gives what a full time-zone conversion gives, DST changes included."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from bot.services.export import Exporter

    exporter = Exporter(deployment)
    zone = ZoneInfo(deployment.deployment.timezone)
    start = dt.datetime(2026, 3, 28, tzinfo=dt.UTC)
    stored = [
        (start + dt.timedelta(minutes=37 * n, seconds=n % 60)).isoformat(timespec="seconds")
        for n in range(400)
    ]
    stored += ["2026-10-25T00:59:59+00:00", "2026-10-25T01:00:00+00:00"]
    stored += ["2026-10-25T01:30:00.250000+00:00", "2026-10-25T03:30:00+02:00", "2026-10-25"]
    for iso in stored:
        expected = dt.datetime.fromisoformat(iso).astimezone(zone).isoformat(timespec="seconds")
        assert exporter.local(iso) == exporter.local(iso) == expected, iso
    assert exporter.local("2026-10-25T00:59:59+00:00") == "2026-10-25T02:59:59+02:00"
    assert exporter.local("2026-10-25T01:00:00+00:00") == "2026-10-25T02:00:00+01:00"


def test_the_fast_csv_path_writes_what_the_csv_module_would(
    seeded: Settings, deployment: Deployment, tmp_path: Path
) -> None:
    """csv_chunks (the path big exports take) against csv.writer over the same rows."""
    import io

    with sqlite3.connect(seeded.database) as conn:  # quotes, a line break, commas, a pin
        conn.execute(
            "UPDATE cases SET description = 'Hon sa \"mörkt\",\nsen gick hon', lat = 57.8097,"
            " lon = 12.3614 WHERE reference = 'FLO-0002'"
        )
    exporter = Exporter(deployment)  # one exporter: the same pseudonym key for both paths
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(map(neutral_row, exporter.rows(seeded.database, Filters())))
    fast = "".join(text for text, _ in exporter.csv_chunks(seeded.database, Filters()))
    assert fast == expected.getvalue()
    assert '"Hon sa ""mörkt"",\nsen gick hon"' in fast
    assert sum(n for _, n in exporter.csv_chunks(seeded.database, Filters())) == 3


_real_frame = Exporter._frame


def _fixed_frame(self: Exporter, form: str, filters: Filters) -> tuple[str, str]:
    """The export's frame with JSON's time of export fixed, so that two files can match."""
    import re

    header, footer = _real_frame(self, form, filters)
    return re.sub(r'"exported": "[^"]*"', '"exported": "-"', header), footer


#: The export's columns for photos, supporters and actors as one query per case would read
#: them: the oracle for the batched reads in storage/export.py.
PER_CASE_SQL = """
SELECT c.reference,
       (SELECT COUNT(*) FROM case_photos p WHERE p.case_id = c.id),
       (SELECT COUNT(*) FROM case_supporters s WHERE s.case_id = c.id),
       (SELECT group_concat(actor_id, ';') FROM
            (SELECT actor_id FROM case_actors a WHERE a.case_id = c.id ORDER BY a.rowid))
FROM cases c
"""


@pytest.fixture(scope="module")
def many(tmp_path_factory: pytest.TempPathFactory, deployment: Deployment) -> Path:
    """5,000 cases over six stations, with photos, supporters and one to three actors each."""
    from bench.export import seed

    database = tmp_path_factory.mktemp("many") / "many.sqlite3"
    seed(database, 5000, deployment)
    with sqlite3.connect(database) as conn:  # routed out of order: the routing order counts
        conn.execute("DELETE FROM case_actors WHERE case_id = 7")
        conn.executemany(
            "INSERT INTO case_actors (case_id, actor_id) VALUES (7, ?)",
            [("trafikverket",), ("polisen",), ("jarfalla-kommun",)],
        )
    return database


@pytest.mark.parametrize("station", [None, "jakobsberg"])
def test_counts_and_actors_are_what_a_query_per_case_reads(
    many: Path, deployment: Deployment, station: str | None
) -> None:
    """All cases (ids in one range per batch) and one station's (ids listed per batch)."""
    filters = Filters(station=station)
    clause, params = filters.where()
    with sqlite3.connect(many) as conn:
        expected = {
            ref: [photos, supporters, actors]
            for ref, photos, supporters, actors in conn.execute(
                f"{PER_CASE_SQL}{clause} ORDER BY c.id", params
            )
        }
    rows = list(Exporter(deployment).rows(many, filters))
    got = {row[0]: [row[14], row[15], row[17]] for row in rows}
    assert list(got) == list(expected)  # the same cases, oldest first
    assert got == expected
    assert len(rows) == (5000 if station is None else 834)  # every sixth case
    assert any(p for p, _, _ in got.values())
    assert any(s for _, s, _ in got.values())
    assert got["JKB-0002"][2] == "trafikverket;polisen;jarfalla-kommun"


@pytest.mark.parametrize(
    ("fmt", "dialect"),
    [("csv", "excel-sv"), ("csv", "rfc4180"), ("json", "excel-sv"), ("ndjson", "excel-sv")],
)
def test_two_processes_write_what_one_process_writes(
    many: Path,
    deployment: Deployment,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fmt: str,
    dialect: str,
) -> None:
    import bot.services.export.files

    monkeypatch.setattr(bot.services.export.files, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(bot.services.export.files.Exporter, "_frame", _fixed_frame)
    exporter = Exporter(deployment)  # one key: the same pseudonyms in both files
    seen: list[int] = []
    filters = Filters(kind="report")
    one = exporter.write(fmt, many, tmp_path / "one", filters, dialect=dialect)
    three = exporter.write(
        fmt, many, tmp_path / "three", filters, seen.append, jobs=3, dialect=dialect
    )
    assert exporter.processes == 3
    assert one == three == seen[-1] > 3000
    assert seen == sorted(seen)
    assert (tmp_path / "one").read_bytes() == (tmp_path / "three").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "three"]  # parts removed


def test_a_failing_worker_fails_the_export_in_one_line(
    many: Path, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.services.export.files

    original = Exporter._write_run

    def fail_in_worker(self: Exporter, fmt: str, database: Path, out: Path, *rest: Any) -> int:
        if out.name.endswith(".part1"):  # a worker's part (the fork inherits this patch)
            raise OSError(28, "No space left on device")
        return original(self, fmt, database, out, *rest)

    monkeypatch.setattr(bot.services.export.files, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(Exporter, "_write_run", fail_in_worker)
    with pytest.raises(RuntimeError, match=r"^OSError: \[Errno 28\] No space left on device$"):
        Exporter(deployment).write("csv", many, tmp_path / "x.csv", Filters(), jobs=2)
    assert [p.name for p in tmp_path.iterdir()] == []  # no part, no partial file left behind


def test_a_batch_with_odd_codes_takes_the_generic_path(
    seeded: Settings, deployment: Deployment
) -> None:
    """A comma or quote in a code (not something the intake writes) is still quoted right."""
    import io

    with sqlite3.connect(seeded.database) as conn:
        conn.execute("UPDATE cases SET category = 'a,\"b\"' WHERE reference = 'FLO-0001'")
        conn.execute("INSERT INTO case_actors (case_id, actor_id) VALUES (3, 'x,y')")
    exporter = Exporter(deployment)
    expected = io.StringIO(newline="")
    csv.writer(expected).writerows(map(neutral_row, exporter.rows(seeded.database, Filters())))
    fast = "".join(text for text, _ in exporter.csv_chunks(seeded.database, Filters()))
    assert fast == expected.getvalue()
    assert '"a,""b"""' in fast
    assert ';x,y",sv,' in fast


@contextlib.contextmanager
def running_export(database: Path, out: Path) -> Iterator[subprocess.Popen[str]]:
    """`trygghetsbot export` with two processes, stopped and reaped whatever the test does."""
    import os

    env = {**os.environ, "TRYGG_DATABASE": str(database)}
    export = subprocess.Popen(
        [sys.executable, "-m", "bot", "export", "--out", str(out), "--jobs", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal's foreground job
    )
    with export:
        try:
            yield export
        finally:
            if export.poll() is None:
                export.kill()
                export.communicate()


def wait_for_part(out: Path) -> Path:
    """The worker's part, once both it and the parent's file (the hidden partial file that
    becomes `out` when complete) are being written."""
    import time

    deadline = time.monotonic() + 30
    while not (parts := list(out.parent.glob(".trygg-export-*.partial.part1"))):
        assert time.monotonic() < deadline, "no worker started"
        time.sleep(0.01)
    part = parts[0]
    assert part.with_suffix("").exists()  # the parent's
    return part


def test_ctrl_c_stops_a_two_process_export_quietly(big: Path, tmp_path: Path) -> None:
    import os
    import signal

    out = tmp_path / "x.csv"
    with running_export(big, out) as export:
        wait_for_part(out)
        os.killpg(export.pid, signal.SIGINT)  # Ctrl-C reaches the whole group, workers too
        _, stderr = export.communicate(timeout=30)
    assert export.returncode == 130
    # One line, no traceback, from the parent or the worker.
    assert stderr == f"Exporten avbröts. Inget skrevs till {out}.\n"
    assert [p.name for p in tmp_path.iterdir()] == []  # the partial file and worker's part removed


def test_a_worker_stops_when_its_export_is_killed(big: Path, tmp_path: Path) -> None:
    import signal
    import time

    out = tmp_path / "x.csv"
    with running_export(big, out) as export:
        part = wait_for_part(out)
        export.send_signal(signal.SIGKILL)
        export.communicate(timeout=30)
    deadline = time.monotonic() + 30
    while part.exists():  # the orphaned worker notices at its next batch and cleans up
        assert time.monotonic() < deadline, "the worker wrote on after its parent was killed"
        time.sleep(0.05)


def test_outside_the_main_thread_the_export_stays_in_one_process(
    many: Path, deployment: Deployment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As in the bot, where `/export` runs in a worker thread: forking there is not safe."""
    import threading

    import bot.services.export.files

    monkeypatch.setattr(bot.services.export.files, "PARALLEL_MIN_ROWS", 0)
    exporter = Exporter(deployment)
    result: list[int] = []
    thread = threading.Thread(
        target=lambda: result.append(
            exporter.write("csv", many, tmp_path / "x.csv", Filters(), jobs=2)
        )
    )
    thread.start()
    thread.join()
    assert result == [5000]
    assert exporter.processes == 1


#: Every character XML 1.0 forbids, line breaks of every kind, and the vertical tab of the
#: issue (one of it broke every XLSX export).
NASTY = "A\x0bB " + "".join(map(chr, range(32))) + " \x7f\x85\u2028\u2029\ufffe\uffff C"


def test_no_resident_text_breaks_an_export(
    tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    """Every format is written and reads back: CSV and JSON keep the text exactly; XLSX
    leaves out only what XML cannot hold."""
    settings = Settings(database=tmp_path / "export.sqlite3", media_dir=tmp_path / "media")

    async def one_case() -> None:
        services = await Services.open(settings, deployment, catalogs)
        try:
            draft = Draft(kind="idea", station="floda", description=NASTY, place_text=NASTY)
            await services.submit(1, draft, "sv")
        finally:
            await services.close()

    asyncio.run(one_case())
    for fmt in ("csv", "json", "ndjson", "xlsx"):
        assert export(settings, fmt, tmp_path / f"x.{fmt}") == 0, fmt
    assert export(settings, "csv", tmp_path / "x.rfc4180", "--dialect", "rfc4180") == 0
    with (tmp_path / "x.rfc4180").open(encoding="utf-8", newline="") as handle:
        from_csv = dict(zip(COLUMNS, list(csv.reader(handle))[1], strict=True))
    assert from_csv["description"] == NASTY
    with (tmp_path / "x.csv").open(encoding="utf-8-sig", newline="") as handle:
        swedish = list(csv.reader(handle, delimiter=";"))[1]
    assert swedish[COLUMNS.index("description")] == NASTY
    lines = (tmp_path / "x.ndjson").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1  # one case, one line, whatever splits lines
    assert json.loads(lines[0])["description"] == NASTY
    with (tmp_path / "x.json").open(encoding="utf-8") as handle:
        assert json.load(handle)["rows"][0]["description"] == NASTY
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "x.xlsx", read_only=True)
    _header, row = [list(r) for r in book.active.iter_rows(values_only=True)]
    book.close()
    from_xlsx = dict(zip(COLUMNS, row[: len(COLUMNS)], strict=True))  # the note may follow
    # XML 1.0 allows tab, line feed and return (read back as a line feed, as XML does);
    # vertical tab and form feed become line feeds.
    kept = "A\nB \t\n\n\n\n \x7f\x85\u2028\u2029 C"
    assert from_xlsx["description"] == from_xlsx["place_text"] == kept
