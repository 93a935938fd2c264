"""Resident intake end to end: the real Application talking HTTP to the emulator."""

from __future__ import annotations

import asyncio
import io

import pytest
from PIL import Image

from bot.domain.deployment import Deployment
from bot.emulator import Emulator
from bot.i18n import FSI, PDI, Catalogs
from bot.settings import Settings
from tests.bots import in_process
from tests.images import jpeg
from tests.people import Person, agree, db_rows, to_description

ALICE, BOB = 1001, 1002
KOMMUN_JKB = 100000002  # the file's placeholder trygghetssamordnare at Jakobsberg
JAKOBSBERG = (59.4239, 17.8328)


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (800, 600), (10, 120, 10))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    gps = {1: "N", 2: (59.0, 25.0, 26.0), 3: "E", 4: (17.0, 49.0, 58.0)}
    exif[0x8825] = gps  # GPSInfo
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


async def file_report(
    person: Person,
    *,
    station: str = "Jakobsberg",
    category: str = "Belysning",
    description: str = "Lamporna vid trappan har varit trasiga i flera veckor.",
    consent: bool = True,
) -> str:
    """A complete report with a pin, text place, two times and a photo; returns the last text."""
    await person.say("/start")
    await person.tap(person.t("menu.report"))
    await person.tap(station)
    if consent:
        await agree(person)
    await person.tap(category)
    if person.t("metoo.new") in [b["text"] for b in person.world.last(person.id).inline_buttons]:
        await person.tap(person.t("metoo.new"))
    await person.send_location(59.4236, 17.8330)
    await person.say("Vid trappan upp till perrong 1")
    await person.tap(person.t("times.evening"))
    await person.tap(person.t("times.night"))
    await person.tap(person.t("nav.done"))
    await person.say(description)
    await person.send_photo(jpeg_with_gps())
    await person.tap(person.t("nav.done"))
    await person.tap(person.t("summary.send"))
    return person.last_text()


# ---------------------------------------------------------------------- full flows
async def test_full_report_with_pin_and_photo(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    # The kommun's staff member has opened the bot, so the kommun really gets the card and the
    # confirmation names it (one who never opened it is left out: test_field_staff).
    live_bot.world.user(KOMMUN_JKB, "Trygghetssamordnare").started = True
    replies = await alice.say("/start")
    assert "Ring 112" in replies[0].text
    assert any(alice.t("menu.report") in b["text"] for b in replies[-1].inline_buttons)
    stations = await alice.tap(alice.t("menu.report"))
    assert {"Jakobsberg", "Floda", "Lerum"} <= {b["text"] for b in stations[-1].inline_buttons}
    consent = await alice.tap("Jakobsberg")
    assert "allmän handling" in consent[-1].text
    assert "Telegram sparar chatten" in consent[-1].text
    assert "Lokalpolisområde Järfälla, Järfälla kommun" in consent[-1].text  # who receives it
    await alice.tap(alice.t("privacy.agree"))
    assert "Vad gäller det vid Jakobsberg?" in alice.last_text()
    await alice.tap("Belysning")
    assert alice.last_text().startswith("Var exakt?")
    await alice.send_location(59.4236, 17.8330)
    assert "Platsen är sparad" in alice.last_text()
    await alice.say("Vid trappan upp till perrong 1")
    assert "När känns det otryggt?" in alice.last_text()
    await alice.tap("Kväll")
    await alice.tap("Natt")
    assert sum(b["text"].startswith("✅ ") for b in alice.world.last(ALICE).inline_buttons) == 3
    await alice.tap(alice.t("nav.done"))
    assert "Nämn eller beskriv inte personer" in alice.last_text()
    await alice.say("Lamporna vid trappan har varit trasiga i flera veckor.")
    assert "foton" in alice.last_text()
    got = await alice.send_photo(jpeg_with_gps())
    assert "Foto mottaget (1 av högst 3)" in got[-1].text
    summary = await alice.tap(alice.t("nav.done"))
    text = summary[-1].text
    for expected in ("Jakobsberg", "Belysning", "perrong 1 + plats-pin", "Kväll, Natt", "Foton: 1"):
        assert expected in text
    done = await alice.tap(alice.t("summary.send"))
    assert "JKB-0001" in done[-1].text
    assert "Järfälla kommun" in done[-1].text  # routed partner named
    (case,) = db_rows(bot_settings, "SELECT * FROM cases WHERE reference = 'JKB-0001'")
    assert case["kind"] == "report"
    assert case["station_id"] == "jakobsberg"
    assert case["category"] == "belysning"
    assert case["place_text"] == "Vid trappan upp till perrong 1"
    assert (case["lat"], case["lon"]) == pytest.approx((59.4236, 17.8330))
    assert case["times"] == '["evening", "night"]'
    assert case["description"] == "Lamporna vid trappan har varit trasiga i flera veckor."
    assert case["language"] == "sv"
    (photo,) = db_rows(bot_settings, "SELECT path FROM case_photos WHERE case_id = ?", case["id"])
    stored = bot_settings.media_dir / photo["path"]
    with Image.open(stored) as image:
        assert image.getexif() == {}  # GPS and camera data stripped
        assert image.size == (800, 600)
    (consent_row,) = db_rows(bot_settings, "SELECT notice_version FROM consents")
    assert consent_row["notice_version"] == "2026-12-02"
    (resident,) = db_rows(bot_settings, "SELECT * FROM residents")
    assert resident["home_station"] == "jakobsberg"  # remembered
    assert "Person" not in str(dict(case))  # no Telegram name stored with the case


async def test_idea_with_typed_station(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/ide")
    await alice.say("vargarda")  # no diacritics, lower case
    await agree(alice)
    assert "tryggare vid Vårgårda" in alice.last_text()
    await alice.say("Bättre belysning på cykelparkeringen och en väktare på kvällarna.")
    assert alice.t("idea.photo.prompt") in alice.last_text()
    summary = await alice.tap(alice.t("nav.skip"))
    assert "Kontrollera din idé" in summary[-1].text
    done = await alice.tap(alice.t("summary.send"))
    assert "VGD-0001" in done[-1].text
    (case,) = db_rows(bot_settings, "SELECT * FROM cases")
    assert (case["reference"], case["kind"], case["category"]) == ("VGD-0001", "idea", None)
    assert case["description"].startswith("Bättre belysning")


@pytest.mark.parametrize("lang", ["en", "ar"])
async def test_report_and_idea_in_other_languages(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs, lang: str
) -> None:
    person = Person(live_bot.world, ALICE, catalogs, lang=lang)
    category = catalogs.text(lang, "language.name") and "Lighting" if lang == "en" else "الإضاءة"
    welcome = await person.say("/start")
    assert ("Call 112" if lang == "en" else "اتصل بالرقم") in welcome[0].text
    text = await file_report(person, category=category, description="Dark stairs, broken lamps.")
    assert "JKB-0001" in text
    if lang == "ar":
        assert f"{FSI}JKB-0001{PDI}" in text  # isolated, so it reads correctly in RTL
        assert "شكرًا" in text
    else:
        assert "Your report has number JKB-0001" in text
    await person.say("/idea")
    await person.tap("Floda")
    await person.say("More light in the underpass, please.")
    await person.tap(person.t("nav.skip"))
    done = await person.tap(person.t("summary.send"))
    assert "FLO-0001" in done[-1].text
    rows = db_rows(bot_settings, "SELECT reference, language FROM cases ORDER BY id")
    assert [(r["reference"], r["language"]) for r in rows] == [
        ("JKB-0001", lang),
        ("FLO-0001", lang),
    ]


@pytest.mark.parametrize("lang", ["sv", "ar"])
@pytest.mark.parametrize("partner", [False, True], ids=["police-only", "with-partner"])
async def test_the_confirmation_names_only_who_receives_the_report(
    live_bot: Emulator, catalogs: Catalogs, lang: str, partner: bool
) -> None:
    """Newcomer review: with no partner receiving it, the confirmation named the station as if
    it were a recipient ("Den går nu till kommunpolisen och Jakobsberg."). Now it names the
    kommunpolis alone ("Annat" is routed to no partner); a lighting report reaching the kommun
    (its staff member opened the bot) names both."""
    live_bot.world.user(KOMMUN_JKB, "Trygghetssamordnare").started = True
    person = Person(live_bot.world, ALICE, catalogs, lang=lang)
    category = {
        ("sv", True): "Belysning",
        ("ar", True): "الإضاءة",
        ("sv", False): "Annat",
        ("ar", False): "أخرى",
    }[lang, partner]
    text = await file_report(person, category=category, description="Dark stairs, no lamps.")
    assert "JKB-0001" in text
    assert "Jakobsberg" not in text  # the station is no recipient
    police_only = {
        "sv": "Den går nu till kommunpolisen. Du får besked här när något händer, och du hittar "
        "den under Mina ärenden.",
        "ar": "يصل الآن إلى شرطي البلدية. ستصلك أخبار هنا عندما يحدث شيء، وستجده تحت «بلاغاتي».",
    }[lang]
    lines = text.replace(FSI, "").replace(PDI, "").splitlines()
    if partner:
        sv_line = "Den går nu till kommunpolisen och Järfälla kommun."
        ar_line = "يصل الآن إلى شرطي البلدية وJärfälla kommun."
        assert any(line.startswith(sv_line if lang == "sv" else ar_line) for line in lines), text
        assert police_only not in lines
    else:
        assert police_only in lines, text
        assert "Järfälla kommun" not in text


# ---------------------------------------------------------------------- stations
async def test_station_by_location_confirmed_and_too_far(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    far = await alice.send_location(59.3293, 18.0686)  # Stockholm city, ~14 km away
    assert "från närmaste station (Jakobsberg)" in far[-1].text
    assert "Välj en av dem" in far[-1].text
    near = await alice.send_location(57.8100, 12.3620)
    assert "Närmaste station är Floda" in near[-1].text
    assert " m bort" in near[-1].text
    await alice.tap("Ja, Floda")
    await agree(alice)
    assert "Vad gäller det vid Floda?" in alice.last_text()


async def test_station_by_name_or_alias(live_bot: Emulator, catalogs: Catalogs) -> None:
    """A typed name or alias picks the station (which texts match which station is a pure
    rule, tabled in test_domain.test_match_stations)."""
    for user, typed, station in ((ALICE, "jakan", "Jakobsberg"), (BOB, "Vårgårda", "Vårgårda")):
        person = Person(live_bot.world, user, catalogs)
        await person.say("/rapport")
        await person.say(typed)
        await agree(person)
        assert f"Vad gäller det vid {station}?" in person.last_text()


async def test_unknown_station_name_is_said_plainly(live_bot: Emulator, catalogs: Catalogs) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    reply = await alice.say("Centralen")
    assert "Jag hittar ingen station som heter ”Centralen”" in reply[-1].text
    assert {b["text"] for b in reply[-1].inline_buttons} >= {"Jakobsberg", "Floda"}


# ---------------------------------------------------------------------- me too
async def test_me_too_adds_support_instead_of_a_duplicate(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice, bob = Person(live_bot.world, ALICE, catalogs), Person(live_bot.world, BOB, catalogs)
    assert "JKB-0001" in await file_report(alice)
    await bob.say("/rapport")
    await bob.tap("Jakobsberg")
    await agree(bob)
    offer = await bob.tap("Belysning")
    assert "Det finns redan öppna rapporter" in offer[-1].text
    assert "JKB-0001: Lamporna vid trappan" in offer[-1].text
    done = await bob.tap("Håll med JKB-0001")
    assert "Nu håller 1 person med" in done[-1].text  # the plural message's form for 1
    assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM cases")[0]["n"] == 1
    assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM case_supporters")[0]["n"] == 1
    mine = await bob.say("/arenden")
    assert "JKB-0001" in mine[-1].text
    assert "du håller med" in mine[-1].text


# ---------------------------------------------------------------------- guards
async def test_emergency_text_gets_112_and_the_flow_continues(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    await alice.tap("Jakobsberg")
    await agree(alice)
    replies = await alice.say("Hjälp! Det pågår ett slagsmål just nu")
    assert "Ring 112" in replies[0].text
    # Still at the category step; an emergency is not kept for a later step (issue 19,
    # item 7; review N3): the 112 notice, and the step's question again.
    assert replies[-1].text.startswith("Vad gäller det vid Jakobsberg?")
    await alice.tap("Belysning")
    assert alice.last_text().startswith("Var exakt?")
    outside = Person(live_bot.world, BOB, catalogs)
    replies = await outside.say("help, someone has a knife")
    assert "Ring 112" in replies[0].text


async def test_crime_tip_is_redirected_and_never_stored(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_description(alice, "Jakobsberg", "Annat", "Vid busshållplatsen")
    tip = await alice.say("Killen heter Kalle Andersson och säljer knark vid entrén")
    assert "Tips om brott tar vi inte emot här" in tip[-1].text
    assert "114 14" in tip[-1].text
    assert "Beskriv gärna platsen" in tip[-1].text
    ok = await alice.say("Entrén är mörk och det samlas ofta folk där sent på kvällen.")
    assert "foton" in ok[-1].text  # the flow went on from the same step
    await alice.tap(alice.t("nav.skip"))
    await alice.tap(alice.t("summary.send"))
    dump = str([dict(r) for r in db_rows(bot_settings, "SELECT * FROM cases")])
    assert "Kalle" not in dump
    assert "knark" not in dump


async def test_a_description_of_only_emoji_asks_for_words(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    """Emoji or punctuation alone is refused with one line in the resident's language; the
    step stays, and a description in words goes on."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_description(alice, "Jakobsberg", "Annat", "Vid busshållplatsen")
    for typed in ("👍👍", "🔥 🔥 🔥 🔥 🔥 ?!", "!!!!!!!!!!!!"):
        replies = await alice.say(typed)
        assert [r.text for r in replies] == [alice.t("report.description.no_words")], typed
        assert "ord" in replies[0].text
    await alice.say("Det är mörkt vid busshållplatsen 🔥")
    assert "foton" in alice.last_text()  # the flow went on from the description step
    await alice.tap(alice.t("nav.skip"))
    await alice.tap(alice.t("summary.send"))
    (case,) = db_rows(bot_settings, "SELECT description FROM cases")
    assert case["description"] == "Det är mörkt vid busshållplatsen 🔥"
    bob = Person(live_bot.world, BOB, catalogs, lang="ar")  # an idea, in Arabic
    await bob.say("/idea")
    await bob.tap("Floda")
    await agree(bob)
    replies = await bob.say("👍👍👍👍👍👍")
    assert [r.text for r in replies] == [bob.t("report.description.no_words")]
    assert "بالكلمات" in replies[0].text
    await bob.say("إضاءة أكثر في النفق من فضلكم")
    assert bob.t("idea.photo.prompt") in bob.last_text()


async def test_non_text_where_text_is_expected_reprompts(
    live_bot: Emulator, catalogs: Catalogs
) -> None:
    """Each kind of non-text message, one after the other at the same step, in one bot."""
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_description(alice, "Floda", "Perrong / plattform", "Södra änden av perrongen", "Natt")
    for kind in ("sticker", "voice", "video", "contact", "document", "dice"):
        replies = await alice.send_other(kind)
        assert replies, f"the bot never stays silent ({kind})"
        assert "Skriv svaret som text" in replies[-1].text, kind
        assert "Vad gör platsen otrygg?" in replies[-1].text, kind
    await alice.say("Perrongen är öde och dåligt upplyst på natten.")
    assert "foton" in alice.last_text()


async def test_too_long_text_says_the_limit(live_bot: Emulator, catalogs: Catalogs) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/ide")
    await alice.tap("Lerum")
    await agree(alice)
    reply = await alice.say("x" * 2001)
    assert "högst 2\u00a0000 tecken (din har 2\u00a0001)" in reply[-1].text  # Babel's grouping
    short = await alice.say("kort")
    assert "minst 10 tecken" in short[-1].text
    await alice.say("En bra idé som är lagom lång.")
    assert alice.t("idea.photo.prompt") in alice.last_text()


async def test_cancel_everywhere_and_stale_buttons(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    old_station_prompt, old_data = alice.button("Jakobsberg")
    await alice.tap("Jakobsberg")
    await agree(alice)
    cancelled = await alice.say("/avbryt")
    assert "Avbrutet. Inget har skickats." in cancelled[0].text
    # A button from the cancelled draft has expired instead of acting.
    category_message, category_data = alice.button("Belysning")
    await alice.press(category_message, category_data)
    assert "gått ut" in alice.answer()
    assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM cases")[0]["n"] == 0
    nothing = await alice.say("/avbryt")
    assert "Det finns inget att avbryta" in nothing[-1].text
    # A new draft does not accept the old draft's buttons either (an old client may still
    # show them, so the press is sent as it was).
    await alice.say("/rapport")
    alice._mark = alice.mark()
    alice.last_query = live_bot.world.press(ALICE, old_station_prompt.id, old_data, forge=True)
    await alice.settle()
    assert "gått ut" in alice.answer()
    # Forged callback data is refused the same way.
    alice._mark = alice.mark()
    alice.last_query = live_bot.world.press(
        ALICE, category_message.id, "v1:zzzzzz:cat:x", forge=True
    )
    await alice.settle()
    assert "gått ut" in alice.answer()


async def test_back_and_edit_from_summary(live_bot: Emulator, catalogs: Catalogs) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/rapport")
    await alice.tap("Alingsås")
    await agree(alice)
    await alice.tap(alice.t("nav.back"))
    assert alice.last_text().startswith("Vilken station")
    await alice.tap("Lerum")
    await alice.tap("Nedskräpning")
    await alice.say("Cykelparkeringen")
    await alice.tap(alice.t("nav.continue"))
    await alice.tap("Helger")
    await alice.tap(alice.t("nav.done"))
    await alice.say("Mycket skräp och krossat glas.")
    await alice.tap(alice.t("nav.skip"))
    await alice.tap(alice.t("summary.edit"))
    await alice.tap(alice.t("field.description"))
    summary = await alice.say("Mycket skräp, krossat glas och trasiga cyklar.")
    assert "trasiga cyklar" in summary[-1].text
    assert "Kontrollera din rapport" in summary[-1].text
    done = await alice.tap(alice.t("summary.send"))
    assert "LRM-0001" in done[-1].text


async def test_album_counts_as_one_step(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await to_description(alice, "Herrljunga", "Gångtunnel / passage", "Gångtunneln under spåren")
    await alice.say("Tunneln är mörk och lång och det luktar illa.")
    replies = await alice.send_album([jpeg(), jpeg(color=(1, 2, 3)), jpeg(color=(9, 9, 9))])
    assert "Kontrollera din rapport" in replies[-1].text  # three photos: on to the summary
    assert "Foton: 3" in replies[-1].text
    more = await alice.send_photo(jpeg())
    assert "Välj ett av alternativen" in more[-1].text
    await alice.tap(alice.t("summary.send"))
    assert db_rows(bot_settings, "SELECT COUNT(*) AS n FROM case_photos")[0]["n"] == 3


# ---------------------------------------------------------------------- menu and settings
async def test_language_picker_settings_and_privacy(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    await alice.say("/start")
    await alice.tap("Språk / Language")
    done = await alice.tap("Suomi")
    assert "Kirjoitan nyt suomeksi" in done[0].text
    assert "Mitä haluat tehdä?" in done[-1].text
    alice.lang = "fi"
    settings = await alice.say("/installningar")
    assert "Kieli: Suomi" in settings[-1].text
    await alice.tap("Vaihda kotiasema")
    home = await alice.tap("Floda")
    assert "Kotiasemasi on nyt Floda" in home[-1].text
    promise = await alice.say("/lofte")
    assert "Samverkan för en tryggare kollektivtrafik" in promise[-1].text
    assert "Väktare vid Lerums och Herrljunga station" not in promise[-1].text  # not at Floda
    notice = await alice.say("/integritet")
    assert "Kuka vastaa?" in notice[-1].text
    (row,) = db_rows(bot_settings, "SELECT language, home_station FROM residents")
    assert (row["language"], row["home_station"]) == ("fi", "floda")


async def test_text_outside_a_flow_gets_the_menu(live_bot: Emulator, catalogs: Catalogs) -> None:
    alice = Person(live_bot.world, ALICE, catalogs)
    replies = await alice.say("hej")
    assert "Jag förstod inte riktigt" in replies[-1].text
    assert replies[-1].inline_buttons
    replies = await alice.say("/okant")
    assert "Jag förstod inte riktigt" in replies[-1].text


# ---------------------------------------------------------------------- restart and concurrency
async def test_draft_survives_a_restart(
    emulator: Emulator, bot_settings: Settings, deployment: Deployment, catalogs: Catalogs
) -> None:
    alice = Person(emulator.world, ALICE, catalogs)
    async with in_process(emulator, bot_settings, deployment):
        await alice.say("/rapport")
        await alice.tap("Alingsås")
        await agree(alice)
        await alice.tap("Klotter och skadegörelse")
        await alice.say("Väggen vid cykelstället")
        await alice.tap(alice.t("nav.continue"))
        await alice.tap("Natt")
        await alice.tap(alice.t("nav.done"))
        assert "Vad gör platsen otrygg?" in alice.last_text()
    # A new process would see exactly this: a new Application on the same database.
    async with in_process(emulator, bot_settings, deployment):
        await alice.say("Väggen är full av klotter och det känns övergivet.")
        assert "foton" in alice.last_text()
        await alice.tap(alice.t("nav.skip"))
        summary = alice.last_text()
        assert "Väggen vid cykelstället" in summary
        assert "Natt" in summary
        done = await alice.tap(alice.t("summary.send"))
        assert "ALS-0001" in done[-1].text


async def test_two_residents_interleaving(
    live_bot: Emulator, bot_settings: Settings, catalogs: Catalogs
) -> None:
    world = live_bot.world
    alice, bob = Person(world, ALICE, catalogs), Person(world, BOB, catalogs)

    async def report(person: Person, station: str, category: str, words: str) -> None:
        await person.say("/rapport")
        await person.tap(station)
        await agree(person)
        await person.tap(category)
        await person.say(f"Platsen för {words}")
        await person.tap(person.t("nav.continue"))
        await person.tap("Morgon")
        await person.tap(person.t("nav.done"))
        await person.say(f"Beskrivning av {words}, tillräckligt lång.")
        await person.tap(person.t("nav.skip"))
        await person.tap(person.t("summary.send"))

    await asyncio.gather(
        report(alice, "Floda", "Belysning", "alice"),
        report(bob, "Floda", "Klotter och skadegörelse", "bob"),
    )
    rows = db_rows(bot_settings, "SELECT reference, category, description, place_text FROM cases")
    by_text = {r["description"]: r for r in rows}
    assert set(by_text) == {
        "Beskrivning av alice, tillräckligt lång.",
        "Beskrivning av bob, tillräckligt lång.",
    }
    assert by_text["Beskrivning av alice, tillräckligt lång."]["category"] == "belysning"
    assert by_text["Beskrivning av alice, tillräckligt lång."]["place_text"] == "Platsen för alice"
    assert by_text["Beskrivning av bob, tillräckligt lång."]["category"] == "klotter"
    assert sorted(r["reference"] for r in rows) == ["FLO-0001", "FLO-0002"]
