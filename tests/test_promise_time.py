"""Promises in the resident's language and in time (issue 18, item 7): translations with the
Swedish marked where one is missing, successive promises at a station (the current one, the
history, the next), and no staff update on a promise that has ended."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from bot.config import DeploymentError, parse_deployment
from bot.domain.deployment import CommitmentStatus, Deployment
from bot.domain.promises import linkable, timeline
from bot.emulator import Emulator
from bot.emulator.markup import parse_html
from bot.i18n import Catalogs
from bot.services import Services
from bot.services.updates import PromiseEnded
from bot.settings import Settings, bundled_deployment_path
from tests.bots import in_process
from tests.people import Person, db_rows
from tests.test_deployment import MINIMAL

RESIDENT, FOLLOWER = 1001, 1002
POLIS_JKB = 100000001
TODAY = dt.date.today()
DAY = dt.timedelta(days=1)

#: Järfälla's next promise, running today, after the bundled 2019–2020 one; and Lerum's next,
#: starting in a month, after STK 2021–2022. Written as an operator would add them.
SUCCESSIVE = f"""
[[promises]]
id = "jarfalla-nasta"
title = "Tryggare Jakobsberg, nästa löfte"
start = {TODAY - 100 * DAY}
end = {TODAY + 300 * DAY}
parties = ["polisen-jarfalla", "jarfalla-kommun"]
stations = ["jakobsberg"]

[promises.translations.en]
title = "A safer Jakobsberg, the next promise"

[[promises.commitments]]
id = "jkb2-belysning"
text = "Bättre belysning i gångtunneln."
owners = ["jarfalla-kommun"]
translations = {{ en = "Better lighting in the underpass." }}

[[promises.commitments]]
id = "jkb2-narvaro"
text = "Polisen finns på plats fredagskvällar."
owners = ["polisen-jarfalla"]

[[promises]]
id = "lerum-nasta"
title = "Tryggare Lerum"
start = {TODAY + 30 * DAY}
end = {TODAY + 395 * DAY}
parties = ["lerum-kommun"]
stations = ["lerum"]

[[promises.commitments]]
id = "ler-belysning"
text = "Ny belysning på perrongerna."
owners = ["lerum-kommun"]
"""


@pytest.fixture(scope="module")
def successive() -> Deployment:
    path = bundled_deployment_path()
    return parse_deployment(path.read_text(encoding="utf-8") + SUCCESSIVE, "successive.toml")


def plain(html: str) -> str:
    """A catalog message as the resident reads it (Message.text): without its tags."""
    return parse_html(html)[0]


def problems(text: str) -> list[str]:
    try:
        parse_deployment(text, "t.toml")
    except DeploymentError as exc:
        return exc.lines
    return []


# ---------------------------------------------------------------------- the deployment file
def test_overlapping_promises_at_a_station_are_a_problem() -> None:
    later = """
[[promises]]
id = "p2"
title = "Nästa löfte"
start = 2022-12-31
end = 2024-12-31
parties = ["polisen"]
stations = ["floda", "jakobsberg"]

[[promises.commitments]]
id = "c2"
text = "Mer ljus"
owners = ["polisen"]
"""
    (line,) = problems(MINIMAL + later)
    assert line.startswith("t.toml: promises[1] (p2).start: overlaps promise 'p1'"), line
    assert "'jakobsberg'" in line
    assert "'floda'" not in line
    # The day after p1's last day: they follow one another.
    assert problems(MINIMAL + later.replace("start = 2022-12-31", "start = 2023-01-01")) == []
    # At another station the same period is no overlap.
    assert problems(MINIMAL + later.replace('"floda", "jakobsberg"', '"floda"')) == []


def test_translations_are_checked_against_the_deployments_languages() -> None:
    text = (
        MINIMAL.replace('name = "Test"', 'name = "Test"\nlanguages = ["sv", "en"]')
        .replace(
            'stations = ["jakobsberg"]\n\n[[promises.commitments]]',
            'stations = ["jakobsberg"]\n\n[promises.translations.en]\ntitle = "The promise"\n\n'
            '[promises.translations.fi]\ntitle = "Lupaus"\n\n[[promises.commitments]]',
        )
        .replace(
            'text = "Mer närvaro"',
            'text = "Mer närvaro"\ntranslations = { en = "More presence", sv = "Mer närvaro" }',
        )
    )
    assert problems(text) == [
        "t.toml: promises[0] (p1).translations.fi: language 'fi' is not in "
        "deployment.languages (sv, en)",
        "t.toml: promises[0] (p1).commitments[0] (c1).translations.sv: Swedish is the text "
        "itself, not a translation",
    ]
    offered = parse_deployment(
        text.replace('"sv", "en"]', '"sv", "en", "fi"]').replace(', sv = "Mer närvaro"', ""),
        "t.toml",
    )
    assert offered.promises[0].translations["fi"].title == "Lupaus"
    assert offered.promises[0].commitments[0].translations == {"en": "More presence"}


def test_a_stations_promises_in_time(successive: Deployment) -> None:
    at = successive.directory.promises_at
    jakobsberg = timeline(at("jakobsberg"), TODAY)
    assert jakobsberg.current is not None
    assert jakobsberg.current.id == "jarfalla-nasta"
    assert [p.id for p in jakobsberg.shown] == ["jarfalla-nasta"]
    assert [p.id for p in jakobsberg.history] == ["jarfalla-2019-2020"]
    lerum = timeline(at("lerum"), TODAY)
    assert lerum.current is None
    assert [p.id for p in lerum.shown] == ["lerum-nasta", "stk-2021-2022"]
    assert lerum.history == ()
    assert lerum.in_force is not None
    assert lerum.in_force.id == "lerum-nasta"
    # A year on, both have ended: the latest ended is shown, the one before is history.
    later = timeline(at("jakobsberg"), TODAY + 400 * DAY)
    assert [p.id for p in later.shown] == ["jarfalla-nasta"]
    assert [p.id for p in later.history] == ["jarfalla-2019-2020"]
    assert later.current is None
    assert later.upcoming is None


# ---------------------------------------------------------------------- residents
async def test_an_english_resident_sees_the_translation_and_the_swedish_marked(
    emulator: Emulator, bot_settings: Settings, successive: Deployment, catalogs: Catalogs
) -> None:
    async with in_process(emulator, bot_settings, successive):
        english = Person(emulator.world, RESIDENT, catalogs, lang="en")
        await english.say("/promise")
        shown = await english.tap("Jakobsberg")
        text = "\n".join(m.text for m in shown)
        assert "A safer Jakobsberg, the next promise" in text
        assert "Tryggare Jakobsberg" not in text
        assert "Better lighting in the underpass." in text
        assert "Bättre belysning" not in text
        assert "Polisen finns på plats fredagskvällar. (in Swedish)" in text
        assert "Tryggare stationsområde i Jakobsberg" not in text  # the ended one: history
        swedish = Person(emulator.world, FOLLOWER, catalogs)
        await swedish.say("/lofte")
        text = "\n".join(m.text for m in await swedish.tap("Jakobsberg"))
        assert "Tryggare Jakobsberg, nästa löfte" in text
        assert "Bättre belysning i gångtunneln." in text
        assert "(på svenska)" not in text


async def test_a_station_shows_its_current_promise_and_opens_the_history(
    emulator: Emulator, bot_settings: Settings, successive: Deployment, catalogs: Catalogs
) -> None:
    async with in_process(emulator, bot_settings, successive):
        person = Person(emulator.world, RESIDENT, catalogs)
        await person.say("/lofte")
        shown = await person.tap("Jakobsberg")
        assert "Tryggare Jakobsberg, nästa löfte" in shown[-1].text
        assert "Årlig trygghetsbesiktning" not in "\n".join(m.text for m in shown)
        history = await person.tap(person.t("promise.history_button"))
        text = history[-1].text
        assert plain(person.t("promise.history_title", station="Jakobsberg")) in text
        assert "Tryggare stationsområde i Jakobsberg" in text
        assert "1 jan. 2019 – 31 dec. 2020" in text  # Swedish dates, by Babel
        assert person.t("promise.outcome", done=1, total=9) in text  # the trygghetscenter
        assert "nästa löfte" not in text
        # Lerum: no promise runs today; the next is upcoming, STK is shown as ended.
        await person.say("/lofte")
        lerum = await person.tap("Lerum")
        text = "\n".join(m.text for m in lerum)
        assert "Tryggare Lerum" in text
        assert plain(person.t("promise.upcoming", start=TODAY + 30 * DAY)) in text
        assert "Samverkan för en tryggare kollektivtrafik (STK)" in text
        assert plain(person.t("promise.ended", end=dt.date(2022, 12, 31))) in text


# ---------------------------------------------------------------------- staff updates
async def test_an_ended_promise_takes_no_staff_update(
    emulator: Emulator, bot_settings: Settings, successive: Deployment, catalogs: Catalogs
) -> None:
    world = emulator.world
    world.user(POLIS_JKB).started = True
    async with in_process(emulator, bot_settings, successive) as app:
        services = app.bot_data.services
        assert services is not None
        english = Person(world, FOLLOWER, catalogs, lang="en")
        await english.say("/settings")
        await english.tap(english.t("settings.follow"))
        await english.tap("Jakobsberg")
        officer = Person(world, POLIS_JKB, catalogs)
        choose = await officer.say("/uppdatera")
        labels = [b["text"] for b in choose[-1].inline_buttons]
        assert "Bättre belysning i gångtunneln." in labels
        assert not [label for label in labels if "trygghetsbesiktning" in label]  # no button
        # The kommunpolis may report on every Jakobsberg commitment, the ended ones too: a
        # button carries a position in that list, as an old list's button or a forged one.
        member = await services.staff.by_telegram(POLIS_JKB)
        assert member is not None
        choices = services.updates.choices(member)
        ended = next(n for n, c in enumerate(choices) if c.promise.id == "jarfalla-2019-2020")
        await officer.press_forged(f"v1:u:c:{ended}")
        refusal = officer.t(
            "update.ended", title="Tryggare stationsområde i Jakobsberg", end=dt.date(2020, 12, 31)
        )
        assert officer.last_text() == plain(refusal)
        assert "\n" not in refusal
        # The service refuses it too (a press that comes after the promise's last day).
        with pytest.raises(PromiseEnded):
            await services.updates.publish(
                member, choices[ended], CommitmentStatus.DONE, "Klart.", None
            )
        assert db_rows(bot_settings, "SELECT 1 FROM commitment_updates") == []
        assert (
            db_rows(bot_settings, "SELECT 1 FROM outbox WHERE recipient = ?", str(FOLLOWER)) == []
        )
        # The current promise takes one: the commitment in the follower's language, the
        # staff's text as written.
        current = next(c for c in choices if c.commitment.id == "jkb2-belysning")
        text = "Nya armaturer sitter uppe sedan i tisdags."
        assert await services.updates.publish(member, current, None, text, None) == 1
        got = await world.wait_for(FOLLOWER, lambda m: text in m.text)
        assert "Better lighting in the underpass." in got.text
        assert "Bättre belysning" not in got.text


async def test_staff_whose_promises_have_all_ended_are_told_so(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """The bundled file's promises ended in 2020 and 2022: /uppdatera offers nothing."""
    officer = Person(live_bot.world, POLIS_JKB, catalogs)
    shown = await officer.say("/uppdatera")
    assert shown[-1].text == plain(officer.t("update.none_open"))
    assert not shown[-1].inline_buttons


def test_a_case_is_linked_only_to_a_commitment_of_a_promise_not_ended(
    successive: Deployment,
) -> None:
    """The link buttons carry positions among all the station's commitments (9 of the ended
    promise, then the current one's), so a position keeps its commitment when one ends."""
    found = linkable(successive.directory.promises_at("jakobsberg"), "jakobsberg", TODAY)
    assert [(n, c.id) for n, c in found] == [(9, "jkb2-belysning"), (10, "jkb2-narvaro")]
    stk = successive.promises[1]
    at_lerum = [c for c in stk.commitments if not c.stations or "lerum" in c.stations]
    found = linkable(successive.directory.promises_at("lerum"), "lerum", TODAY)
    assert [(n, c.id) for n, c in found] == [(len(at_lerum), "ler-belysning")]


async def test_the_digest_names_the_months_commitments_in_the_followers_language(
    bot_settings: Settings, successive: Deployment, catalogs: Catalogs
) -> None:
    services = await Services.open(bot_settings, successive, catalogs)
    try:
        member = await services.staff.by_telegram(POLIS_JKB)
        assert member is not None
        await services.updates.follow(FOLLOWER, "jakobsberg", "en")
        for choice in services.updates.choices(member):
            if choice.commitment.id.startswith("jkb2-"):
                await services.updates.publish(member, choice, None, "Gjort.", None)
        month = dt.datetime.now(dt.UTC).strftime("%Y-%m")
        assert await services.updates.digest("jakobsberg", month) == 1
    finally:
        await services.close()
    *_, digest = db_rows(
        bot_settings, "SELECT payload FROM outbox WHERE recipient = ? ORDER BY id", str(FOLLOWER)
    )
    text = json.loads(digest["payload"])["text"]
    # The commitment on its own line (was 'Better lighting in the underpass.: Gjort.').
    assert "• Better lighting in the underpass.\n  Gjort." in text
    assert ".:" not in text
    swedish = "Polisen finns på plats fredagskvällar."
    assert catalogs.text("en", "promise.in_swedish", text=swedish) + "\n  Gjort." in text


def test_check_config_says_which_promises_have_ended(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.cli import main

    path = tmp_path / "successive.toml"
    path.write_text(bundled_deployment_path().read_text(encoding="utf-8") + SUCCESSIVE)
    assert main(["check-config", str(path)]) == 0
    out = capsys.readouterr().out
    from bot.i18n import written  # dates as Swedish reads them, by Babel: '1 jan. 2019'

    assert "Löfte jarfalla-2019-2020: Tryggare stationsområde i Jakobsberg (1 jan. 2019 – " in out
    assert (
        "31 dec. 2020, avslutat: personalen kan inte längre publicera uppdateringar), 9 åtaganden"
        in out
    )
    assert f"{written(TODAY + 300 * DAY, 'sv')}, pågår), 2 åtaganden" in out
    assert (
        f"{written(TODAY + 395 * DAY, 'sv')}, kommande), 1 åtagande\n" in out
    )  # not '1 åtaganden'
