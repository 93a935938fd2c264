"""The monthly lägesbild (`trygghetsbot lagesbild`): a seeded month at Jakobsberg written as a
PDF, read back with pypdf; every number in it equals the statistics queries for that month."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.cli import main
from bot.domain.deployment import CommitmentStatus, Deployment
from bot.domain.intake import Draft
from bot.domain.lagesbild import HOUR_BLOCKS
from bot.domain.promises import month_bounds, promise_progress
from bot.domain.pulse import pseudonym
from bot.domain.stats import Period
from bot.domain.trygghet import wilson
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.stats import duration
from bot.settings import Settings
from storage.promises import PromiseRepository
from storage.pulse import PulseRepository

MONTH = "2020-10"  # the Järfälla promise (2019-01-01 – 2020-12-31) runs at Jakobsberg
RESIDENTS = range(1001, 1008)
# (station, kind, category, created (UTC), place (lat, lon) or None, times, hours to ack,
# hours to resolve)
NEAR = (59.4240, 17.8330)  # by Jakobsberg station: the same grid cell
AWAY = (59.4390, 17.8000)  # another cell
CASES = [
    ("jakobsberg", "report", "belysning", "2020-10-05T06:00:00+00:00", NEAR, ["evening"], 2, 50),
    ("jakobsberg", "report", "belysning", "2020-10-06T19:30:00+00:00", NEAR, ["evening"], 4, None),
    ("jakobsberg", "report", "belysning", "2020-10-13T20:00:00+00:00", NEAR, ["night"], 6, 30),
    ("jakobsberg", "report", "klotter", "2020-10-20T10:00:00+00:00", AWAY, ["day"], None, None),
    ("jakobsberg", "idea", None, "2020-10-21T12:00:00+00:00", None, [], None, None),
    # 23:30 UTC on 31 October is 00:30 on 1 November in Stockholm: not in the month.
    ("jakobsberg", "report", "klotter", "2020-10-31T23:30:00+00:00", AWAY, ["night"], 1, None),
    ("jakobsberg", "report", "belysning", "2020-09-10T08:00:00+00:00", NEAR, ["night"], 10, None),
    ("floda", "report", "belysning", "2020-10-07T08:00:00+00:00", None, ["night"], 3, None),
    ("lerum", "report", "klotter", "2020-10-08T08:00:00+00:00", None, ["day"], 5, 9),
]
#: (month, scores): 2018 is the year before the promise; 2020-09 alone has too few answers.
ANSWERS = [("2018-06", [5, 4, 2, 1, 3, 2, 4, 1, 2, 3]), ("2020-09", [4, 5, 4]),
           ("2020-10", [5, 4, 4, 5, 4, 2, 4, 1])]  # fmt: skip
UPDATE = "Nya lampor vid perrongen."


async def seed(settings: Settings, deployment: Deployment, catalogs: Catalogs) -> None:
    services = await Services.open(settings, deployment, catalogs)
    try:
        for (station, kind, category, _, place, times, *_), resident in zip(
            CASES, list(RESIDENTS) * 2, strict=False
        ):
            draft = Draft(
                kind=kind,
                station=station,
                description="Mörkt vid perrongen.",
                category=category,
                times=times,
                place_text="Perrongen" if kind == "report" else None,
                lat=place[0] if place else None,
                lon=place[1] if place else None,
            )
            await services.submit(resident, draft, "sv")
        pulse = PulseRepository(services.db)
        for month, scores in ANSWERS:
            key = await pulse.key(month)
            for resident, score in zip(RESIDENTS, scores, strict=False):
                await pulse.answer(pseudonym(key, resident), "jakobsberg", month, score)
            for n, score in enumerate(scores[len(RESIDENTS) :]):
                await pulse.answer(pseudonym(key, 2001 + n), "jakobsberg", month, score)
        await PromiseRepository(services.db).publish(
            "jkb-trygghetsbesiktning", CommitmentStatus.IN_PROGRESS, 40, UPDATE, None,
            "jarfalla-kommun", None, [],
        )  # fmt: skip
    finally:
        await services.close()
    with sqlite3.connect(settings.database) as conn:
        for number, (*_, created, _, _, ack, resolved) in enumerate(CASES, start=1):
            start = dt.datetime.fromisoformat(created)

            def later(hours: int | None, start: dt.datetime = start) -> str | None:
                return None if hours is None else (start + dt.timedelta(hours=hours)).isoformat()

            conn.execute(
                "UPDATE cases SET created_at = ?, acknowledged_at = ?, resolved_at = ?"
                " WHERE id = ?",
                (created, later(ack), later(resolved), number),
            )
        conn.execute("UPDATE commitment_updates SET created_at = '2020-10-15T09:00:00+00:00'")


@pytest.fixture
def seeded(tmp_path: Path, deployment: Deployment, catalogs: Catalogs) -> Iterator[Settings]:
    settings = Settings(database=tmp_path / "lagesbild.sqlite3", media_dir=tmp_path / "media")
    asyncio.run(seed(settings, deployment, catalogs))
    os.environ["TRYGG_DATABASE"] = str(settings.database)
    try:
        yield settings
    finally:
        del os.environ["TRYGG_DATABASE"]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:,\d+)?", text))


async def expected(
    settings: Settings, deployment: Deployment, catalogs: Catalogs, stations: list[str]
) -> tuple[list[str], set[str]]:
    """The lines the PDF must hold and every number it may hold, from the statistics
    queries (Services.stats, Services.trygghet, the promise repository) for MONTH."""
    services = await Services.open(settings, deployment, catalogs)
    try:
        start, end = month_bounds(MONTH)
        report = await services.stats.report(Period(start, end), stations)
        before = await services.stats.report(Period(*month_bounds("2020-09")), stations)
        promise = deployment.promises[0]
        result = await services.trygghet.promise_result(promise, stations, MONTH)
        month = await services.trygghet.month(stations, MONTH)
        states = await PromiseRepository(services.db).states()
    finally:
        await services.close()
    lines: list[str] = [f"Ärenden under månaden: {report.total}. Månaden innan: {before.total}."]
    allowed = {"2020", "10", str(report.total), str(before.total)}
    for category, series in report.per_week.items():
        name = services.stats.category_name(category)
        lines.append(" ".join([name, *map(str, series), str(sum(series))]))
        allowed |= {str(n) for n in series} | {str(sum(series))}
    allowed |= {w.rsplit("v", 1)[1] for w in report.weeks}
    for d in (report.to_acknowledge, report.to_resolve):
        assert d.median_hours is not None
        allowed |= numbers(duration(d.median_hours, "sv")) | {str(d.count)}
    if not month.suppressed:
        assert month.interval is not None
        assert month.share is not None
        low, high = month.interval
        shown = [round(month.share * 100), round(low * 100), round(high * 100), month.answers]
        lines.append(
            "{} % känner sig trygga (95 % konfidensintervall {}–{} %), svar: {}".format(*shown)
        )
        allowed |= {str(n) for n in shown}
    change = result.comparison.difference
    if change is not None:
        shifts = (abs(change.estimate), change.low, change.high)
        allowed |= {str(round(v * 100)).lstrip("-") for v in shifts}
    for share in (result.comparison.before, result.comparison.during):
        if share.interval is not None and share.share is not None:
            allowed |= {str(round(v * 100)) for v in (share.share, *share.interval)}
            allowed.add(str(share.answers))
    allowed |= {m[:4] for m, _ in result.trend} | {m[5:] for m, _ in result.trend}
    allowed.add(str(promise_progress(promise, states)))
    allowed |= {str(s.progress) for s in states.values()}
    allowed |= numbers(
        f"{promise.start.day} {promise.start.year} {promise.end.day} {promise.end.year}"
    )
    allowed |= {"15"}  # the update's day (15 oktober 2020)
    # Words of the deployment file ("en av cirka 50 [öppna drogscener]" in a commitment).
    allowed |= numbers(" ".join([promise.title, *(c.text for c in promise.commitments)]))
    allowed |= {f"{a:02d}" for a, b in HOUR_BLOCKS} | {f"{b:02d}" for a, b in HOUR_BLOCKS}
    allowed |= {"3", "5", "95"}  # "färre än 3", "färre än 5 svar", the interval's 95 %
    allowed |= {"1", "4", "26", "31"}  # the partial weeks' days: "v. 40 (1–4 okt.)"
    today = dt.date.today()  # the footer: "skapad 2 december 2026 · sida 1 av 3"
    allowed |= {str(today.day), str(today.year), "1", "2", "3", "4"}
    allowed |= {"500"}  # the map's scale bar
    return lines, allowed


def test_every_number_in_the_pdf_is_the_month_s_statistics(
    seeded: Settings, tmp_path: Path, deployment: Deployment, catalogs: Catalogs,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    out = tmp_path / "jkb.pdf"
    assert main(["lagesbild", "--station", "Jakobsberg", "--month", MONTH, "--out", str(out)]) == 0
    assert f"sparad i {out}" in capsys.readouterr().out
    text = pdf_text(out)
    flat = " ".join(text.split())
    lines, allowed = asyncio.run(expected(seeded, deployment, catalogs, ["jakobsberg"]))
    for line in lines:
        assert line in flat, line
    assert numbers(text) <= allowed, numbers(text) - allowed
    # Hand-checked: 5 cases in October (the sixth is on 1 November local time), 1 in September.
    assert "Ärenden under månaden: 5. Månaden innan: 1." in flat
    # Belysning 3 (weeks 41 and 42), Klotter 1 (week 43), an idea (week 43); weeks 40-44.
    assert "v. 40 (1–4 okt.) v. 41 v. 42 v. 43 v. 44 (26–31 okt.) Summa" in flat
    assert "Belysning 0 2 1 0 0 3" in flat
    # 6 of 8 answered 4 or 5: 75 %, Wilson 40.9 %–92.9 %.
    low, high = wilson(6, 8)
    assert (round(low * 100), round(high * 100)) == (41, 93)
    assert "75 % känner sig trygga (95 % konfidensintervall 41–93 %), svar: 8" in flat
    assert "Månaden innan: färre än 5 svar" in flat
    # Acknowledged after 2, 4 and 6 hours: median 4 timmar (3 cases); resolved: 50 h, 30 h.
    assert "Alla ärenden median 4 timmar (ärenden: 3) median 40 timmar (ärenden: 2)" in flat
    # The map: three at the station (shown as 3), one elsewhere ("färre än 3"); one idea
    # without a place. No exact coordinate is printed.
    assert "A: 3 ärenden" in flat
    assert "B: färre än 3" in flat
    assert "Ärenden utan plats på kartan: 1." in flat
    assert "59" not in numbers(text)
    assert "17" not in numbers(text)
    # Times reporters named and local hours: 06 UTC = 08 local, 19:30 UTC = 21:30 local.
    assert "Kväll: 2" in flat
    assert "• 06–09: 1" in flat
    assert "• 21–24: 2" in flat
    # The promise: the stored state after the update; the update itself in "vi gjorde".
    assert "(Lokalpolisområde Järfälla, Järfälla kommun): pågår, 40 %" in flat
    assert "Tryggare stationsområde i Jakobsberg (1 januari 2019 – 31 december 2020): 16 %" in flat
    assert "15 oktober 2020 – Årlig trygghetsbesiktning" in flat
    assert UPDATE in flat
    # Ni sa: 3 belysning, klotter and the idea "färre än 3".
    assert "• Belysning: 3" in flat
    assert "• Klotter och skadegörelse: färre än 3" in flat
    # Analys: the most reported category, its change, the trygghet in plain Swedish.
    assert "Flest ärenden gällde Belysning: 3 av 5 (månaden innan: 1)." in flat
    assert "Tid till kvittens: median 4 timmar (ärenden: 3). Månaden innan: median 10" in flat
    # Before: 3 of 10 safe (2018); during: 9 of 11 (2020-09 and 2020-10): +52 points.
    assert (
        "Under löftet känner sig fler trygga än året före: 52 procentenheter fler"
        " (95 % konfidensintervall 10 till 75)."
    ) in flat
    assert "Bedömning" in flat


def test_a_kommun_pools_its_stations(
    seeded: Settings, tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    out = tmp_path / "lerum.pdf"
    assert main(["lagesbild", "--kommun", "LERUM", "--month", MONTH, "--out", str(out)]) == 0
    flat = " ".join(pdf_text(out).split())
    assert "Lägesbild Lerum, oktober 2020" in flat
    assert "Stationer: Floda, Lerum" in flat
    assert "Ärenden under månaden: 2. Månaden innan: 0." in flat
    lines, allowed = asyncio.run(expected(seeded, deployment, catalogs, ["floda", "lerum"]))
    for line in lines:
        assert line in flat, line
    assert numbers(pdf_text(out)) <= allowed


def test_bad_input_gets_one_line(
    seeded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = str(tmp_path / "x.pdf")
    cases = [
        (["--station", "gotham", "--month", MONTH], "Okänd station"),
        (["--kommun", "Gotham", "--month", MONTH], "Ingen station ligger i kommunen Gotham."),
        (["--station", "jakobsberg", "--month", "2020-13"], "är inte ett datum som ÅÅÅÅ-MM"),
        (["--station", "jakobsberg", "--month", "oktober"], "är inte ett datum som ÅÅÅÅ-MM"),
        (["--station", "jakobsberg", "--month", "2999-01"], "har inte börjat än"),
    ]
    for args, said in cases:
        assert main(["lagesbild", *args, "--out", out]) == 2
        err = capsys.readouterr().err
        assert said in err, err
        assert err.count("\n") == 1, err
    missing = str(tmp_path / "no" / "such" / "dir" / "x.pdf")
    assert main(["lagesbild", "--station", "jakobsberg", "--month", MONTH, "--out", missing]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"Kunde inte skriva {missing}:")
    assert err.count("\n") == 1
    assert not Path(out).exists()


def test_a_month_without_cases_reads_sensibly(seeded: Settings, tmp_path: Path) -> None:
    out = tmp_path / "empty.pdf"
    assert (
        main(["lagesbild", "--station", "jakobsberg", "--month", "2021-03", "--out", str(out)]) == 0
    )
    flat = " ".join(pdf_text(out).split())
    assert "Ärenden under månaden: 0. Månaden innan: 0." in flat
    assert "Inga ärenden kom in under månaden." in flat
    assert "Inget medborgarlöfte gällde här under månaden." in flat
    assert "Inget nytt om åtagandena den här månaden." in flat
    assert "Den här månaden: färre än 5 svar" in flat
    assert "Färre än 5 svarade på månadsfrågan" in flat


def test_the_analysis_says_when_the_answers_cannot_show_a_change(catalogs: Catalogs) -> None:
    """5 of 10 before, 6 of 10 during: +10 points, but the interval holds zero."""
    from bot.domain.lagesbild import TrygghetPart
    from bot.domain.trygghet import BeforeAfter, Share
    from bot.services.lagesbild import Lagesbild, Scope
    from bot.services.lagesbild_text import LagesbildText

    comparison = BeforeAfter(("2018-01",), ("2019-01",), Share(5, 10), Share(6, 10))
    difference = comparison.difference
    assert difference is not None
    assert not difference.clear
    start, end = month_bounds("2019-01")
    report = Lagesbild(
        Scope("station", "Jakobsberg", ("jakobsberg",)), "2019-01", start, end,
        trygghet=TrygghetPart(Share(6, 10), Share(), (), comparison, "jarfalla-2019-2020"),
    )  # fmt: skip
    sentence = LagesbildText(catalogs, "sv", {}).trygghet_sentence(report)
    low, high = round(difference.low * 100), round(difference.high * 100)
    assert sentence == (
        "Trygghet den här månaden: 60 % känner sig trygga (95 % konfidensintervall 31–83 %),"
        f" svar: 10. Skillnaden mot året före löftet är 10 procentenheter (95 %"
        f" konfidensintervall {low} till {high}). Intervallet rymmer noll, så svaren kan inte"
        " visa att tryggheten har ändrats."
    )
