"""Message catalogs: every text a resident or officer reads comes from here.

Catalogs are gettext PO files in `locales/<lang>.po`, keyed by message ids such as
`start.welcome`, so translators can work in Poedit or Weblate without touching code.
Swedish is the source language and the fallback for any missing message.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from importlib import resources

from babel.messages.pofile import read_po

SOURCE_LANGUAGE = "sv"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
#: Unicode first-strong isolate and pop: keep Latin names and references readable in RTL text.
FSI, PDI = "\u2068", "\u2069"


class Safe(str):
    """Text that is already HTML (escaped where needed); inserted into messages as is."""

    __slots__ = ()


class Catalogs:
    """All loaded catalogs; `text(lang, key, **params)` renders one message."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]], languages: Iterable[str]):
        self._messages = messages
        self.languages = tuple(languages)

    @classmethod
    def load(cls, languages: Iterable[str]) -> Catalogs:
        """Load the PO catalog of each language (the source language always)."""
        wanted = list(dict.fromkeys([SOURCE_LANGUAGE, *languages]))
        messages = {lang: read_catalog(lang) for lang in wanted}
        return cls(messages, wanted)

    def resolve_language(self, code: str | None) -> str:
        """Map a Telegram language code ('en-GB', 'fi') to a supported language."""
        if code:
            base = code.split("-")[0].split("_")[0].lower()
            if base in self.languages:
                return base
        return SOURCE_LANGUAGE

    def keys(self, lang: str) -> set[str]:
        return set(self._messages.get(lang, {}))

    def text(self, lang: str, key: str, **params: object) -> str:
        """The message `key` in `lang`, falling back to Swedish, with `{name}` fields filled.

        Messages are HTML: parameters are escaped unless they are `Safe`. In right-to-left
        languages each parameter is isolated so that 'JKB-0042' or 'Jakobsberg' keep their
        order inside Arabic text.
        """
        template = self._messages.get(lang, {}).get(key) or self._messages[SOURCE_LANGUAGE][key]
        if not params:
            return template
        rtl = lang in RTL_LANGUAGES
        values = {name: _param(value, rtl) for name, value in params.items()}
        return template.format(**values)

    def is_rtl(self, lang: str) -> bool:
        return lang in RTL_LANGUAGES


def _param(value: object, rtl: bool) -> str:
    if isinstance(value, Safe):
        return str(value)
    text = html.escape(str(value), quote=False)
    return f"{FSI}{text}{PDI}" if rtl else text


def available_languages() -> list[str]:
    """Languages with a catalog shipped in the package."""
    folder = resources.files("bot.i18n").joinpath("locales")
    return sorted(p.name.removesuffix(".po") for p in folder.iterdir() if p.name.endswith(".po"))


def read_catalog(lang: str) -> dict[str, str]:
    """Read one PO catalog into {message id: translation}; untranslated entries are left out."""
    path = resources.files("bot.i18n").joinpath("locales", f"{lang}.po")
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }
