"""The admin's command line (issue 19 item 12): `--station` by id or name, `export` keeps an
existing file unless `--force`, an unwritable media folder stops `run` in one line (and the
doctor says so), TRYGG_SMTP_FROM must be an e-mail address, and `audit` shows local time
and staff by name. Every command runs through the real entry point, `bot.cli.main`."""

from __future__ import annotations

import asyncio
import csv
import http.server
import io
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from bot.settings import Settings, bundled_deployment_path
from storage import Database
from storage.audit import AuditRepository
from tests.test_export_formats import export, seeded  # noqa: F401 (a fixture)

PREVIOUS = b"an older export, kept\n"


def cases_in(path: Path) -> list[str]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    return sorted(row[0] for row in rows[1:])


def said(capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    got = capsys.readouterr()
    return got.out, got.err


# ---------------------------------------------------------------------- --station
@pytest.mark.parametrize("station", ["jakobsberg", "Jakobsberg", "JAKOBSBERG", "jkb", "Jakan"])
def test_export_station_by_id_or_name(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    station: str,
) -> None:
    out = tmp_path / "x.csv"
    assert export(seeded, out, "--station", station) == 0, capsys.readouterr().err
    assert cases_in(out) == ["JKB-0001"]


def test_stats_and_digest_take_a_name(
    seeded: Settings,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRYGG_DATABASE", str(seeded.database))
    capsys.readouterr()
    assert main(["stats", "--station", "FLODA, Jakobsberg"]) == 0, capsys.readouterr().err
    lines = [line.split()[0] for line in capsys.readouterr().out.splitlines()[1:] if line]
    assert {"Floda", "Jakobsberg"} <= set(lines)
    assert main(["digest", "--station", "Floda", "--month", "2026-10"]) == 0
    out, err = said(capsys)
    assert (err, "Floda" in out) == ("", True)


def test_an_unknown_station_is_one_line_with_a_hint(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.csv"
    capsys.readouterr()
    assert export(seeded, out, "--station", "Jakobsbrg") == 2
    assert said(capsys) == ("", 'Okänd station: "Jakobsbrg". Menade du: jakobsberg (Jakobsberg)?\n')
    assert export(seeded, out, "--station", "Gotham") == 2
    assert said(capsys) == (
        "",
        'Okänd station: "Gotham". Välj bland:'
        " alingsas, floda, herrljunga, jakobsberg, lerum, vargarda\n",
    )
    assert not out.exists()


@pytest.fixture
def two_arlas(seeded: Settings, tmp_path: Path) -> Iterator[Path]:  # noqa: F811
    """The bundled file with two more stations whose names differ by an accent only ('Ärla',
    'Årla'): allowed in the file, the same name when typed without accents."""
    text = bundled_deployment_path().read_text(encoding="utf-8")
    extra = "".join(
        f'[[stations]]\nid = "{id_}"\nname = "{name}"\ncode = "{code}"\nkommun = "Eskilstuna"\n'
        "lat = 59.27\nlon = 16.66\n\n"
        for id_, name, code in (("arla-1", "Ärla", "ARA"), ("arla-2", "Årla", "ARB"))
    )
    path = tmp_path / "two.toml"
    path.write_text(text.replace("[[categories]]", extra + "[[categories]]", 1), encoding="utf-8")
    os.environ["TRYGG_DEPLOYMENT"] = str(path)
    try:
        yield path
    finally:
        del os.environ["TRYGG_DEPLOYMENT"]


def test_an_ambiguous_station_name_is_refused_naming_both(
    seeded: Settings,  # noqa: F811
    two_arlas: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.csv"
    capsys.readouterr()
    assert export(seeded, out, "--station", "arla") == 2
    assert said(capsys) == (
        "",
        'Stationen "arla" kan vara flera: arla-1 (Ärla), arla-2 (Årla). Skriv id:t.\n',
    )
    assert not out.exists()
    assert export(seeded, out, "--station", "arla-2") == 0  # the id is one station
    assert export(seeded, out, "--station", "ÄRLA", "--force") == 0  # so is the exact name
    assert cases_in(out) == []
    os.environ["TRYGG_DATABASE"] = str(seeded.database)
    try:
        capsys.readouterr()
        assert main(["audit", "--limit", "2"]) == 0
    finally:
        del os.environ["TRYGG_DATABASE"]
    newest, older = said(capsys)[0].splitlines()
    assert ('"station": "arla-1"' in newest, '"station": "arla-2"' in older) == (True, True)


# ---------------------------------------------------------------------- export --force
def test_export_keeps_an_existing_file_unless_forced(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.csv"
    out.write_bytes(PREVIOUS)
    capsys.readouterr()
    assert export(seeded, out, "--station", "floda") == 2
    assert said(capsys) == (
        "",
        f"Filen {out} finns redan. Välj ett annat namn, eller skriv --force för att ersätta den.\n",
    )
    assert out.read_bytes() == PREVIOUS
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".csv") == ["x.csv"]
    link = tmp_path / "link.csv"
    link.symlink_to(out)
    assert export(seeded, link) == 2  # a symlink to a file: the file would be replaced
    assert out.read_bytes() == PREVIOUS
    assert export(seeded, out, "--station", "floda", "--force") == 0
    assert cases_in(out) == ["FLO-0001", "FLO-0002"]
    assert said(capsys)[1].count("\n") == 1  # the one refusal of the link


def test_export_into_a_stream_needs_no_force(
    seeded: Settings,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    """/dev/stdout (here the captured output) is written into, as it always was."""
    capsys.readouterr()
    assert export(seeded, Path("/dev/stdout"), "--format", "ndjson") == 0  # a file under pytest
    assert said(capsys)[1] == "3 ärenden sparade i /dev/stdout\n"  # off the data, no error


def test_a_file_that_appears_during_the_export_is_kept(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Another admin's export of the same name finishes while this one is written: without
    --force it stays as it is (one line, exit 2, no hidden file left); with --force, replaced."""
    from bot.services.export import Exporter

    out = tmp_path / "x.csv"
    write = Exporter._write

    def racing(self: Exporter, *args: Any, **kwargs: Any) -> int:
        written = write(self, *args, **kwargs)
        out.write_bytes(PREVIOUS)
        return written

    monkeypatch.setattr(Exporter, "_write", racing)
    capsys.readouterr()
    assert export(seeded, out, "--station", "floda") == 2
    assert said(capsys) == (
        "",
        f"Filen {out} finns redan. Välj ett annat namn, eller skriv --force för att ersätta den.\n",
    )
    assert out.read_bytes() == PREVIOUS
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".trygg-export-")] == []
    assert export(seeded, out, "--station", "floda", "--force") == 0
    assert cases_in(out) == ["FLO-0001", "FLO-0002"]


@pytest.mark.parametrize("where", ["/dev/shm", "/proc/self/cwd"])
def test_a_file_under_dev_or_proc_is_kept_unless_forced(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    where: str,
) -> None:
    """Decided by what the path is, not how it is spelled: a regular file is a file."""
    if where == "/dev/shm":
        if not os.access("/dev/shm", os.W_OK):
            pytest.skip("no writable /dev/shm")
        folder = Path(tempfile.mkdtemp(dir="/dev/shm"))
        real = out = folder / "x.csv"
    else:
        monkeypatch.chdir(tmp_path)
        real, out = tmp_path / "x.csv", Path("/proc/self/cwd/x.csv")
    try:
        real.write_bytes(PREVIOUS)
        capsys.readouterr()
        assert export(seeded, out, "--station", "floda") == 2
        assert said(capsys)[1].startswith(f"Filen {out} finns redan.")
        assert real.read_bytes() == PREVIOUS
        assert export(seeded, out, "--station", "floda", "--force") == 0
        assert cases_in(real) == ["FLO-0001", "FLO-0002"]
    finally:
        if where == "/dev/shm":
            shutil.rmtree(real.parent)


def export_process(settings: Settings, out: str, stdout: Any) -> subprocess.CompletedProcess[bytes]:
    """`trygghetsbot export --format ndjson --out out` in its own process, stdout as given."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "export", "--format", "ndjson", "--out", out],
        env={**os.environ, "TRYGG_DATABASE": str(settings.database)},
        stdout=stdout,
        stderr=subprocess.PIPE,
        check=False,
        timeout=120,
    )


@pytest.mark.parametrize("out", ["/dev/stdout", "-", "/dev/fd/1", "/proc/self/fd/1"])
def test_export_into_a_pipe(seeded: Settings, out: str) -> None:  # noqa: F811
    """`export --out /dev/stdout | cat`: the cases, and only them, come out of the pipe; the
    "saved" line goes to stderr."""
    done = export_process(seeded, out, subprocess.PIPE)
    assert (done.returncode, done.stderr.decode()) == (0, f"3 ärenden sparade i {out}\n")
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert sorted(row["reference"] for row in rows) == ["FLO-0001", "FLO-0002", "JKB-0001"]


def test_export_appended_to_a_file_keeps_its_lines(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
) -> None:
    """`export --out /dev/stdout >> log.ndjson`: written after what the file holds, as the
    shell's >> asks, not renamed over it."""
    log = tmp_path / "log.ndjson"
    log.write_bytes(b'{"earlier": 1}\n')
    with log.open("ab") as appended:
        done = export_process(seeded, "/dev/stdout", appended)
    assert done.returncode == 0, done.stderr
    lines = log.read_bytes().decode().splitlines()
    assert (lines[0], len(lines)) == ('{"earlier": 1}', 4)


# ---------------------------------------------------------------------- an empty --station
@pytest.mark.parametrize(
    ("command", "value"),
    [("export", ""), ("export", " "), ("stats", ","), ("stats", ""), ("stats", " , ")],
)
def test_an_empty_station_is_refused(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    value: str,
) -> None:
    out = tmp_path / "x.csv"
    monkeypatch.setenv("TRYGG_DATABASE", str(seeded.database))
    options = ["--out", str(out)] if command == "export" else []
    capsys.readouterr()
    assert main([command, *options, "--station", value]) == 2
    assert said(capsys) == ("", "Skriv en station efter --station, till exempel --station floda.\n")
    assert not out.exists()


def test_export_takes_one_station(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "x.csv"
    capsys.readouterr()
    assert export(seeded, out, "--station", "floda,lerum") == 2
    assert said(capsys) == (
        "",
        'Exporten tar en station i taget, inte "floda,lerum". Gör en export per station,'
        " eller ingen --station för alla.\n",
    )
    assert export(seeded, out, "--station", "floda,nowhere") == 2  # each one is checked
    assert said(capsys)[1].startswith('Okänd station: "nowhere".')
    assert not out.exists()


# ---------------------------------------------------------------------- the media folder
def unwritable_media(tmp_path: Path, how: str) -> Path:
    if how == "under-a-file":
        (tmp_path / "file.txt").write_text("x", encoding="utf-8")
        return tmp_path / "file.txt" / "media"
    if how == "a-file":
        (tmp_path / "media.txt").write_text("x", encoding="utf-8")
        return tmp_path / "media.txt"
    if os.geteuid() == 0:
        pytest.skip("root writes into a 0500 folder")
    media = tmp_path / "media"
    media.mkdir(mode=0o500)
    return media


class Refusing(http.server.BaseHTTPRequestHandler):
    """A Bot API that refuses every token: a bot that got as far as asking stops at once."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    do_GET = do_POST

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def refusing_api() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/bot"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize("how", ["under-a-file", "a-file", "read-only"])
def test_an_unwritable_media_folder_stops_run_and_the_doctor_says_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    refusing_api: str,
    how: str,
) -> None:
    media = unwritable_media(tmp_path, how)
    monkeypatch.setenv("TRYGG_BOT_TOKEN", "123456:placeholder-secret")
    monkeypatch.setenv("TRYGG_API_BASE_URL", refusing_api)  # not asked: stopped before
    monkeypatch.setenv("TRYGG_DATABASE", str(tmp_path / "bot.sqlite3"))
    monkeypatch.setenv("TRYGG_MEDIA_DIR", str(media))
    capsys.readouterr()
    try:
        assert main(["run"]) == 2
    finally:
        media.parent.chmod(0o700) if how == "read-only" else None
    out, err = said(capsys)
    error = {"under-a-file": "Not a directory", "a-file": "Not a directory"}.get(
        how, "Permission denied"
    )
    assert err == (
        f"Boten kan inte spara foton i {media}: {error}."
        " Ändra TRYGG_MEDIA_DIR eller mappens rättigheter.\n"
    )
    assert out == ""
    assert main(["doctor"]) == 1
    (line,) = [x for x in said(capsys)[0].splitlines() if "mediemapp:" in x]
    assert line.startswith("UNDERKÄND")
    assert str(media) in line


def test_a_writable_media_folder_is_created_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check passes a folder that can be made: `run` goes on (to the database check,
    which here stops it on a folder in the database's place)."""
    monkeypatch.setenv("TRYGG_BOT_TOKEN", "123456:placeholder-secret")
    monkeypatch.setenv("TRYGG_DATABASE", str(tmp_path))
    monkeypatch.setenv("TRYGG_MEDIA_DIR", str(tmp_path / "new" / "media"))
    capsys.readouterr()
    assert main(["run"]) == 2
    assert "it is a directory" in said(capsys)[1]
    assert (tmp_path / "new" / "media").is_dir()
    assert list((tmp_path / "new" / "media").iterdir()) == []  # the probe leaves nothing


# ---------------------------------------------------------------------- TRYGG_SMTP_FROM
@pytest.mark.parametrize("command", [["run"], ["start"], ["check-config"]])
@pytest.mark.parametrize(
    "value", ["not an address", "a@example.org\nBcc: c@example.org", "a@example.org, c@example.org"]
)
def test_smtp_from_must_be_an_email_address(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    refusing_api: str,
    command: list[str],
    value: str,
) -> None:
    monkeypatch.setenv("TRYGG_BOT_TOKEN", "123456:placeholder-secret")
    monkeypatch.setenv("TRYGG_API_BASE_URL", refusing_api)  # not asked: stopped before
    monkeypatch.setenv("TRYGG_SMTP_FROM", value)
    capsys.readouterr()
    assert main(command) == 2
    out, err = said(capsys)
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("Invalid setting TRYGG_SMTP_FROM: ")
    assert "must be an e-mail address" in err


@pytest.mark.parametrize(
    "value", ["trygghetsboten@example.org", "Trygghetsboten <trygghetsboten@example.org>"]
)
def test_an_email_address_is_accepted(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TRYGG_SMTP_FROM", value)
    assert main(["check-config"]) == 0, capsys.readouterr().err


# ---------------------------------------------------------------------- audit
def test_audit_shows_local_time_and_staff_by_name(
    seeded: Settings,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A view by a staff member from the file, 19:15 UTC in October: 21:15 in Stockholm."""
    monkeypatch.setenv("TRYGG_DATABASE", str(seeded.database))
    with sqlite3.connect(seeded.database) as conn:
        staff_id, name, telegram_id = conn.execute(
            "SELECT id, name, telegram_id FROM staff WHERE telegram_id IS NOT NULL LIMIT 1"
        ).fetchone()

    async def log() -> None:
        async with await Database.open(seeded.database) as db:
            await AuditRepository(db).log(f"staff:{staff_id}", "view", {"case": "JKB-0001"})

    asyncio.run(log())
    with sqlite3.connect(seeded.database) as conn:
        conn.execute("UPDATE audit SET created_at = '2026-10-03T19:15:07+00:00'")
    capsys.readouterr()
    assert main(["audit"]) == 0
    out, err = said(capsys)
    assert err == ""
    (line,) = out.splitlines()
    assert line.startswith("3 okt. 2026 21:15 ")
    assert line.split(maxsplit=4)[4].startswith(f"{name} ")
    assert f"staff:{staff_id}" not in line
    assert str(telegram_id) not in line
    assert '{"case": "JKB-0001"}' in line


# ---------------------------------------------------------------------- review of 6ac21b9
def at(local: str, domain: str) -> str:
    """An address put together here, so that the repository's address check (only
    example.org/com) does not read an invented IDN domain in this file as a real one."""
    return f"{local}@{domain}"


IDN = "bücher"  # bücher.example.org, written in punycode as xn--bcher-kva.example.org


@pytest.mark.parametrize(
    "value",
    [
        at("r\u00e5", "example.org"),  # a non-ASCII local part needs SMTPUTF8
        at("a", "example..org"),  # the envelope sender came out empty
        "Trygg <a@example.org",  # unclosed
        "a @example.org",
        at("a", ".example.org."),
        at("a", "-trygg.example.org"),
        at("a", "trygg_.example.org"),
    ],
)
def test_smtp_from_refuses_what_a_mail_server_would(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("TRYGG_SMTP_FROM", value)
    capsys.readouterr()
    assert main(["check-config"]) == 2
    out, err = said(capsys)
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("Invalid setting TRYGG_SMTP_FROM: ")
    assert "must be an e-mail address" in err


@pytest.mark.parametrize(
    ("value", "header"),
    [
        (at("a", IDN + ".example.org"), at("a", "xn--bcher-kva.example.org")),
        (
            f"Trygg <{at('a', IDN + '.example.org')}>",
            f"Trygg <{at('a', 'xn--bcher-kva.example.org')}>",
        ),
        ("Trygghetsbotén <a@example.org>", "Trygghetsbotén <a@example.org>"),
        ('"Trygg, Kalmar" <a@example.org>', '"Trygg, Kalmar" <a@example.org>'),
    ],
)
def test_smtp_from_is_written_in_ascii(value: str, header: str) -> None:
    """An IDN domain becomes punycode: the From header and the envelope sender need no
    SMTPUTF8 (a name in the header may have accents: it is encoded as a header word)."""
    from email.message import EmailMessage
    from email.utils import parseaddr

    sender = Settings(smtp_from=value).smtp_from
    assert sender == header
    message = EmailMessage()
    message["From"] = sender
    assert message.as_bytes().isascii()
    assert parseaddr(str(message["From"]))[1].isascii()


def test_an_empty_media_dir_is_refused(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """TRYGG_MEDIA_DIR="" was the current folder: photos wherever the bot was started."""
    monkeypatch.setenv("TRYGG_MEDIA_DIR", "")
    capsys.readouterr()
    assert main(["check-config"]) == 2
    out, err = said(capsys)
    assert (out, err.count("\n")) == ("", 1)
    assert err.startswith("Invalid setting TRYGG_MEDIA_DIR: ")


def test_audit_tells_the_doubled_hour_and_namesakes_apart(
    seeded: Settings,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """At the end of summer time 00:30Z and 01:30Z are both 02:30 in Stockholm: the zone
    tells them apart. Two staff members of one name (one revoked) are told apart by number
    and mark; a number with no staff row is shown as it is."""
    monkeypatch.setenv("TRYGG_DATABASE", str(seeded.database))
    with sqlite3.connect(seeded.database) as conn:
        staff_id, name = conn.execute(
            "SELECT id, name FROM staff WHERE active = 1 ORDER BY id LIMIT 1"
        ).fetchone()
        other = conn.execute(
            "INSERT INTO staff (key, telegram_id, name, role, actor_id, stations, source,"
            " active, created_at) SELECT 'namesake', NULL, name, role, actor_id, stations,"
            " 'invite', 0, created_at FROM staff WHERE id = ?",
            (staff_id,),
        ).lastrowid

    async def log() -> None:
        async with await Database.open(seeded.database) as db:
            audit = AuditRepository(db)
            await audit.log(f"staff:{staff_id}", "view", {"case": "JKB-0001"})
            await audit.log(f"staff:{other}", "view", {"case": "JKB-0002"})
            await audit.log("staff:99999", "view", {"case": "JKB-0003"})

    asyncio.run(log())
    with sqlite3.connect(seeded.database) as conn:
        conn.execute(
            "UPDATE audit SET created_at = CASE json_extract(details, '$.case')"
            " WHEN 'JKB-0001' THEN '2026-10-25T00:30:00+00:00'"
            " WHEN 'JKB-0002' THEN '2026-10-25T01:30:00+00:00'"
            " ELSE '2026-10-25T02:30:00+00:00' END"
        )
    capsys.readouterr()
    assert main(["audit"]) == 0
    out, err = said(capsys)
    assert err == ""
    lines = {line.rsplit('"', 2)[-2]: line for line in out.splitlines()}
    assert lines["JKB-0001"].startswith(f"25 okt. 2026 02:30 CEST  {name} (nr {staff_id}) ")
    assert lines["JKB-0002"].startswith(f"25 okt. 2026 02:30 CET  {name} (nr {other}, återkallad) ")
    assert lines["JKB-0003"].startswith("25 okt. 2026 03:30  ")  # not doubled: no zone
    assert " staff:99999 " in lines["JKB-0003"]


# ---------------------------------------------------------------------- invite
@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["--stations", " , "],
            "Skriv vilka stationer inbjudan gäller, till exempel --stations jakobsberg,herrljunga."
            " Bara en admin kan bjudas in utan stationer.\n",
        ),
        ([], "Skriv vilka stationer inbjudan gäller"),
        (["--stations", "Gotham"], "Okänd station: "),
        (["--role", "boss", "--stations", "floda"], "Okänd roll: 'boss'. Välj kommunpolis,"),
        (["--actor", "nobody"], "Okänd aktör: 'nobody'. Välj bland: alingsas-kommun, drift,"),
    ],
)
def test_invite_refusals_are_one_swedish_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    line: str,
) -> None:
    monkeypatch.setenv("TRYGG_DATABASE", str(tmp_path / "bot.sqlite3"))
    capsys.readouterr()
    actor = [] if "--actor" in args else ["--actor", "drift"]
    assert main(["invite", *actor, *args]) == 2
    out, err = said(capsys)
    assert (out, err.count("\n")) == ("", 1)
    assert err.startswith(line)


def test_invite_says_what_it_made_in_swedish_and_local_time(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The code's expiry in the deployment's zone (Stockholm), as the bot writes dates."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from bot.i18n import date_time

    database = tmp_path / "bot.sqlite3"
    monkeypatch.setenv("TRYGG_DATABASE", str(database))
    capsys.readouterr()
    assert main(["invite", "--actor", "drift", "--role", "admin"]) == 0
    assert main(["invite", "--actor", "drift", "--stations", "Jakobsberg,floda"]) == 0
    out, err = said(capsys)
    assert err == ""
    with sqlite3.connect(database) as conn:
        invites = conn.execute("SELECT code, expires_at FROM invites ORDER BY rowid").fetchall()
    until = [
        date_time(dt.datetime.fromisoformat(e).astimezone(ZoneInfo("Europe/Stockholm")), "sv")
        for _, e in invites
    ]
    (admin, _), (partner, _) = invites
    admin_until, partner_until = until
    assert out.splitlines() == [
        f"Inbjudningskod {admin} för admin hos drift (alla stationer).",
        f"Koden gäller till {admin_until}. Personen skickar: /start {admin}",
        f"Inbjudningskod {partner} för partner hos drift (jakobsberg, floda).",
        f"Koden gäller till {partner_until}. Personen skickar: /start {partner}",
    ]


@pytest.mark.parametrize("below", [False, True])
def test_a_media_link_to_nothing_is_named_by_run_and_the_doctor(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    refusing_api: str,
    below: bool,
) -> None:
    """TRYGG_MEDIA_DIR (or a folder above it) is a symbolic link to a folder that is not
    there, say a disk not mounted: run stopped with 'File exists' while the doctor passed it
    as a folder to create. Both now name the missing target, and neither creates it."""
    link, target = tmp_path / "media-link", tmp_path / "disk" / "media"
    link.symlink_to(target)
    media = link / "photos" if below else link
    monkeypatch.setenv("TRYGG_BOT_TOKEN", "123456:placeholder-secret")
    monkeypatch.setenv("TRYGG_API_BASE_URL", refusing_api)  # not asked: stopped before
    monkeypatch.setenv("TRYGG_DATABASE", str(tmp_path / "bot.sqlite3"))
    monkeypatch.setenv("TRYGG_MEDIA_DIR", str(media))
    capsys.readouterr()
    assert main(["run"]) == 2
    out, err = said(capsys)
    assert (out, err) == (
        "",
        f"Boten kan inte spara foton i {media}: {link} är en länk till {target}, som inte"
        f" finns. Skapa {target} eller ändra TRYGG_MEDIA_DIR.\n",
    )
    assert main(["doctor"]) == 1
    (line,) = [x for x in said(capsys)[0].splitlines() if "mediemapp:" in x]
    assert line.startswith("UNDERKÄND")
    assert f"{link} är en länk till {target}, som inte finns" in line
    assert not (tmp_path / "disk").exists()
