"""An export is all or nothing: stopped (Ctrl-C, SIGTERM) or failed half-way, it leaves no
truncated file and no temporary one, and a file already at its path keeps its bytes. XLSX
refuses an export longer than an Excel sheet."""

from __future__ import annotations

import errno
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import bot.services.export.xlsx
from bot.cli import main
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services.export import Exporter
from storage.export import Filters
from tests.people import Person
from tests.test_stats import ADMIN, staff_bot  # noqa: F401 (a fixture)

PREVIOUS = b"the previous export, complete\r\n"


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def stop_while_writing(
    export: subprocess.Popen[str], folder: Path, fmt: str, sig: signal.Signals
) -> None:
    """Send `sig` while the export is certainly still writing: frozen (SIGSTOP) with its
    partial file there, so that a fast export cannot finish between the look and the signal."""
    for _ in range(10_000):
        export.send_signal(signal.SIGSTOP)
        wait_for(lambda: stopped(export), "the export did not stop")
        if any(folder.glob(f".x.{fmt}.partial-*")):
            export.send_signal(sig)  # delivered when it runs again, where it was
            export.send_signal(signal.SIGCONT)
            return
        export.send_signal(signal.SIGCONT)
        assert export.poll() is None, "the export finished before it could be stopped"
    raise AssertionError("never caught the export writing")


def stopped(process: subprocess.Popen[str]) -> bool:
    """The process is stopped (state T in /proc), or already gone."""
    try:
        stat = Path(f"/proc/{process.pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t", "Z")


def run(database: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "export", *args],
        env={**os.environ, "TRYGG_DATABASE": str(database)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize(
    ("fmt", "jobs", "sig", "previous"),
    [
        ("csv", "2", signal.SIGINT, False),  # the forked parts too
        ("csv", "2", signal.SIGTERM, True),
        ("json", "1", signal.SIGINT, True),
        ("xlsx", "1", signal.SIGINT, False),
        ("geojson", "1", signal.SIGTERM, False),
    ],
)
def test_a_stopped_export_leaves_nothing_behind(
    big: Path, tmp_path: Path, fmt: str, jobs: str, sig: signal.Signals, previous: bool
) -> None:
    out = tmp_path / f"x.{fmt}"
    if previous:
        out.write_bytes(PREVIOUS)
    export = run(big, "--format", fmt, "--out", str(out), "--jobs", jobs)
    with export:
        try:
            # Stopped while it writes: the temporary file (and a worker's part) exists.
            part = ".part1" if jobs == "2" else ""
            wait_for(lambda: any(tmp_path.glob(f".x.{fmt}.partial-*{part}")), "no partial file")
            stop_while_writing(export, tmp_path, fmt, sig)
            _, stderr = export.communicate(timeout=60)
        finally:
            if export.poll() is None:
                export.kill()
    assert export.returncode == 128 + sig
    assert stderr == f"Exporten avbröts. Inget skrevs till {out}.\n"
    assert [p.name for p in tmp_path.iterdir()] == ([out.name] if previous else [])
    if previous:
        assert out.read_bytes() == PREVIOUS


@pytest.mark.parametrize("fmt", ["csv", "json", "ndjson", "xlsx", "geojson"])
@pytest.mark.parametrize("previous", [False, True])
def test_a_failed_write_leaves_nothing_behind(
    big: Path, tmp_path: Path, deployment: Deployment, fmt: str, previous: bool
) -> None:
    """The disk fills up after the first rows (or, for XLSX, once the sheet is saved)."""
    out = tmp_path / f"x.{fmt}"
    if previous:
        out.write_bytes(PREVIOUS)
    partials: list[int] = []

    def disk_full(rows: int) -> None:
        partials.extend(p.stat().st_size for p in tmp_path.glob(".*partial-*"))
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(OSError, match="No space left"):
        Exporter(deployment).write(fmt, big, out, Filters(), disk_full)
    assert partials  # stopped while writing
    if fmt != "xlsx":  # openpyxl writes the file when the sheet is saved
        assert partials[0] > 0
    assert [p.name for p in tmp_path.iterdir()] == ([out.name] if previous else [])
    if previous:
        assert out.read_bytes() == PREVIOUS


def test_an_unwritable_target_leaves_nothing_behind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The rename into place fails (a folder has the file's name): one line, no leftovers."""
    database = tmp_path / "db.sqlite3"
    assert main(["migrate", "--database", str(database)]) == 0
    target = tmp_path / "out"
    (target / "x.csv").mkdir(parents=True)
    (target / "x.csv" / "keep").write_bytes(PREVIOUS)
    capsys.readouterr()
    os.environ["TRYGG_DATABASE"] = str(database)
    try:
        assert main(["export", "--out", str(target / "x.csv")]) == 2
    finally:
        del os.environ["TRYGG_DATABASE"]
    err = capsys.readouterr().err
    assert err.startswith(f"Det gick inte att skriva {target / 'x.csv'}: ")
    assert err.count("\n") == 1
    assert "partial" not in err
    assert [p.name for p in target.iterdir()] == ["x.csv"]
    assert (target / "x.csv" / "keep").read_bytes() == PREVIOUS


def test_an_xlsx_into_a_missing_folder_says_one_line(big: Path) -> None:
    export = run(big, "--format", "xlsx", "--out", "/nonexistent/x.xlsx", "--station", "floda")
    with export:
        _, stderr = export.communicate(timeout=120)
    assert export.returncode == 2
    # Not "Exception ignored in: <generator object WriteOnlyWorksheet._write_rows ...>".
    assert stderr == "Det gick inte att skriva /nonexistent/x.xlsx: No such file or directory\n"


def test_an_xlsx_longer_than_a_sheet_is_refused(
    big: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sheet of MAX_ROWS rows holds the headings and MAX_ROWS - 1 cases (Excel's limit is
    1,048,576; patched here to the size of a small export)."""
    since = ["--since", "2026-10-02"]
    monkeypatch.setenv("TRYGG_DATABASE", str(big))
    monkeypatch.setattr(bot.services.export.xlsx, "MAX_ROWS", 1000)
    with sqlite3.connect(big) as conn:  # 999 cases from 2 Oct, the rest on 1 Oct
        conn.execute("UPDATE cases SET created_at = '2026-10-02T10:00:00+00:00' WHERE id < 1000")
    try:
        out = tmp_path / "x.xlsx"
        capsys.readouterr()
        assert main(["export", "--format", "xlsx", "--out", str(out), *since]) == 0
        assert "999 ärenden sparade" in capsys.readouterr().out
        with sqlite3.connect(big) as conn:
            moved = "UPDATE cases SET created_at = '2026-10-02T10:00:00+00:00' WHERE id = 1000"
            conn.execute(moved)
        assert main(["export", "--format", "xlsx", "--out", str(out), *since]) == 2
        assert capsys.readouterr().err == (
            "1 000 ärenden ryms inte i ett Excel-blad. "
            "Välj CSV (--format csv) eller en kortare period (--since, --until).\n"
        ).replace(" 000", "\xa0000")
        assert [p.name for p in tmp_path.iterdir()] == ["x.xlsx"]  # the earlier one, kept
        assert main(["export", "--format", "csv", "--out", str(tmp_path / "x.csv"), *since]) == 0
    finally:
        with sqlite3.connect(big) as conn:
            conn.execute("UPDATE cases SET created_at = '2026-10-01T10:00:00+00:00'")


async def test_the_bots_export_refuses_an_xlsx_longer_than_a_sheet(
    staff_bot: Emulator,  # noqa: F811 (the fixture)
    catalogs: Catalogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(bot.services.export.xlsx, "MAX_ROWS", 3)  # Jakobsberg has 3 reports
    world = staff_bot.world
    admin = Person(world, ADMIN, catalogs)
    await admin.say("/export")
    await admin.tap("Jakobsberg")
    await admin.tap(admin.t("export.kind_report"))
    await admin.tap(admin.t("stats.period_all"))
    got = await admin.tap(admin.t("export.format_xlsx"))
    assert admin.t("export.xlsx_too_many", rows=3) in [m.text for m in got]
    assert not any("document" in m.data for m in got)
