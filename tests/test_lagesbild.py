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
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader

from bot.cli import main
from bot.domain.deployment import CommitmentStatus, Deployment
from bot.domain.intake import Draft
from bot.domain.lagesbild import PromiseTrygghet, TrygghetPart
from bot.domain.promises import month_bounds
from bot.domain.pulse import pseudonym
from bot.domain.trygghet import BeforeAfter, Share
from bot.i18n import Catalogs, available_languages
from bot.services import Services
from bot.services.lagesbild import Lagesbild, Scope, kommun_scope
from bot.services.lagesbild_text import LagesbildText
from bot.settings import Settings
from storage.promises import PromiseRepository
from storage.pulse import PulseRepository

MONTH = "2020-10"  # the Järfälla promise (2019-01-01 – 2020-12-31) runs at Jakobsberg
RESIDENTS = range(1001, 1008)
# (station, kind, category, created (UTC), place (lat, lon) or None, times, events: (action,
# actor, hours after creation))
NEAR = (59.4240, 17.8330)  # by Jakobsberg station: the same grid cell
AWAY = (59.4390, 17.8000)  # another cell
POLIS, KOMMUN = "polisen-jarfalla", "jarfalla-kommun"
ACK, START, RESOLVE = "acknowledge", "start", "resolve"
CASES = [
    ("jakobsberg", "report", "belysning", "2020-10-05T06:00:00+00:00", NEAR, ["evening"],
     [(ACK, POLIS, 2), (ACK, KOMMUN, 20), (RESOLVE, POLIS, 50)]),
    ("jakobsberg", "report", "belysning", "2020-10-06T19:30:00+00:00", NEAR, ["evening"],
     [(START, KOMMUN, 5), (ACK, POLIS, 7)]),
    ("jakobsberg", "report", "belysning", "2020-10-13T20:00:00+00:00", NEAR, ["night"],
     [(ACK, POLIS, 6), (RESOLVE, KOMMUN, 30)]),
    ("jakobsberg", "report", "klotter", "2020-10-20T10:00:00+00:00", AWAY, ["day"], []),
    ("jakobsberg", "idea", None, "2020-10-21T12:00:00+00:00", None, [], []),
    # 23:30 UTC on 31 October is 00:30 on 1 November in Stockholm: not in the month.
    ("jakobsberg", "report", "klotter", "2020-10-31T23:30:00+00:00", AWAY, ["night"],
     [(ACK, POLIS, 1)]),
    ("jakobsberg", "report", "belysning", "2020-09-10T08:00:00+00:00", NEAR, ["night"],
     [(ACK, POLIS, 10)]),
    ("floda", "report", "belysning", "2020-10-07T08:00:00+00:00", None, ["night"],
     [(ACK, "lerum-kommun", 3)]),
    ("lerum", "report", "klotter", "2020-10-08T08:00:00+00:00", None, ["day"],
     [(ACK, "polisen-alingsas", 5), (RESOLVE, "polisen-alingsas", 9)]),
]  # fmt: skip
#: (month, scores): 2018 is the year before the promise; September 2020 has no answers.
ANSWERS = [("2018-06", [5, 4, 2, 1, 3, 2, 4, 1, 2, 3]),
           ("2020-10", [5, 4, 4, 5, 4, 2, 4, 1])]  # fmt: skip
UPDATE = "Nya lampor vid perrongen."
#: The update of 15 October, and one of 10 November that the October lägesbild must not use.
LATER_UPDATES = [
    (CommitmentStatus.IN_PROGRESS, 40, UPDATE),
    (CommitmentStatus.DONE, 100, "Besiktningen är klar."),
]
UPDATE_DAYS = ["2020-10-15T09:00:00+00:00", "2020-11-10T09:00:00+00:00"]


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
        for status, progress, text in LATER_UPDATES:
            await PromiseRepository(services.db).publish(
                "jkb-trygghetsbesiktning", status, progress, text, None, KOMMUN, None, []
            )
    finally:
        await services.close()
    with sqlite3.connect(settings.database) as conn:
        for number, (*_, created, _, _, events) in enumerate(CASES, start=1):
            start = dt.datetime.fromisoformat(created)
            acked = [h for _, _, h in events]
            resolved = [h for action, _, h in events if action == RESOLVE]

            def later(hours: list[int], start: dt.datetime = start) -> str | None:
                return (start + dt.timedelta(hours=min(hours))).isoformat() if hours else None

            conn.execute(
                "UPDATE cases SET created_at = ?, acknowledged_at = ?, resolved_at = ?"
                " WHERE id = ?",
                (created, later(acked), later(resolved), number),
            )
            for action, actor, hours in events:
                conn.execute(
                    "INSERT INTO case_events (case_id, action, actor_id, staff_id, created_at)"
                    " VALUES (?, ?, ?, 1, ?)",
                    (number, action, actor, later([hours])),
                )
        for n, day in enumerate(UPDATE_DAYS, start=1):
            conn.execute("UPDATE commitment_updates SET created_at = ? WHERE id = ?", (day, n))


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


def flat_pdf(path: Path) -> str:
    """The PDF's text on one line, without the page footers."""
    flat = " ".join(pdf_text(path).split())
    return re.sub(r" ?Trygghetsboten · skapad [^·]* · sida \d+ av \d+", "", flat)


Expected = list[tuple[str, list[str] | None]]


def read_back(flat: str, expected: Expected) -> Expected:
    """(label, numbers) as the PDF shows them: each expected label found in order, with the
    signed numbers between its end and the next label (None where the expected is None: a
    part whose numbers are layout, such as week headings or the map's scale). Numbers before
    the first label or after the last one are reported under "" / "<end>"."""
    found: Expected = []
    cursor = 0
    spans: list[tuple[str, int, int]] = []
    for label, _ in expected:
        at = flat.find(label, cursor)
        if at < 0:
            found.append((label, ["<missing>"]))
            return found
        spans.append((label, at, at + len(label)))
        cursor = at + len(label)
    if first := re.findall(r"[-+−]?\d+(?:,\d+)?", flat[: spans[0][1]]):
        found.append(("", first))
    for (label, _, end), (_, nums), following in zip(
        spans, expected, [*(s[1] for s in spans[1:]), len(flat)], strict=True
    ):
        between = re.findall(r"[-+−]?\d+(?:,\d+)?", flat[end:following])
        found.append((label, None if nums is None else between))
    return found


def share(pct: int, low: int, high: int, answers: int) -> list[str]:
    """'75 % känner sig trygga (95 % konfidensintervall 40 %–93 %), svar: 8' (the '–' between
    the bounds is not a sign; the bounds rounded outward, as trygghet_text.interval)."""
    return [str(pct), "95", str(low), str(high), str(answers)]


def by_hand(today: dt.date) -> Expected:
    """Jakobsberg, October 2020, worked out by hand from CASES, ANSWERS and the updates (no
    call into the code under test)."""
    zero = ["0"]
    return [
        ("Lägesbild Jakobsberg, oktober", ["2020"]),
        ("Internt underlag", []),
        ("Del 1. Kartläggning", []),
        ("Ärenden per kategori och vecka", None),  # week headings: layout
        # Local days: 5, 6 Oct (week 41), 13 Oct (42); klotter 20 Oct, idea 21 Oct (43).
        ("Belysning", ["0", "2", "1", "0", "0", "3"]),
        ("Idéer", ["0", "0", "0", "1", "0", "1"]),
        ("Klotter och skadegörelse", ["0", "0", "0", "1", "0", "1"]),
        # The klotter of 31 Oct 23:30 UTC is 1 November local; one case in September.
        ("Ärenden under månaden:", ["5", "1"]),
        ("Var", None),  # the drawn map: letters, counts and its scale
        ("A:", ["3"]),  # three belysning NEAR the station
        ("B: färre än", ["3"]),  # one klotter AWAY
        ("Ärenden utan plats på kartan:", ["1"]),  # the idea
        ("• Dag:", ["1"]),
        ("• Kväll:", ["2"]),
        ("• Natt:", ["1"]),
        # Local hours: 08:00, 21:30, 22:00, 12:00, 14:00.
        ("• 00–06:", zero),
        ("• 06–09:", ["1"]),
        ("• 09–12:", zero),
        ("• 12–15:", ["2"]),
        ("• 15–18:", zero),
        ("• 18–21:", zero),
        ("• 21–24:", ["2"]),
        # Each actor's own first acknowledging event (acknowledge/start/resolve):
        # polisen 2, 7, 6 h -> median 6 of 3; resolved 50 h (2,1 dygn) of 1.
        ("Lokalpolisområde Järfälla median", ["6", "3", "2,1", "1"]),
        # kommun: ack 20 h (case 1), start 5 h (case 2), resolve 30 h (case 3): median 20 of 3.
        ("Järfälla kommun median", ["20", "3", "30", "1"]),
        # The cases' first: 2, 5, 6 h -> 5 of 3; resolved 50 and 30 -> 40 of 2.
        ("Alla ärenden median", ["5", "3", "40", "2"]),
        ("Ännu inte kvitterade:", ["2"]),  # klotter 20 Oct and the idea
        ("Ännu inte åtgärdade:", ["3"]),  # and the belysning of 6 Oct
        ("Uppgifterna gäller", [str(today.day), str(today.year)]),
        # 9 commitments, one done in the file (100), the besiktning at 40 on 15 October (its
        # 100 of 10 November comes after the month): (40 + 100) / 9 = 15.6 -> 16.
        ("Tryggare stationsområde i Jakobsberg (", ["1", "2019", "31", "2020", "16"]),
        ("• Årlig trygghetsbesiktning", ["40"]),
        ("• Ökad polisiär", zero),
        ("• Så ofta", zero),
        ("• Gemensamma", zero),
        ("• Kommunen har trygghetsskapande", zero),
        ("• Ett trygghetscenter", ["100"]),
        ("• Stationsområdet är av polisen", ["50", "0"]),  # "en av cirka 50" in the text
        ("• Stationsområdet ska", zero),
        ("• Kommunen ansvarar", zero),
        # October: 6 of 8 said 4 or 5: 75 %, Wilson 40.9–92.9 %, outward 40–93 (was 41–93
        # when the lägesbild rounded to nearest).
        ("Den här månaden:", share(75, 40, 93, 8)),
        ("Månaden innan: färre än", ["5"]),  # no answers in September
        ("Tryggare stationsområde i Jakobsberg, vid", []),
        ("• januari 2019 – september 2020:", ["5"]),  # no month with 5 answers
        ("• oktober 2020:", share(75, 40, 93, 8)),
        # 2018-06: 3 of 10 (Wilson 10.8–60.3 %, outward 10–61; was 11–60); during: October's
        # 6 of 8.
        ("Året före löftet:", share(30, 10, 61, 10)),
        ("Under löftet hittills:", share(75, 40, 93, 8)),
        ("Stationer och månader med färre än", ["5"]),
        ("• Belysning:", ["3"]),
        ("• Idéer:", ["1"]),
        ("• Klotter och skadegörelse:", ["1"]),
        ("Vi gjorde", []),
        ("• 15 oktober 2020 – Årlig", []),
        ("Del 2. Analys", []),
        ("Flest ärenden gällde belysning:", ["3", "5", "1"]),
        ("Tid till kvittens:", ["5", "3", "10", "1"]),  # September: 10 h, one case
        ("Trygghet den här månaden:", share(75, 40, 93, 8)),
        # 75 % - 30 % = +45 points; Newcombe hybrid score interval: 0.45 - sqrt((0.75 -
        # 0.409)² + (0.603 - 0.3)²) = -0.6 %, 0.45 + sqrt((0.929 - 0.75)² + (0.3 - 0.108)²)
        # = +71.2 %; outward -1 to +72 (was -1 to +71). The formatter's "−" prints as "-".
        ("Tryggare stationsområde i Jakobsberg: skillnaden", ["+45", "95", "-1", "+72"]),
        ("Bedömning", []),
    ]


def test_every_number_in_the_pdf_is_the_month_s_statistics(
    seeded: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "jkb.pdf"
    assert main(["lagesbild", "--station", "Jakobsberg", "--month", MONTH, "--out", str(out)]) == 0
    assert f"sparad i {out}" in capsys.readouterr().out
    today = dt.datetime.now(ZoneInfo("Europe/Stockholm")).date()
    want = by_hand(today)
    flat = flat_pdf(out)
    assert read_back(flat, want) == want
    # No exact coordinate is printed; the later update is not in October's lägesbild.
    assert "59" not in numbers(flat)
    assert "17" not in numbers(flat)
    assert UPDATE in flat
    assert "Besiktningen är klar" not in flat


def test_a_kommun_shows_the_promise_at_its_own_stations(
    tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    """The STK promise at Lerum only: Floda (also in Lerum kommun) has 20 answers in March
    2020 (none safe) and in March 2021 (all safe); Lerum has none. The promise's trend and
    before/after are of Lerum alone: nothing to compare, whatever Floda says."""
    stk = deployment.promises[1]
    only_lerum = stk.model_copy(update={"stations": ["lerum"]})
    dep = deployment.model_copy(update={"promises": [deployment.promises[0], only_lerum]})
    settings = Settings(database=tmp_path / "k.sqlite3", media_dir=tmp_path / "m")

    async def run() -> bytes:
        services = await Services.open(settings, dep, catalogs)
        try:
            pulse = PulseRepository(services.db)
            for month, safe in (("2020-03", 0), ("2021-03", 20)):
                key = await pulse.key(month)
                for r in range(20):
                    score = 5 if r < safe else 1
                    await pulse.answer(pseudonym(key, 5000 + r), "floda", month, score)
            scope = kommun_scope(dep, "Lerum")
            assert scope is not None
            return services.lagesbild.pdf(await services.lagesbild.build(scope, "2021-03"))
        finally:
            await services.close()

    out = tmp_path / "lerum.pdf"
    out.write_bytes(asyncio.run(run()))
    flat = flat_pdf(out)
    want: Expected = [
        ("Lägesbild Lerum, mars", None),  # cases, map, times, the promise's commitments
        ("Trygghet (månadsfrågan)", []),
        # The kommun's month pools Floda: 20 of 20 (Wilson 83.9–100 %, outward 83–100; was
        # 84–100).
        ("Den här månaden:", share(100, 83, 100, 20)),
        ("Månaden innan: färre än", ["5"]),
        ("Samverkan för en tryggare kollektivtrafik (STK), vid", []),
        ("• januari 2021 – mars 2021:", ["5"]),
        ("Året före löftet: färre än", ["5"]),
        ("Under löftet hittills: färre än", ["5"]),
        ("Stationer och månader med färre än", ["5"]),
        ("Ni sa, vi gjorde", None),
        ("Samverkan för en tryggare kollektivtrafik (STK): det finns för få svar", []),
        ("Bedömning", []),
    ]
    assert read_back(flat, want) == want
    assert "Stationer: Floda, Lerum" in flat
    assert "procentenheter" not in flat


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
    assert "Inget medborgarlöfte gällde här under månaden, så det finns ingen tid" in flat


def analysis_of(
    comparison: BeforeAfter | None,
    month: Share | None = None,
    categories: dict[str, int] | None = None,
    ended: bool = True,
) -> list[str]:
    start, end = month_bounds("2019-06")
    promises = (
        () if comparison is None else (PromiseTrygghet("p", "Löftet", (), comparison),)
    )  # fmt: skip
    categories = categories or {}
    report = Lagesbild(
        Scope("station", "Jakobsberg", ("jakobsberg",)), "2019-06", start, end,
        total=sum(categories.values()), categories=categories,
        trygghet=TrygghetPart(month or Share(6, 10), Share(), promises, ended),
    )  # fmt: skip
    labels = {"klotter": "Klotter och skadegörelse", "belysning": "Belysning"}
    return LagesbildText(Catalogs.load(available_languages()), "sv", labels).analysis(report)


def test_the_analysis_says_when_the_answers_cannot_show_a_change() -> None:
    """6 of 10 before, 4 of 10 during: −20 points, the interval holds zero: the sign stays
    (the shared formatter's "−")."""
    comparison = BeforeAfter(("2018-01",), ("2019-01",), Share(6, 10), Share(4, 10))
    difference = comparison.difference
    assert difference is not None
    assert not difference.clear
    # By hand: Wilson 6/10 is 31.3–83.2 %, 4/10 16.8–68.7 %; Newcombe: -0.2 - sqrt((0.4 -
    # 0.168)² + (0.832 - 0.6)²) = -52.8 %, -0.2 + sqrt((0.687 - 0.4)² + (0.6 - 0.313)²) =
    # +20.6 %; rounded outward: −53 to +21 (the same as rounded to nearest here).
    assert analysis_of(comparison)[-1] == (
        "Löftet: skillnaden mot året före löftet är −20 procentenheter (95 %"
        " konfidensintervall −53 till +21). Intervallet rymmer noll, så svaren kan inte"
        " visa att tryggheten har ändrats."
    )


def test_a_negative_change_prints_its_sign_in_the_pdf(tmp_path: Path) -> None:
    """The shared formatter writes "−" (U+2212); the PDF's Noto fonts have no glyph for it
    (checked with fontTools below), so the PDF renderer draws it as "-" instead of nothing."""
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    from bot.lagesbild_pdf import render
    from bot.pdf_fonts import FONTS

    for font in FONTS.glob("*.ttf"):
        assert 0x2212 not in TTFont(font).getBestCmap(), font  # else drop the mapping
    comparison = BeforeAfter(("2018-01",), ("2019-01",), Share(6, 10), Share(4, 10))
    start, end = month_bounds("2019-06")
    report = Lagesbild(
        Scope("station", "Jakobsberg", ("jakobsberg",)), "2019-06", start, end,
        trygghet=TrygghetPart(Share(), Share(), (PromiseTrygghet("p", "Löftet", (), comparison),),
                              True),
    )  # fmt: skip
    text = LagesbildText(Catalogs.load(available_languages()), "sv", {})
    out = tmp_path / "minus.pdf"
    out.write_bytes(render(report, text))
    # −20 points, −53 to +21 (worked out in the test above).
    assert "är -20 procentenheter (95 % konfidensintervall -53 till +21)" in flat_pdf(out)


def test_the_trygghet_sentence_follows_the_comparison_not_the_month() -> None:
    """10 of 50 before, 40 of 50 during: a clear rise, said even when this month has only 4
    answers (the month's own line is then left out); without a promise, its own sentence."""
    comparison = BeforeAfter(("2018-01",), ("2019-01",), Share(10, 50), Share(40, 50))
    said = analysis_of(comparison, month=Share(3, 4))
    assert said[-1].startswith(
        "Löftet: andelen som känner sig trygga har ökat med 60 procentenheter jämfört med"
    )
    assert not any("den här månaden" in s for s in said)
    assert analysis_of(None)[-1].startswith("Inget medborgarlöfte gällde här under månaden")
    # A month that has not ended shows none of its own answers.
    assert not any("75 %" in s for s in analysis_of(None, Share(6, 8), ended=False))


def test_the_most_reported_categories_name_every_tie_and_need_three() -> None:
    tied = analysis_of(None, categories={"belysning": 3, "klotter": 3, "idea": 1})
    assert tied[0] == (
        "Flest ärenden gällde belysning och klotter och skadegörelse: 3 var av 7"
        " (månaden innan: 0, 0)."
    )
    few = analysis_of(None, categories={"belysning": 2, "klotter": 1})
    assert not any(s.startswith("Flest") for s in few)


def test_a_run_of_hidden_months_is_one_line() -> None:
    hidden = [(f"2019-{m:02d}", Share(1, 2)) for m in range(1, 10)]
    trend = (*hidden, ("2019-10", Share(6, 8)), ("2019-11", Share(1, 1)))
    comparison = BeforeAfter(("2018-01",), ("2019-01",), Share(), Share(6, 8))
    start, end = month_bounds("2019-11")
    report = Lagesbild(
        Scope("station", "Jakobsberg", ("jakobsberg",)), "2019-11", start, end,
        trygghet=TrygghetPart(Share(1, 1), Share(6, 8),
                              (PromiseTrygghet("p", "Löftet", trend, comparison),)),
    )  # fmt: skip
    lines = LagesbildText(Catalogs.load(available_languages()), "sv", {}).trygghet_lines(report)
    assert lines[3:6] == [
        "• januari 2019 – september 2019: färre än 5 svar varje månad",
        # Wilson 6/8 40.9–92.9 %, outward 40–93 (Babel's no-break space before "%").
        "• oktober 2019: 75\xa0% känner sig trygga (95 % konfidensintervall 40\xa0%–93\xa0%),"
        " svar: 8",
        "• november 2019: färre än 5 svar",
    ]
