"""Every message of every catalog, rendered with sample values in every language, obeys the
rules a machine can check: plural forms where a count appears, no field left unfilled, no
stray spaces, balanced HTML, the right Swedish status phrases, numbers and dates by Babel."""

from __future__ import annotations

import datetime as dt
import gettext
import re
import string
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from babel import Locale
from babel.messages.plurals import get_plural

from bot.i18n import (
    SOURCE_LANGUAGE,
    Catalogs,
    Days,
    Message,
    Percent,
    available_languages,
    load_po,
    month_name,
    read_catalog,
    written,
)
from bot.services.stats import duration

LANGUAGES = available_languages()
STATUSES = ("new", "acknowledged", "in_progress", "resolved", "not_actionable", "closed")
#: The counts every plural message is rendered with.
COUNTS = (0, 1, 2, 3, 5, 11, 100)

#: Placeholders that hold a number. A message with one of them is a plural message, unless
#: the number stands where no noun agrees with it (listed below with the reason).
NUMBERS = {
    "count", "total", "rows", "hours", "limit", "done", "saved", "excess", "length",
    "minimum", "maximum", "supporters", "photos", "page", "pages", "percent", "size",
}  # fmt: skip
NOT_COUNTED = {
    ("desk.card", "photos"): "'Foton: 3': a label and its number",
    ("desk.card", "supporters"): "'Håller med: 3': a label and its number",
    ("desk.idea_card", "photos"): "'Foton: 3': a label and its number",
    ("desk.idea_card", "supporters"): "'Håller med: 3': a label and its number",
    ("desk.list_title", "total"): "'Öppna ärenden (3)': the heading's noun is plural anyway",
    ("stats.station", "total"): "'Jakobsberg: 4': a label and its number",
    ("stats.category", "total"): "'• Belysning: 2 (…)': a label and its number",
    ("digest.item", "count"): "'• Belysning: 4' or 'färre än 3': a label and its number",
    ("follow.page", "page"): "'Sida 2 av 5': no noun after the number",
    ("follow.page", "pages"): "'Sida 2 av 5': no noun after the number",
    ("photos.got", "count"): "'(2 av högst 3)': no noun after the number",
    ("photos.got", "limit"): "'(2 av högst 3)': no noun after the number",
    ("photos.album_got", "count"): "'(2 av högst 3)': no noun after the number",
    ("photos.album_got", "limit"): "'(2 av högst 3)': no noun after the number",
    ("photos.album_cut", "saved"): "'2 av 5 foton': the noun agrees with the total",
    ("photos.album_cut", "limit"): "'högst 3' after the sentence: no noun",
    ("promise.outcome", "done"): "'1 av 9 åtaganden': the noun agrees with the total",
    ("error.too_long", "length"): "'(din har 2001)': no noun after the number",
    ("report.description.prompt", "minimum"): "'(20–1000 tecken)': agrees with the maximum",
    ("idea.prompt", "minimum"): "'(20–1000 tecken)': agrees with the maximum",
    ("promise.progress", "percent"): "a percentage, written by Babel",
    ("promise.item_progress", "percent"): "a percentage, written by Babel",
    ("broadcast.general", "percent"): "a percentage, written by Babel",
    ("export.too_big", "size"): "'12 MB': a unit symbol",
    ("cli.export_progress", "done"): "'1 200 av 3 000 ärenden': the noun agrees with the total",
    ("cli.doctor_failed", "count"): "'1 av 7 kontroller': the noun agrees with the total",
}
#: Sample values by placeholder name; any other name gets SAMPLE_TEXT.
SAMPLES: dict[str, object] = {
    "reference": "JKB-0042",
    "station": "Jakobsberg",
    "actor": "Kommunpolisen Järfälla",
    "actors": "kommunen, SL",
    "stations": "Jakobsberg, Kallhäll",
    "name": "Kalle Svensson",
    "note": "Lampan är bytt.",
    "text": "Lamporna är bytta.",
    "date": dt.date(2026, 10, 1),
    "start": dt.date(2019, 1, 1),
    "end": dt.date(2020, 12, 31),
    "received": dt.datetime(2026, 10, 1, 14, 5, tzinfo=ZoneInfo("Europe/Stockholm")),
    "expires": dt.datetime(2026, 10, 8, 14, 5, tzinfo=ZoneInfo("Europe/Stockholm")),
    "case_days": Days(730),
    "photo_days": Days(1),
    "percent": Percent(45),
    "version": "3",
    "row": "12345",
    "median": "4 timmar",
    "p90": "2,1 dygn",
    "bot": "trygghetsbot",
    "code": "A1B2C3",
}
SAMPLE_TEXT = "Exempel"
#: Fields the program may leave empty: the message must read right without them too.
MAY_BE_EMPTY = {("resident.start", "note"), ("resident.reopen", "note")}
SAMPLE_NUMBER = 7


def fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def templates(message: Message) -> tuple[str, ...]:
    return message if isinstance(message, tuple) else (message,)


def sample(name: str) -> object:
    if name in SAMPLES:
        return SAMPLES[name]
    return SAMPLE_NUMBER if name in NUMBERS else SAMPLE_TEXT


class Tags(HTMLParser):
    """Start and end tags in order; `problems` names what does not balance."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.open[-1:] or 'nothing'}")
        else:
            self.open.pop()

    def close(self) -> None:
        super().close()
        self.problems += [f"<{tag}> never closed" for tag in self.open]


def renderings(catalogs: Catalogs, lang: str, key: str) -> Iterator[tuple[str, str]]:
    """(what was rendered, the text) for one message: every count for a plural message."""
    names = {
        name
        for messages in catalogs._messages.values()
        for template in templates(messages.get(key, ""))
        for name in fields(template)
    }
    params = {name: sample(name) for name in names}
    if catalogs.is_plural(key):
        for n in COUNTS:
            counted = {name: n if name in NUMBERS else value for name, value in params.items()}
            yield f"{lang}:{key} n={n}", catalogs.plural(lang, key, n, **counted)
    else:
        yield f"{lang}:{key}", catalogs.text(lang, key, **params)
        for name in names:
            if (key, name) in MAY_BE_EMPTY:
                yield f"{lang}:{key} {name}=''", catalogs.text(lang, key, **{**params, name: ""})


def problems_of(label: str, text: str) -> list[str]:
    found = []
    if "{" in text or "}" in text:
        found.append(f"{label}: a field left unfilled: {text!r}")
    for line in text.split("\n"):
        if line != line.rstrip(" \t\u00a0"):
            found.append(f"{label}: trailing space in {line!r}")
        if "  " in line.lstrip(" "):  # an indented line is fine; two spaces inside are not
            found.append(f"{label}: double space in {line!r}")
    tags = Tags()
    tags.feed(text)
    tags.close()
    found += [f"{label}: {problem}" for problem in tags.problems]
    return found


def plural_problems(catalogs: Catalogs, lang: str) -> list[str]:
    """A number followed by a noun needs a plural message; its forms, the language's count."""
    found = []
    wanted = get_plural(lang).num_plurals
    for key, message in catalogs._messages[lang].items():
        numbers = {name for t in templates(message) for name in fields(t)} & NUMBERS
        counted = {name for name in numbers if (key, name) not in NOT_COUNTED}
        if counted and not isinstance(message, tuple):
            found.append(f"{lang}:{key}: {sorted(counted)} is a count: make it a plural message")
        if isinstance(message, tuple):
            if len(message) != wanted:
                found.append(f"{lang}:{key}: {len(message)} plural forms, {lang} has {wanted}")
            selector = catalogs.selector(key)
            if selector not in {name for t in templates(message) for name in fields(t)}:
                found.append(f"{lang}:{key}: its form is chosen by {{{selector}}}, not in it")
    return found


def all_problems(catalogs: Catalogs) -> list[str]:
    found: list[str] = []
    for lang in catalogs.languages:
        found += plural_problems(catalogs, lang)
        for key in sorted(catalogs._messages[SOURCE_LANGUAGE]):
            for label, text in renderings(catalogs, lang, key):
                found += problems_of(label, text)
    return found


@pytest.fixture(scope="module")
def every() -> Catalogs:
    return Catalogs.load(LANGUAGES)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_message_renders_cleanly_in_every_language(every: Catalogs, lang: str) -> None:
    found: list[str] = plural_problems(every, lang)
    for key in sorted(every._messages[SOURCE_LANGUAGE]):
        for label, text in renderings(every, lang, key):
            found += problems_of(label, text)
    assert found == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_the_plural_rule_is_the_languages(lang: str) -> None:
    """The catalog's Plural-Forms header: Babel's count of forms, and the same split of the
    numbers as the language's CLDR rule (sv, en, fi: 1 / the rest; ar: six forms)."""
    catalog = load_po(lang)
    assert catalog.num_plurals == get_plural(lang).num_plurals
    assert catalog.num_plurals == len(Locale(lang).plural_form.tags | {"other"})
    babel = gettext.c2py(get_plural(lang).plural_expr)
    every = Catalogs.load([lang])
    rule = every._plurals[lang]
    by_form: dict[int, set[str]] = {}
    for n in range(0, 1001):
        assert rule(n) == babel(n), f"{lang}: n={n} takes form {rule(n)}, Babel's is {babel(n)}"
        by_form.setdefault(rule(n), set()).add(Locale(lang).plural_form(n))
    assert all(len(categories) == 1 for categories in by_form.values()), by_form
    assert len(by_form) == catalog.num_plurals


#: Words that must not follow 1, and words that must not follow any other count.
PLURAL_NOUNS = {
    "sv": (
        "ärenden|foton|timmar|dagar|personer|åtaganden",
        "ärende|foto|timme|dag|person|åtagande",
    ),
    "en": (
        "cases|photos|hours|days|people|characters|commitments|recipients",
        "case|photo|hour|day|person|character|commitment|recipient",
    ),
    "fi": (
        "tapausta|kuvaa|päivää|henkilöä|merkkiä|tuntia",
        "tapaus|kuva|päivä|henkilö|merkki|tunti",
    ),
}


def disagreements(lang: str, texts: list[tuple[str, str]]) -> list[str]:
    """Texts where 1 is followed by a plural noun, or another count by a singular one."""
    plural, singular = PLURAL_NOUNS[lang]
    after_one = re.compile(rf"(?<![\d,.\u00a0–])1 ({plural})\b")
    after_more = re.compile(rf"(?<![\d,.\u00a0–])(?!1 )\d+ ({singular})\b")
    wrong = []
    for label, text in texts:
        wrong += [f"{label}: {m.group(0)!r}" for m in after_one.finditer(text)]
        wrong += [f"{label}: {m.group(0)!r}" for m in after_more.finditer(text)]
    return wrong


@pytest.mark.parametrize("lang", sorted(PLURAL_NOUNS))
def test_counted_nouns_agree_with_their_number(every: Catalogs, lang: str) -> None:
    texts = [
        rendered
        for key in sorted(every._messages[SOURCE_LANGUAGE])
        for rendered in renderings(every, lang, key)
    ]
    assert disagreements(lang, texts) == []
    assert every.plural(lang, "stats.title", 1, period="x").endswith(
        {"sv": "1 ärende", "en": "1 case", "fi": "1 tapaus"}[lang]
    )
    assert every.plural(lang, "stats.title", 3, period="x").endswith(
        {"sv": "3 ärenden", "en": "3 cases", "fi": "3 tapausta"}[lang]
    )


#: Hours that round to a whole number shown: Babel must not pick the form from the rest.
ROUNDED_HOURS = [n + d for n in (0, 1, 2, 3, 24) for d in (-0.06, -0.04, 0, 0.04, 0.05)] + [
    24 * n + d for n in (2, 3) for d in (-1.0, 1.0)
]


@pytest.mark.parametrize("lang", sorted(PLURAL_NOUNS))
def test_a_rounded_duration_agrees_with_the_number_shown(lang: str) -> None:
    """The waits in /statistik and `trygghetsbot stats`: 1.04 hours is '1 timme', not
    '1 timmar' (Babel chose the plural form from the unrounded number)."""
    texts = [
        (f"{lang}: {hours:.2f} h", duration(hours, lang)) for hours in ROUNDED_HOURS if hours > 0
    ]
    assert disagreements(lang, texts) == []
    one = {"sv": "1 timme", "en": "1 hour", "fi": "1 tunti"}[lang]
    assert duration(1.04, lang) == one
    assert duration(0.96, lang) == one
    assert duration(1.5, lang) == {"sv": "1,5 timmar", "en": "1.5 hours", "fi": "1,5 tuntia"}[lang]


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_commitment_that_ends_a_sentence_keeps_one_full_stop(every: Catalogs, lang: str) -> None:
    """The monthly digest's change line: the commitment's text ends with '.', so no ':' may
    follow it ('Better lighting in the underpass.: Gjort.')."""
    said = every.text(
        lang, "digest.change", commitment="Bättre belysning i tunneln.", text="Gjort."
    )
    assert not re.search(r"\.\u2069?[:.,;]", said), said
    assert said.count("Bättre belysning i tunneln.") == 1
    assert said.count("Gjort.") == 1


def test_a_case_and_its_status_have_one_word_each(every: Catalogs) -> None:
    """Arabic: a case is بلاغ, as residents read it; حالة (also 'status') is not used for a
    case in statistics, exports and the terminal, and their status headings agree. Finnish
    and Swedish wordings from the issue 18 review."""
    case_as_status = re.compile(r"حال(ة|ات|تان|تين)\b")
    staff_keys = [
        key
        for key in every._messages["ar"]
        if key.startswith(("stats.", "export.", "cli.", "alert.fallback", "alert.refused"))
    ]
    wrong = [
        label
        for key in staff_keys
        for label, text in renderings(every, "ar", key)
        if case_as_status.search(text)
    ]
    assert wrong == []
    status = every.text("ar", "export.column.status")
    assert every.text("ar", "stats.cli.status") == status
    assert status + ":" in every.text("ar", "desk.card", **{n: sample(n) for n in DESK_CARD})
    assert every.text("ar", "export.column.reference") == "رقم البلاغ"
    assert every.text("fi", "export.column.routed_actors") == "Vastaanottajat"
    assert every.text("fi", "export.column.photo_count") == "Kuvien määrä"
    one = every.plural("fi", "promise.outcome", 1, done=1)
    assert "sitoumusta" not in one
    assert one == "Tulos: toteutettuja sitoumuksia 1/1."
    said = every.plural("sv", "stats.to_resolve", 2, median="4 timmar", p90="2,1 dygn")
    assert said.startswith("Tid till åtgärd: median 4 timmar")
    assert every.text("sv", "stats.to_resolve_none").startswith("Tid till åtgärd: ")


DESK_CARD = ("kind", "reference", "station", "category", "place", "times", "description",
             "photos", "supporters", "received", "status", "language")  # fmt: skip


def test_arabic_has_its_six_forms(every: Catalogs) -> None:
    said = [every.plural("ar", "unit.days", n) for n in (0, 1, 2, 3, 11, 100)]
    assert said == [
        "\u20680\u2069 يوم",
        "يوم واحد",
        "يومان",
        "\u20683\u2069 أيام",
        "\u206811\u2069 يومًا",
        "\u2068100\u2069 يوم",
    ]


# (status, sv, en, fi): a case's status as a sentence. Ärende is neuter: "ärendet är
# åtgärdat", never "är åtgärdad"; a status that is a verb phrase has its own sentence.
STATES = [
    ("new", "ärendet är mottaget", "the case has been received", "asia on vastaanotettu"),
    ("acknowledged", "ärendet är läst", "the case has been read", "asia on luettu"),
    ("in_progress", "arbetet med ärendet pågår", "the case is in progress", "asia on työn alla"),
    ("resolved", "ärendet är åtgärdat", "the case is resolved", "asia on korjattu"),
    ("not_actionable", "ärendet kan inte åtgärdas", "the case cannot be acted on",
     "asialle ei voida tehdä mitään"),
    ("closed", "ärendet är avslutat", "the case is closed", "asia on suljettu"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "sv", "en", "fi"), STATES)
def test_a_cases_status_in_a_sentence(
    every: Catalogs, status: str, sv: str, en: str, fi: str
) -> None:
    assert {s for s, *_ in STATES} == set(STATUSES)
    for lang, state in (("sv", sv), ("en", en), ("fi", fi)):
        said = every.text(lang, f"case.is.{status}")
        assert said == state
        illegal = every.text(lang, "desk.illegal", state=said)
        assert illegal.endswith(f": {state}.")
        handled = every.text(lang, "desk.already_handled", reference="JKB-1", actor="X", state=said)
        assert f": {state}. " in handled
    assert every.text("ar", f"case.is.{status}") != every.text("sv", f"case.is.{status}")


def test_no_swedish_sentence_gives_a_case_a_common_gender_status(every: Catalogs) -> None:
    """The desk's sentences about a case, as the desk renders them (handlers/desk.py)."""
    wrong = re.compile(r"ärendet är (mottagen|åtgärdad|avslutad|kan|pågår)\b")
    said = []
    for status in STATUSES:
        state = every.text("sv", f"case.is.{status}")
        said.append(every.text("sv", "desk.illegal", state=state))
        said.append(every.text("sv", "desk.already_handled", reference="A", actor="B", state=state))
    for key in every._messages["sv"]:
        said += [text for _, text in renderings(every, "sv", key)]
    assert [text for text in said if wrong.search(text)] == []


def test_numbers_and_dates_the_languages_way(every: Catalogs) -> None:
    moment = dt.datetime(2026, 10, 1, 14, 5, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert written(1234.5, "sv") == "1\u00a0234,5"
    assert written(1234.5, "en") == "1,234.5"
    assert written(1234.5, "fi") == "1\u00a0234,5"
    assert written(dt.date(2026, 10, 1), "sv") == "1 okt. 2026"
    assert written(dt.date(2026, 10, 1), "fi") == "1.10.2026"
    assert written(moment, "sv") == "1 okt. 2026 14:05"
    assert written(moment, "en") == "Oct 1, 2026, 2:05\u202fPM" or written(moment, "en") == (
        "Oct 1, 2026, 2:05 PM"
    )
    assert written(Percent(45), "sv") == "45\u00a0%"
    assert written(Percent(45), "en") == "45%"
    assert month_name(dt.date(2026, 10, 1), "sv") == "oktober 2026"
    assert month_name(dt.date(2026, 10, 1), "fi") == "lokakuu 2026"
    assert (
        every.text(
            "sv",
            "privacy.short",
            **{n: sample(n) for n in ("recipients", "controller", "contact")},
            case_days=Days(730),
            photo_days=Days(1),
        ).count("i 730 dagar och foton i 1 dag.")
        == 1
    )
    assert every.text(
        "sv",
        "cases.item",
        reference="A",
        kind="rapport",
        station="S",
        status="läst",
        date=dt.date(2026, 10, 1),
    ).endswith("· 1 okt. 2026")


def test_a_plural_message_needs_its_number(every: Catalogs) -> None:
    with pytest.raises(TypeError, match=r"stats\.title is a plural message"):
        every.text("sv", "stats.title", period="x")
    assert every.text("sv", "export.done", rows=1).startswith("1 ärende.")
    assert every.text("sv", "export.done", rows=1234).startswith("1\u00a0234 ärenden.")


def test_the_checks_catch_a_broken_catalog() -> None:
    """The rules above can fail: a catalog with typical mistakes is caught, each one."""
    messages = {lang: dict(read_catalog(lang)) for lang in ("sv", "ar")}
    sv, ar = messages["sv"], messages["ar"]
    sv["stats.title"] = "<b>Statistik {period}</b>\n{count} ärenden"  # not plural: "1 ärenden"
    sv["export.done"] = ("{rows} ärende.", "{rows} ärenden.", "{rows} ärendena.")  # 3 forms
    sv["desk.asked"] = "Frågan om {reference} är skickad. "  # trailing space
    sv["desk.forwarded"] = "{reference} har  skickats vidare till {actor}."  # double space
    sv["summary.report"] = "<b>Kontrollera din rapport"  # tag never closed
    sv["summary.idea"] = "<b>Kontrollera <i>din</b> idé</i>"  # crossed tags
    sv["desk.linked"] = "{reference} är kopplat till: {{commitment}}"  # a field left as is
    ar["unit.days"] = ("{count} يوم", "{count} يوم")  # Arabic has six forms
    broken = Catalogs(
        messages,
        ["sv", "ar"],
        {"sv": lambda n: int(n != 1), "ar": every_rule("ar")},
        {"export.done": "rows", "unit.days": "count"},
    )
    found = "\n".join(all_problems(broken))
    for expected in (
        "sv:stats.title: ['count'] is a count: make it a plural message",
        "sv:export.done: 3 plural forms, sv has 2",
        "sv:desk.asked: trailing space",
        "sv:desk.forwarded: double space",
        "sv:summary.report: <b> never closed",
        "sv:summary.idea: </b> closes ['i']",
        "sv:desk.linked: a field left unfilled",
        "ar:unit.days: 2 plural forms, ar has 6",
    ):
        assert expected in found
    assert all_problems(Catalogs.load(["sv", "ar"])) == []


def every_rule(lang: str) -> Callable[[int], int]:
    return Catalogs.load([lang])._plurals[lang]
