"""The trygghetsmätning's opt-in and its privacy side: a resident who follows a station may
agree to a monthly question about it (and stop), /minadata shows their pulse data, /radera
removes it, and the daily purge deletes old months' keys so that their answers can no longer
be tied to anyone."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.config import DeploymentError, parse_deployment
from bot.context import BotApp
from bot.domain import callbacks
from bot.domain.deployment import Deployment, PulseQuestion
from bot.domain.deployment_checks import find_problems
from bot.domain.pulse import pseudonym
from bot.domain.trygghet import add_months, month_of
from bot.emulator import Emulator
from bot.emulator.state import World
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings, bundled_deployment_path
from tests.bots import in_process
from tests.people import Person, db_rows

RESIDENT = 777_000_201
NEIGHBOUR = 777_000_202


def services_of(app: BotApp) -> Services:
    services = app.bot_data.services
    assert services is not None
    return services


def consents(settings: Settings) -> list[tuple[int, str]]:
    rows = db_rows(
        settings,
        "SELECT r.chat_id, p.station_id FROM pulse_consents p"
        " JOIN residents r ON r.id = p.resident_id ORDER BY r.chat_id, p.station_id",
    )
    return [(r["chat_id"], r["station_id"]) for r in rows]


async def follow(person: Person, station_id: str) -> str:
    """Follow a station as the chooser's button does; the bot's reply."""
    return (await person.press_forged(callbacks.menu("fol", station_id)))[-1].text


async def started(world: World, catalogs: Catalogs, lang: str = "sv") -> Person:
    """The resident, who has sent /start."""
    person = Person(world, RESIDENT, catalogs, lang=lang)
    await person.say("/start")
    return person


async def agree(person: Person, station_id: str) -> None:
    """Follow a station and say yes to its monthly question."""
    await follow(person, station_id)
    await person.tap(person.t("pulse.optin.yes"))


async def subscription_buttons(person: Person) -> list[str]:
    """The labels of the buttons under /prenumerationer."""
    listing = (await person.say("/prenumerationer"))[-1]
    return [b["text"] for b in listing.inline_buttons]


async def my_data(person: Person) -> dict[str, Any]:
    """The trygghetsmätning part of the resident's /minadata file."""
    document = (await person.say("/minadata"))[-1].data["document"]
    pulse = json.loads(person.world.files[document["file_id"]].content)["safety_survey"]
    assert isinstance(pulse, dict)
    return pulse


def this_month(deployment: Deployment) -> str:
    return month_of(dt.datetime.now(ZoneInfo(deployment.deployment.timezone)).date())


# ------------------------------------------------------------------ opt-in
async def test_following_offers_the_question_and_yes_stores_the_consent(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    person = await started(live_bot.world, catalogs)
    shown = await follow(person, "jakobsberg")
    assert "Du följer nu Jakobsberg" in shown
    assert person.t("pulse.optin.offer", station="Jakobsberg") in shown
    # The offer informs: no name, statistics only, and where to read more (a real command).
    assert "Svaret sparas utan ditt namn och används bara till statistik." in shown
    assert shown.endswith("Läs mer i /integritet.")
    await person.say("/integritet")
    notice = person.last_text()
    assert "sparas utan koppling till din Telegram-chatt" in notice
    assert "Personalen och löftets publika sida ser bara andelar för minst 5 svar" in notice
    assert consents(bot_settings) == []  # nothing before the resident says yes
    done = await person.tap(person.t("pulse.optin.yes"))
    assert done[-1].text == person.t("pulse.optin.given", station="Jakobsberg")
    assert consents(bot_settings) == [(RESIDENT, "jakobsberg")]
    again = await follow(person, "jakobsberg")  # already agreed: not offered again
    assert person.t("pulse.optin.offer", station="Jakobsberg") not in again


async def test_no_thanks_stores_nothing_in_the_residents_language(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    person = await started(live_bot.world, catalogs, "en")
    shown = await follow(person, "floda")
    assert person.t("pulse.optin.offer", station="Floda") in shown
    assert "Would you like a short question once a month" in shown
    done = await person.tap(person.t("pulse.optin.no"))
    assert done[-1].text == person.t("pulse.optin.stopped", station="Floda")
    assert consents(bot_settings) == []


async def test_the_subscriptions_list_switches_the_question_per_station(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    person = await started(live_bot.world, catalogs)
    await follow(person, "floda")
    await follow(person, "lerum")
    labels = await subscription_buttons(person)
    assert person.t("pulse.optin.start_btn", station="Floda") in labels
    assert person.t("pulse.optin.start_btn", station="Lerum") in labels
    on = await person.tap(person.t("pulse.optin.start_btn", station="Lerum"))
    assert on[-1].text == person.t("pulse.optin.given", station="Lerum")
    assert consents(bot_settings) == [(RESIDENT, "lerum")]
    labels = await subscription_buttons(person)
    assert person.t("pulse.optin.stop_btn", station="Lerum") in labels
    assert person.t("pulse.optin.start_btn", station="Floda") in labels
    off = await person.tap(person.t("pulse.optin.stop_btn", station="Lerum"))
    assert off[-1].text == person.t("pulse.optin.stopped", station="Lerum")
    assert consents(bot_settings) == []


async def test_to_stop_following_a_station_stops_its_question(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    person = await started(live_bot.world, catalogs)
    await agree(person, "jakobsberg")
    await agree(person, "floda")
    assert consents(bot_settings) == [(RESIDENT, "floda"), (RESIDENT, "jakobsberg")]
    await person.say("/prenumerationer")
    stopped = await person.tap(person.t("follow.stop_btn", station="Jakobsberg"))
    assert "Du följer inte längre Jakobsberg" in stopped[-1].text
    assert consents(bot_settings) == [(RESIDENT, "floda")]


async def test_a_forged_or_stale_opt_in_is_refused_and_stores_nothing(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    person = await started(live_bot.world, catalogs)
    await follow(person, "floda")  # the offer for Floda stays on screen
    for arg in ("jakobsberg", "nowhere", ""):  # not followed, no such station, none at all
        shown = await person.press_forged(callbacks.menu("pon", arg) if arg else "v1:m:pon")
        assert [m.text for m in shown] == [person.t("error.stale")], arg
    assert consents(bot_settings) == []
    await person.say("/prenumerationer")
    await person.tap(person.t("follow.stop_btn", station="Floda"))
    stale = await person.tap(person.t("pulse.optin.yes"))  # the old offer, no longer followed
    assert [m.text for m in stale] == [person.t("error.stale")]
    assert consents(bot_settings) == []


# ------------------------------------------------------------------ /minadata, /radera, purge
async def seed_answers(services: Services, month: str, old: str) -> None:
    """The resident (opted in to Jakobsberg, asked this month and two months ago) answered
    both; a neighbour answered this month."""
    pulse = services.pulse_optin.pulse
    resident = await services.residents.get_by_chat(RESIDENT)
    assert resident is not None
    for m in (old, month):
        key = await pulse.key(m)
        await pulse.ask(resident.id, "jakobsberg", m, [])
        await pulse.answer(pseudonym(key, RESIDENT), "jakobsberg", m, 2 if m == old else 4)
    key = await pulse.key(month)
    await pulse.answer(pseudonym(key, NEIGHBOUR), "jakobsberg", month, 5)
    await pulse.set_category(pseudonym(key, RESIDENT), "jakobsberg", month, "belysning")


async def test_mydata_shows_the_pulse_and_erase_removes_it_in_the_database(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    month = this_month(deployment)
    old = add_months(month, -2)
    async with in_process(emulator, bot_settings, deployment) as app:
        services = services_of(app)
        person = await started(emulator.world, catalogs)
        await agree(person, "jakobsberg")
        await seed_answers(services, month, old)

        data = await my_data(person)
        # An English key like the other fields, apart from the cases' "answers"; stations and
        # categories by id and by name; times in the deployment's local time.
        assert data["stations_asked_about"] == [
            {"station_id": "jakobsberg", "station": "Jakobsberg"}
        ]
        assert [(q["station"], q["month"]) for q in data["questions_sent"]] == [
            ("Jakobsberg", old),
            ("Jakobsberg", month),
        ]
        zone = ZoneInfo(deployment.deployment.timezone)
        for q in data["questions_sent"]:
            at = dt.datetime.fromisoformat(q["asked_at"])
            assert at.utcoffset() == at.astimezone(zone).utcoffset(), q
        answers = {
            (a["station"], a["month"], a["score"], a["category_id"], a["category"])
            for a in data["survey_answers"]
        }
        assert answers == {
            ("Jakobsberg", old, 2, None, None),
            ("Jakobsberg", month, 4, "belysning", "Belysning"),
        }  # not the neighbour's

        await person.say("/radera")
        await person.tap(person.t("privacy.erase_yes"))
        for table in ("pulse_consents", "pulse_asked"):
            assert db_rows(bot_settings, f"SELECT * FROM {table}") == [], table
        left = db_rows(bot_settings, "SELECT pseudonym, month, score FROM pulse_answers")
        neighbour = pseudonym(await services.pulse_optin.pulse.key(month), NEIGHBOUR)
        assert [(r["pseudonym"], r["month"], r["score"]) for r in left] == [(neighbour, month, 5)]


async def test_the_purge_unties_old_answers_which_stay_as_counts(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """A month's key is kept until the end of the following month; then the daily purge
    deletes it and who was asked that month: the answers stay, counted, but neither
    /minadata nor /radera can find them."""
    month = this_month(deployment)
    last, old = add_months(month, -1), add_months(month, -2)
    async with in_process(emulator, bot_settings, deployment) as app:
        services = services_of(app)
        pulse = services.pulse_optin.pulse
        person = await started(emulator.world, catalogs)
        await agree(person, "jakobsberg")
        await seed_answers(services, month, old)
        await pulse.key(last)
        assert sorted(await pulse.keys()) == [old, last, month]

        resident = await services.residents.get_by_chat(RESIDENT)
        assert resident is not None
        await services.purge()
        assert sorted(await pulse.keys()) == [last, month]
        assert [m for _, m, _ in await pulse.asked(resident.id)] == [month]
        data = await my_data(person)
        assert [(a["month"], a["score"]) for a in data["survey_answers"]] == [(month, 4)]
        assert [q["month"] for q in data["questions_sent"]] == [month]

        await person.say("/radera")
        await person.tap(person.t("privacy.erase_yes"))
        counts = await pulse.counts(["jakobsberg"], old, month)
        assert counts == {("jakobsberg", old): {2: 1}, ("jakobsberg", month): {5: 1}}


# ------------------------------------------------------------------ the deployment file
@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ({"sv": "Hur trygg känner du dig vid {plats}?"}, "unknown placeholder {plats}"),
        ({"sv": "Hur trygg är {station} och {}?"}, "unknown placeholder {}"),
        ({"sv": "Hur trygg känner du dig vid {station?"}, "without its pair"),
        ({"so": "Sidee ammaan ugu dareentaa {station}?"}, "'so' is not in sv, en, fi, ar"),
    ],
)
def test_the_deployment_check_refuses_a_question_it_cannot_ask(
    deployment: Deployment, question: dict[str, str], problem: str
) -> None:
    first, *rest = deployment.promises
    asked = first.model_copy(update={"pulse": PulseQuestion(question=question)})
    problems = [
        str(p) for p in find_problems(deployment.model_copy(update={"promises": [asked, *rest]}))
    ]
    assert any(problem in p and ".pulse.question." in p for p in problems), problems


def test_a_question_with_only_the_station_passes_and_a_bad_one_stops_the_file() -> None:
    """The check runs where the file is read: the bot and `trygghetsbot check` refuse it."""
    text = bundled_deployment_path().read_text(encoding="utf-8")
    head, tail = text.split("[[promises.commitments]]", 1)

    def with_question(question: str) -> str:
        pulse = f'[promises.pulse]\nquestion = {{ sv = "{question}" }}\n\n'
        return head + pulse + "[[promises.commitments]]" + tail

    parse_deployment(with_question("Hur trygg känner du dig vid {station} i dag?"), "d.toml")
    with pytest.raises(DeploymentError, match=r"pulse\.question\.sv: unknown placeholder \{namn\}"):
        parse_deployment(with_question("Hur trygg vid {namn}?"), "d.toml")


async def test_the_retention_purge_erases_an_idle_residents_answers_like_radera(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    """An idle resident's identity goes after identity_days; their answers of the months
    whose key is still kept go with it (as with /radera), not left under a live key."""
    dep = deployment.model_copy(
        update={"retention": deployment.retention.model_copy(update={"identity_days": 1})}
    )
    month = this_month(dep)
    async with in_process(emulator, bot_settings, dep) as app:
        services = services_of(app)
        pulse = services.pulse_optin.pulse
        for chat in (RESIDENT, NEIGHBOUR):
            await services.residents.touch(chat)
        await seed_answers(services, month, add_months(month, -2))
        counts = await services.purge(dt.datetime.now(dt.UTC) + dt.timedelta(days=2))
        assert counts["identities"] == 2  # the resident and the neighbour
        assert await services.residents.get_by_chat(RESIDENT) is None
        assert month in await pulse.keys()  # the month's key is still kept
    assert db_rows(bot_settings, "SELECT * FROM pulse_answers WHERE month = ?", month) == []


@pytest.mark.parametrize(
    ("lang", "who_sees"),
    [
        ("sv", "minst 5 svar tillsammans, aldrig ett enskilt svar"),
        ("en", "at least 5 answers together, never a single answer"),
        ("fi", "vähintään viidestä vastauksesta yhdessä"),
        ("ar", "لخمس إجابات على الأقل معًا"),
    ],
)
def test_the_notice_says_who_sees_the_survey_results(
    deployment: Deployment, catalogs: Catalogs, lang: str, who_sees: str
) -> None:
    """Each language's notice says that only shares of at least 5 answers are shown, and the
    offer points to that language's privacy command."""
    assert who_sees in deployment.privacy.notice[lang]
    assert "Telegram" in deployment.privacy.notice[lang].split(who_sees)[0].rsplit("<b>", 1)[1]
    command = {"sv": "/integritet", "en": "/privacy", "fi": "/tietosuoja", "ar": "/privacy"}
    assert command[lang] in catalogs.text(lang, "pulse.optin.offer", station="Floda")
