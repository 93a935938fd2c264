"""An export is all or nothing: stopped (Ctrl-C, SIGTERM) or failed half-way, it leaves no
truncated file and no temporary one, and a file already at its path keeps its bytes. XLSX
refuses an export longer than an Excel sheet."""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import pytest

import bot.services.export.xlsx
from bot.cli import main
from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import Catalogs
from bot.services.export import Exporter, ExportStopped
from storage.export import Filters
from tests.conftest import floda_cases
from tests.people import Person
from tests.test_stats import ADMIN, staff_bot  # noqa: F401 (a fixture)

PREVIOUS = b"the previous export, complete\r\n"


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.005)


def stop_while_writing(export: subprocess.Popen[str], folder: Path, sig: signal.Signals) -> None:
    """Send `sig` while the export is certainly still writing: frozen (SIGSTOP) with its
    partial file there, so that a fast export cannot finish between the look and the signal."""
    for _ in range(10_000):
        export.send_signal(signal.SIGSTOP)
        wait_for(lambda: stopped(export), "the export did not stop")
        if any(folder.glob(".trygg-export-*.partial")):
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
    export = run(big, "--format", fmt, "--out", str(out), "--jobs", jobs, "--force")
    with export:
        try:
            # Stopped while it writes: the temporary file (and a worker's part) exists.
            part = ".part1" if jobs == "2" else ""
            wait_for(
                lambda: any(tmp_path.glob(f".trygg-export-*.partial{part}")), "no partial file"
            )
            stop_while_writing(export, tmp_path, sig)
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
        partials.extend(p.stat().st_size for p in tmp_path.glob(".trygg-export-*.partial"))
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
        assert main(["export", "--format", "xlsx", "--out", str(out), *since, "--force"]) == 2
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


# The target: what it is stays what it is (a FIFO, a symlink, its mode); only its bytes change.


@pytest.fixture
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three cases."""
    return floda_cases(tmp_path_factory.mktemp("small") / "small.sqlite3", 3, "Mörkt.")


def export(
    database: Path, out: str, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    """`trygghetsbot export --out out`, in this process: exit code, stdout, stderr."""
    capsys.readouterr()
    os.environ["TRYGG_DATABASE"] = str(database)
    try:
        code = main(["export", "--out", out, *args])
    finally:
        del os.environ["TRYGG_DATABASE"]
    got = capsys.readouterr()
    return code, got.out, got.err


def test_a_fifo_target_gets_the_export_and_stays_a_fifo(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As `--out /dev/stdout` does: streamed into it, not replaced by a regular file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    read: list[bytes] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_bytes()), daemon=True)
    reader.start()
    code, out, err = export(small, str(fifo), capsys, "--format", "json")
    reader.join(timeout=60)  # a deadline: returns as soon as the export has closed the FIFO
    assert (code, err) == (0, "")
    assert "3 ärenden sparade" in out
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert read, "nothing was written into the FIFO"
    assert len(json.loads(read[0])["rows"]) == 3  # the JSON footer too, in the same open
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]


def test_a_symlinked_target_updates_the_file_it_points_to(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "x.csv"
    real.write_bytes(PREVIOUS)
    link = tmp_path / "x.csv"
    link.symlink_to(real)
    code, _, err = export(small, str(link), capsys, "--force")
    assert (code, err) == (0, "")
    assert link.is_symlink()
    assert link.resolve() == real
    assert real.read_bytes().count(b"FLO-") == 3
    assert [p.name for p in (tmp_path / "real").iterdir()] == ["x.csv"]  # no partial left
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real", "x.csv"]


def test_the_targets_mode_is_kept_and_the_partial_file_is_private(
    small: Path, tmp_path: Path, deployment: Deployment
) -> None:
    """An operator's 0600 export stays 0600; while it is written, only its owner may read it;
    a new file gets the umask's mode."""
    private = tmp_path / "private.csv"
    private.write_bytes(PREVIOUS)
    private.chmod(0o600)
    new = tmp_path / "new.csv"
    seen: list[int] = []

    def progress(rows: int) -> None:
        seen.extend(stat.S_IMODE(p.stat().st_mode) for p in tmp_path.glob(".*"))

    umask = os.umask(0o002)
    try:
        for out in (private, new):
            assert Exporter(deployment).write("csv", small, out, Filters(), progress) == 3
    finally:
        os.umask(umask)
    assert seen
    assert set(seen) == {0o600}
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(new.stat().st_mode) == 0o664
    assert private.read_bytes() == new.read_bytes()


def test_a_target_this_user_may_not_write_is_refused(
    small: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Not replaced (the folder is writable, so a rename could): refused in one line. Run
    with `nobody`'s real ids (in a forked child) when the tests run as root, who may write
    any file."""
    folder = Path(tempfile.mkdtemp())  # in /tmp: `nobody` can reach it
    try:
        folder.chmod(0o777)
        database = folder / "db.sqlite3"
        shutil.copyfile(small, database)
        database.chmod(0o666)
        assert export(database, str(folder / "warm.csv"), capsys)[0] == 0  # all imported
        (folder / "warm.csv").unlink()
        out = folder / "x.csv"
        out.write_bytes(PREVIOUS)
        out.chmod(0o444)
        code, err = as_nobody(lambda: export(database, str(out), capsys, "--force"), folder)
        assert code == 2
        assert err == f"Det gick inte att skriva {out}: Permission denied\n"
        assert out.read_bytes() == PREVIOUS
        assert not [p.name for p in folder.iterdir() if p.name.startswith(".")]  # no partial
    finally:
        shutil.rmtree(folder)


def as_nobody(run: Callable[[], tuple[int, str, str]], cwd: Path) -> tuple[int, str]:
    """`run`'s exit code and stderr, run in `cwd` in a forked child, with user `nobody`'s
    real ids when root."""
    receive, send = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child)
        try:
            os.close(receive)
            os.chdir(cwd)
            if os.geteuid() == 0:
                # Only the real ids become `nobody`'s: os.access (the export's check) asks
                # for them, while the effective ids stay root's so that the child can still
                # read this checkout and its virtual environment wherever they are (a clone
                # under a 0700 folder, say).
                os.setgroups([])
                os.setresgid(65534, 0, 0)
                os.setresuid(65534, 0, 0)
            code, _, err = run()
            os.write(send, json.dumps([code, err]).encode())
        except BaseException:
            os.write(send, json.dumps([None, traceback.format_exc()]).encode())
        finally:
            os._exit(0)
    os.close(send)
    with os.fdopen(receive, "rb") as pipe:
        got = pipe.read()
    os.waitpid(child, 0)
    code, err = json.loads(got)
    return code, err


@pytest.mark.parametrize("target", [".", "", "/"])
def test_a_folder_as_target_says_one_line(
    small: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = export(small, target, capsys)
    assert code == 2
    assert err == f"Det gick inte att skriva {Path(target)}: Is a directory\n"


def test_the_longest_file_name_works(
    small: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / ("x" * 240 + ".csv")  # 244 characters; 255 is the limit
    code, _, err = export(small, str(out), capsys)
    assert (code, err) == (0, "")
    assert out.read_bytes().count(b"FLO-") == 3
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_signal_lost_in_a_finaliser_still_stops_the_export(
    small: Path, tmp_path: Path, deployment: Deployment
) -> None:
    """The handler's ExportStopped, raised inside a __del__, is dropped by Python ("Exception
    ignored in ..."): the export looks at the signal again before the rename."""
    assert threading.current_thread() is threading.main_thread()  # the handler is installed

    class SignalledWhileFinalised:
        def __del__(self) -> None:
            signal.raise_signal(signal.SIGTERM)  # its handler runs before this returns

    def progress(rows: int) -> None:
        SignalledWhileFinalised()

    out = tmp_path / "x.csv"
    with pytest.raises(ExportStopped) as stopped:
        Exporter(deployment).write("csv", small, out, Filters(), progress)
    assert stopped.value.signum == signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_a_signal_after_the_rename_does_not_undo_the_export(
    small: Path, tmp_path: Path, deployment: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Once the file is in place the export is complete: it returns its rows."""
    assert threading.current_thread() is threading.main_thread()  # the handler is installed
    replace = os.replace

    def replace_then_signal(source: Path, target: Path) -> None:
        replace(source, target)
        signal.raise_signal(signal.SIGTERM)  # its handler runs before this returns

    monkeypatch.setattr(os, "replace", replace_then_signal)
    out = tmp_path / "x.csv"
    assert Exporter(deployment).write("csv", small, out, Filters()) == 3
    assert out.read_bytes().count(b"FLO-") == 3
