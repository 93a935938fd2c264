"""The deployment file: the bundled one is complete, and every kind of mistake is reported."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import DeploymentError, load_deployment, parse_deployment
from bot.domain.deployment import Deployment, Role
from tests.conftest import REPO

SEED_STATIONS = {"Jakobsberg", "Herrljunga", "Vårgårda", "Alingsås", "Floda", "Lerum"}

MINIMAL = """
[deployment]
name = "Test"

[privacy]
controller = "Kommunen"
contact = "dataskydd@example.org"
notice_version = "1"

[[actors]]
id = "polisen"
name = "Polisen"
kind = "polisen"

[[actors]]
id = "kommunen"
name = "Kommunen"
kind = "kommun"

[[stations]]
id = "jakobsberg"
name = "Jakobsberg"
code = "JKB"
kommun = "Järfälla"
lat = 59.4239
lon = 17.8328
aliases = ["Jakan"]

[[stations]]
id = "floda"
name = "Floda"
code = "FLO"
kommun = "Lerum"
lat = 57.8097
lon = 12.3614

[[categories]]
id = "belysning"
name = { sv = "Belysning", en = "Lighting" }

[[promises]]
id = "p1"
title = "Löftet"
start = 2021-01-01
end = 2022-12-31
parties = ["polisen", "kommunen"]
stations = ["jakobsberg"]

[[promises.commitments]]
id = "c1"
text = "Mer närvaro"
owners = ["polisen"]

[[staff]]
telegram_id = 111111111
name = "Kommunpolis Test"
role = "kommunpolis"
actor = "polisen"
stations = ["jakobsberg"]
email = "optional@example.org"
"""


def errors_for(text: str) -> list[str]:
    with pytest.raises(DeploymentError) as info:
        parse_deployment(text, "test.toml")
    return info.value.lines


def test_minimal_file_is_valid() -> None:
    dep = parse_deployment(MINIMAL, "test.toml")
    assert [s.code for s in dep.stations] == ["JKB", "FLO"]
    assert dep.staff[0].role is Role.KOMMUNPOLIS


def test_bundled_deployment_holds_both_seed_deployments(deployment: Deployment) -> None:
    assert {s.name for s in deployment.stations} == SEED_STATIONS
    promises = {p.id: p for p in deployment.promises}
    jarfalla, stk = promises["jarfalla-2019-2020"], promises["stk-2021-2022"]
    assert jarfalla.stations == ["jakobsberg"]
    assert (str(jarfalla.start), str(jarfalla.end)) == ("2019-01-01", "2020-12-31")
    assert len(jarfalla.commitments) == 9  # the nine bullets of the Järfälla page
    assert len(stk.commitments) == 13  # Polisen 4, kommunerna 4, Västtrafik 2, Trafikverket 3
    assert set(stk.stations) == {"herrljunga", "vargarda", "alingsas", "floda", "lerum"}
    assert len(stk.parties) == 7
    drugs = next(c for c in jarfalla.commitments if "drogscen" in c.text)
    assert str(drugs.due) == "2020-12-31"
    guards = next(c for c in stk.commitments if c.text.startswith("Väktare"))
    assert set(guards.stations) == {"lerum", "herrljunga"}
    for station in deployment.stations:  # every station has a kommunpolis to route to
        assert any(s.role is Role.KOMMUNPOLIS for s in deployment.staff_at(station.id))


def test_bundled_staff_are_placeholders(deployment: Deployment) -> None:
    for member in deployment.staff:
        assert "platshållare" in member.name
        assert member.telegram_id is None or 100000000 <= member.telegram_id < 100000100
        assert member.email is None or member.email.endswith("@example.org")


def test_no_real_contact_data_in_the_repository() -> None:
    """Only example.org/example.com addresses may appear in shipped files."""
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.split()
    files = [REPO / f for f in tracked] or list((REPO / "deploy").glob("*")) + list(
        (REPO / "bot").rglob("*.py")
    )
    address = re.compile(r"[\w.+-]+@([\w-]+\.)+[a-z]{2,}", re.IGNORECASE)
    for path in files:
        if not path.is_file() or path.suffix in {".png", ".jpg"}:
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # a binary file (a vendored font): its bytes are no text
            continue
        for match in address.finditer(data.decode("utf-8", errors="ignore")):
            domain = match.group(0).rsplit("@", 1)[1].lower()
            assert domain in {"example.org", "example.com"}, f"{path}: {match.group(0)}"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # unknown station in a staff entry
        (
            ('stations = ["jakobsberg"]\nemail', 'stations = ["nowhere"]\nemail'),
            "test.toml: staff[0] (Kommunpolis Test).stations: unknown station 'nowhere'",
        ),
        # duplicate station id
        (
            ('id = "floda"', 'id = "jakobsberg"'),
            "test.toml: stations[1] (jakobsberg).id: duplicate id 'jakobsberg'",
        ),
        # duplicate code
        (
            ('code = "FLO"', 'code = "JKB"'),
            "test.toml: stations[1] (floda).code: duplicate code 'JKB'",
        ),
        # missing field
        (
            ('kommun = "Lerum"\n', ""),
            "test.toml: stations[1] (floda).kommun: missing required field",
        ),
        # bad coordinates
        (
            ("lat = 57.8097", "lat = 157.8097"),
            "test.toml: stations[1] (floda).lat: Input should be less than or equal to 90",
        ),
        # bad code format
        (
            ('code = "FLO"', 'code = "flo1"'),
            "test.toml: stations[1] (floda).code: String should match pattern",
        ),
        # unknown actor in a commitment
        (
            ('owners = ["polisen"]', 'owners = ["sl"]'),
            "test.toml: promises[0] (p1).commitments[0] (c1).owners: unknown actor 'sl'",
        ),
        # a commitment at a station that exists but is not the promise's
        (
            ('owners = ["polisen"]', 'owners = ["polisen"]\nstations = ["floda"]'),
            "test.toml: promises[0] (p1).commitments[0] (c1).stations: station 'floda' is not"
            " one of the promise's stations ('jakobsberg')",
        ),
        # a commitment at a station that does not exist at all
        (
            ('owners = ["polisen"]', 'owners = ["polisen"]\nstations = ["gotham"]'),
            "test.toml: promises[0] (p1).commitments[0] (c1).stations: unknown station 'gotham'",
        ),
        # unknown key (a typo)
        (
            ('kommun = "Lerum"', 'kommun = "Lerum"\nlatitude = 1'),
            "test.toml: stations[1] (floda).latitude: unknown field",
        ),
        # staff that cannot be reached
        (("telegram_id = 111111111\n", ""), None),
        # bad TOML
        (('name = "Test"', 'name = "Test'), "test.toml: not valid TOML:"),
    ],
)
def test_each_error_kind_names_file_entry_and_field(
    change: tuple[str, str], expected: str | None
) -> None:
    old, new = change
    assert old in MINIMAL
    text = MINIMAL.replace(old, new, 1)
    if expected is None:  # still valid: email alone is enough
        parse_deployment(text, "test.toml")
        return
    lines = errors_for(text)
    assert any(line.startswith(expected) for line in lines), lines
    assert all(line.startswith("test.toml") for line in lines)


def test_all_problems_reported_at_once() -> None:
    text = MINIMAL.replace('code = "FLO"', 'code = "JKB"').replace(
        'stations = ["jakobsberg"]\nemail', 'stations = ["nowhere"]\nemail'
    )
    assert len(errors_for(text)) == 2


def test_unreachable_staff_is_an_error() -> None:
    text = MINIMAL.replace("telegram_id = 111111111\n", "").replace(
        'email = "optional@example.org"\n', ""
    )
    assert any("needs telegram_id or email" in line for line in errors_for(text))


def test_alias_used_by_two_stations_is_an_error() -> None:
    text = MINIMAL.replace('id = "floda"', 'id = "floda"\naliases = ["jakan"]')
    assert any("already used by station 'jakobsberg'" in line for line in errors_for(text))


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="not found"):
        load_deployment(tmp_path / "nope.toml")
    with pytest.raises(DeploymentError, match="is a directory"):
        load_deployment(tmp_path)


def test_check_config_lists_all_six_stations(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check-config", str(REPO / "deploy" / "deployment.toml")]) == 0
    out = capsys.readouterr().out
    for name in SEED_STATIONS:
        assert name in out
    for code in ("JKB", "HRL", "VGD", "ALS", "FLO", "LRM"):
        assert code in out
    assert "Stationer: 6, löften: 2, åtaganden: 22" in out


def test_check_config_bad_file_exits_2_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real command once (a process, as an operator runs it), then in this process."""
    bad = tmp_path / "bad.toml"
    bad.write_text(
        MINIMAL.replace('code = "FLO"', 'code = "JKB"').replace("lat = 57.8097", "lat = 99")
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", str(bad)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1  # structural errors stop before cross-reference checks
    assert lines[0].startswith(f"{bad}: stations[1] (floda).lat:")
    bad.write_text(MINIMAL.replace('code = "FLO"', 'code = "JKB"'))
    capsys.readouterr()
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "duplicate code 'JKB'" in err
    assert "Traceback" not in err


def test_privacy_notices_are_valid_telegram_html(deployment: Deployment) -> None:
    from bot.emulator.markup import parse_html, utf16_len

    assert "sv" in deployment.privacy.notice
    for lang, notice in deployment.privacy.notice.items():
        text, _ = parse_html(notice)
        assert utf16_len(text) < 3900, f"{lang} notice too long for one message"
        for must in ("IMY", "112"):
            assert must in text, f"{lang} notice lacks {must}"
