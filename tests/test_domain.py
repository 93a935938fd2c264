"""The pure core, table-driven: station matching, distance, guards, callbacks, draft order."""

from __future__ import annotations

import pytest

from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.guards import looks_like_crime_tip, looks_urgent
from bot.domain.intake import Draft, Step, TextProblem
from bot.domain.stations import distance_km, fold, match_stations, nearest_station


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("jakan", ["jakobsberg"]),
        ("JAKAN", ["jakobsberg"]),
        ("Jakobsbergs station", ["jakobsberg"]),
        ("vargarda", ["vargarda"]),
        ("Vårgårda", ["vargarda"]),
        ("VARGARDA", ["vargarda"]),  # from test_intake's station_by_name_or_alias
        ("lerums station", ["lerum"]),  # from test_intake's station_by_name_or_alias
        ("alingsas", ["alingsas"]),
        ("FLO", ["floda"]),
        ("  floda  ", ["floda"]),
        ("Herrljnga", ["herrljunga"]),  # a typo
        ("ler", ["lerum"]),  # a prefix
        ("Centralen", []),
        ("", []),
    ],
)
def test_match_stations(deployment: Deployment, typed: str, expected: list[str]) -> None:
    assert [s.id for s in match_stations(typed, deployment.stations)] == expected


def test_fold() -> None:
    assert fold(" Vårgårda-Station ") == "vargarda station"


def test_distance_is_great_circle() -> None:
    assert distance_km(59.4239, 17.8328, 59.4239, 17.8328) == 0
    # Alingsås to Floda: about 17 km.
    assert distance_km(57.9271, 12.5325, 57.8097, 12.3614) == pytest.approx(16.4, abs=0.5)


@pytest.mark.parametrize(
    ("lat", "lon", "station", "within"),
    [
        (59.4236, 17.8330, "jakobsberg", True),
        (57.8100, 12.3620, "floda", True),
        (59.3293, 18.0686, "jakobsberg", False),  # Stockholm city
        (55.6050, 13.0038, "herrljunga", False),  # Malmö: far from everything
    ],
)
def test_nearest_station(
    deployment: Deployment, lat: float, lon: float, station: str, within: bool
) -> None:
    nearest = nearest_station(lat, lon, deployment.stations, 5.0)
    assert nearest.station.id == station or not within
    assert nearest.within_reach is within


@pytest.mark.parametrize(
    ("text", "urgent"),
    [
        ("Hjälp! Någon har en kniv", True),
        ("det pågår ett slagsmål", True),
        ("Någon skjuter vid stationen", True),
        ("Det brinner i papperskorgen", True),
        ("Help, it is happening now", True),
        ("someone has a gun", True),
        ("Apua, tappelu asemalla", True),
        ("النجدة", True),
        ("Lamporna i tunneln är trasiga", False),
        ("Asema on pimeä illalla", False),  # Finnish 'asema' (station) is not 'ase' (weapon)
        ("Från perrongen syns ingenting", False),
    ],
)
def test_looks_urgent(text: str, urgent: bool) -> None:
    assert looks_urgent(text) is urgent


@pytest.mark.parametrize(
    ("text", "tip"),
    [
        ("Killen heter Kalle och står där varje kväll", True),
        ("Kalle säljer knark vid entrén", True),
        ("Min granne langar droger bakom kiosken", True),
        # Nobody identified: crime at a place is a report, not a tip (issue 14).
        ("Han säljer knark vid entrén", False),
        ("De langar droger bakom kiosken", False),
        ("Jag vet vem som klottrar", True),
        ("His name is John and he sells drugs", True),
        ("Bilen ABC 123 står alltid där", True),
        ("Ring honom på 070-123 45 67", True),
        ("851012-1234 är den som gör det", True),
        ("Det säljs knark vid perrongen på kvällarna", False),  # about the place, no person
        ("Det är mörkt och öde vid cykelstället", False),
        ("Perrong 3 saknar belysning", False),
    ],
)
def test_looks_like_crime_tip(text: str, tip: bool) -> None:
    assert looks_like_crime_tip(text) is tip


def test_callbacks_round_trip_and_refuse_garbage() -> None:
    data = callbacks.encode("a1b2c3", "cat", "belysning")
    assert data == "v1:a1b2c3:cat:belysning"
    parsed = callbacks.parse(data)
    assert parsed == callbacks.Callback("a1b2c3", "cat", "belysning")
    assert callbacks.parse(callbacks.menu("lang", "fi")) == callbacks.Callback("m", "lang", "fi")
    for bad in ("", None, "v2:m:x", "v1:m", "v1:m:x:y:z", "v1:m:x y", "v1:" + "a" * 70, "💥"):
        assert callbacks.parse(bad) is None
    with pytest.raises(callbacks.CallbackDataError):
        callbacks.encode("m", "x", "a" * 60)


def test_report_order_back_and_edit() -> None:
    draft = Draft(kind="report")
    assert draft.after(Step.STATION) is Step.CATEGORY
    assert draft.after(Step.ME_TOO) is Step.PLACE
    assert draft.after(Step.PHOTOS) is Step.SUMMARY
    assert draft.before(Step.STATION) is None
    assert draft.before(Step.PLACE) is Step.CATEGORY
    assert draft.before(Step.ME_TOO) is Step.CATEGORY
    assert draft.before(Step.SUMMARY) is Step.PHOTOS
    draft.editing = True
    assert draft.after(Step.STATION) is Step.SUMMARY
    idea = Draft(kind="idea")
    assert idea.after(Step.STATION) is Step.IDEA_TEXT
    assert idea.after(Step.IDEA_PHOTO) is Step.SUMMARY


def test_draft_rules_and_round_trip() -> None:
    draft = Draft(kind="report")
    assert draft.missing() == [
        Step.STATION,
        Step.CATEGORY,
        Step.PLACE,
        Step.TIMES,
        Step.DESCRIPTION,
    ]
    with pytest.raises(TextProblem) as short:
        draft.set_description("kort")
    assert short.value.key == "report.description.too_short"
    with pytest.raises(TextProblem) as long:
        draft.set_description("x" * 2001)
    assert long.value.params == {"limit": 2000, "length": 2001}
    draft.toggle_time("night")
    draft.toggle_time("morning")
    assert draft.times == ["morning", "night"]
    draft.toggle_time("night")
    assert draft.times == ["morning"]
    with pytest.raises(TextProblem):
        draft.toggle_time("teatime")
    for n in range(3):
        draft.add_photo(f"p{n}.jpg", "album")
    with pytest.raises(TextProblem):
        draft.add_photo("p4.jpg", None)
    again = Draft.from_dict(draft.to_dict() | {"unknown_old_field": 1})
    assert again == draft


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("Lampan är trasig 👍", None),  # Swedish, words plus emoji
        ("🔥🔥 Det brinner i soptunnan", None),
        ("Valot eivät toimi, täällä on pimeää.", None),  # Finnish
        ("الإنارة معطلة عند الدرج", None),  # Arabic
        ("رصيف ٣ مظلم جدا", None),  # Arabic letters and an Arabic-Indic digit
        ("Buss 112 stannar inte här", None),
        # Digits count as words (a line, a platform, a lamp post's number: "Stolpe 4711"); a
        # bare "112" is refused by the minimum length, not taken for a description.
        ("0701234567", None),
        ("112", "report.description.too_short"),
        ("kort", "report.description.too_short"),  # words, too few: the length rule speaks
        ("👍👍", "report.description.no_words"),
        ("!!!", "report.description.no_words"),
        ("...", "report.description.no_words"),
        ("🔥 🔥 ?", "report.description.no_words"),
        ("!!!!!!!!!!!!", "report.description.no_words"),  # long enough, still no words
        ("🔥 🔥 🔥 🔥 🔥 ?!", "report.description.no_words"),
        # ZWJ sequences (two families)
        ("👨\u200d👩\u200d👧\u200d👦👨\u200d👩\u200d👧\u200d👦", "report.description.no_words"),
        ("👍🏽👍🏽👍🏽👍🏽👍🏽👍🏽", "report.description.no_words"),  # skin tones
        ("🇸🇪🇸🇪🇸🇪🇸🇪🇸🇪🇸🇪", "report.description.no_words"),  # flags
        ("❤️❤️❤️❤️❤️❤️", "report.description.no_words"),  # variation selectors
        ("1️⃣1️⃣2️⃣ 1️⃣1️⃣2️⃣", "report.description.no_words"),  # keycaps hold a digit: emoji
        ("#️⃣#️⃣#️⃣#️⃣#️⃣", "report.description.no_words"),
        ("→→→ ©®™ —–- ***", "report.description.no_words"),  # symbols and dashes
        ("  \n\t  \u3000 ", "report.description.no_words"),  # only white space
    ],
)
def test_a_description_needs_words_in_any_script(text: str, refusal: str | None) -> None:
    draft = Draft(kind="report")
    if refusal is None:
        draft.set_description(text)
        assert draft.description == text.strip()
        return
    with pytest.raises(TextProblem) as problem:
        draft.set_description(text)
    assert problem.value.key == refusal
    assert draft.description is None
