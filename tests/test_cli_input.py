"""`trygghetsbot export` and `stats` refuse what they cannot mean (issue 18 review): an
unknown status or a period that ends before it starts is one Swedish line and exit 2, not an
empty file with exit 0. A status may be given by its code or its Swedish label."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import Settings
from tests.test_export_formats import export, seeded  # noqa: F401 (a fixture)


def cases_in(path: Path) -> list[str]:
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig")), delimiter=";"))
    return [row[0] for row in rows[1:]]


def test_an_unknown_status_is_refused_with_the_valid_ones(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    out = tmp_path / "x.csv"
    assert export(seeded, out, "--status", "bogus") == 2
    said = capsys.readouterr()
    assert said.err == (
        "Okänd status: bogus. Välj bland: new (mottagen), acknowledged (läst),"
        " in_progress (pågår), resolved (åtgärdad), not_actionable (kan inte åtgärdas)\n"
    )
    assert said.out == ""
    assert not out.exists()


@pytest.mark.parametrize("status", ["resolved", "åtgärdad", "Åtgärdad", " åtgärdad "])
def test_a_status_by_its_code_or_its_swedish_label(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    status: str,
) -> None:
    out = tmp_path / "x.csv"
    assert export(seeded, out, "--status", status) == 0
    assert cases_in(out) == ["JKB-0001"]
    assert capsys.readouterr().out == f"1 ärende sparat i {out}\n"
    assert export(seeded, out, "--status", "mottagen", "--force") == 0
    assert sorted(cases_in(out)) == ["FLO-0001", "FLO-0002"]


@pytest.mark.parametrize(
    ("status", "cases"),
    [
        ("a\u030atga\u0308rdad", ["JKB-0001"]),  # NFD, as pasted from a Mac
        ("A\u030aTGA\u0308RDAD", ["JKB-0001"]),
        ("kan  inte\tåtgärdas", []),  # spaces inside the label, as typed
        (" Kan inte  Åtgärdas ", []),
    ],
)
def test_a_status_label_as_pasted_or_typed(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    status: str,
    cases: list[str],
) -> None:
    out = tmp_path / "x.csv"
    assert export(seeded, out, "--status", status) == 0, capsys.readouterr().err
    assert cases_in(out) == cases


def test_a_label_of_two_statuses_is_named_ambiguous(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A catalog where two statuses read alike: the label is refused as ambiguous, with
    both candidates named, not as unknown."""
    from bot.i18n import Catalogs

    text = Catalogs.text

    def alike(self: Catalogs, lang: str, key: str, **params: object) -> str:
        return (
            "klar"
            if key in {"status.resolved", "status.not_actionable"}
            else text(self, lang, key, **params)
        )

    monkeypatch.setattr(Catalogs, "text", alike)
    capsys.readouterr()
    out = tmp_path / "x.csv"
    assert export(seeded, out, "--status", "Klar") == 2
    assert capsys.readouterr().err == (
        "Statusen Klar kan betyda flera: resolved (klar), not_actionable (klar). Skriv koden.\n"
    )
    assert not out.exists()


def test_a_period_that_ends_before_it_starts_is_refused(
    seeded: Settings,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    out = tmp_path / "x.csv"
    reversed_ = ("--since", "2026-11-01", "--until", "2026-10-01")
    refusal = (
        "--since (2026-11-01) ska vara före --until (2026-10-01),"
        " som är första dagen som inte räknas med.\n"
    )
    assert export(seeded, out, *reversed_) == 2
    assert capsys.readouterr().err == refusal
    assert not out.exists()
    os.environ["TRYGG_DATABASE"] = str(seeded.database)
    try:
        assert main(["stats", *reversed_]) == 2
        said = capsys.readouterr()
        assert said.err == refusal
        assert said.out == ""
        assert main(["stats", "--since", "2026-10-01", "--until", "2026-10-01"]) == 2
        assert capsys.readouterr().err.startswith("--since (2026-10-01) ska vara före")
        assert main(["stats", "--since", "2026-10-01", "--until", "2026-10-02"]) == 0
    finally:
        del os.environ["TRYGG_DATABASE"]
    assert export(seeded, out, "--since", "2026-10-01", "--until", "2026-10-02") == 0
