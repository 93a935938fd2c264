"""Message catalogs: complete in every shipped language, with valid placeholders and HTML."""

from __future__ import annotations

import string

import pytest

from bot.emulator.markup import parse_html
from bot.i18n import SOURCE_LANGUAGE, Catalogs, Message, available_languages, read_catalog

LANGUAGES = available_languages()


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def forms(message: Message) -> tuple[str, ...]:
    """The templates of a message: one, or one per plural form."""
    return message if isinstance(message, tuple) else (message,)


def test_the_four_languages_ship() -> None:
    assert set(LANGUAGES) >= {"sv", "en", "fi", "ar"}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_key_present_in_every_language(lang: str) -> None:
    source = read_catalog(SOURCE_LANGUAGE)
    catalog = read_catalog(lang)
    assert set(source) - set(catalog) == set(), f"missing in {lang}.po"
    assert set(catalog) - set(source) == set(), f"only in {lang}.po, not in sv.po"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_and_html_match_the_source(lang: str) -> None:
    source = read_catalog(SOURCE_LANGUAGE)
    for key, message in read_catalog(lang).items():
        wanted = set().union(*map(fields, forms(source[key])))
        assert isinstance(message, tuple) == isinstance(source[key], tuple), f"{lang}:{key} plural?"
        # A plural form may leave its number out ("حالة واحدة": one case), never add a field.
        assert set().union(*map(fields, forms(message))) == wanted, f"{lang}:{key} placeholders"
        for text in forms(message):
            assert fields(text) <= wanted, f"{lang}:{key} placeholders differ"
            filled = text.format(**{name: "x" for name in fields(text)})
            parse_html(filled)  # raises if Telegram would refuse the markup


def test_arabic_is_arabic_script() -> None:
    welcome = read_catalog("ar")["start.welcome"]
    assert isinstance(welcome, str)
    assert sum("\u0600" <= ch <= "\u06ff" for ch in welcome) > len(welcome) / 3


def test_language_resolution_and_fallback() -> None:
    catalogs = Catalogs.load(["sv", "en"])
    assert catalogs.resolve_language("en-US") == "en"
    assert catalogs.resolve_language("fi") == "sv"  # not enabled in this deployment
    assert catalogs.resolve_language(None) == "sv"
    assert catalogs.text("en", "commands.help") == "Help and important numbers"
