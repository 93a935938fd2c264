"""Message catalogs: every text a resident or officer reads comes from here.

Catalogs are gettext PO files in `locales/<lang>.po`, keyed by message ids such as
`start.welcome`, so translators can work in Poedit or Weblate without touching code.
Swedish is the source language and the fallback for any missing message.

A message where a number is followed by a noun ("3 ärenden") is a plural message: PO's
`msgid_plural` with one `msgstr[i]` per form of the language's `Plural-Forms` header
(Swedish, English and Finnish have two, Arabic six). The form is chosen by the parameter
named in the entry's `#. plural: {name}` comment (default `{count}`), with the header's rule.
Numbers, percentages, dates and times in parameters are written the language's way by Babel
(decimal comma and "1 okt. 2026" in Swedish).
"""

from __future__ import annotations

import copy
import datetime as dt
import gettext
import html
import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from importlib import resources
from typing import Self

from babel import Locale
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent

SOURCE_LANGUAGE = "sv"
RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})
#: Unicode first-strong isolate and pop: keep Latin names and references readable in RTL text.
FSI, PDI = "\u2068", "\u2069"
#: A message: one template, or one per plural form of its language.
Message = str | tuple[str, ...]
#: The parameter that chooses a plural message's form when the entry names none.
COUNT = "count"
_SELECTOR = re.compile(r"plural: \{(\w+)\}")


class Safe(str):
    """Text that is already HTML (escaped where needed); inserted into messages as is."""

    __slots__ = ()


class Percent(float):
    """A percentage (45 means 45 %), written the language's way: '45 %', '45%', '45٪'."""

    __slots__ = ()


class Days(int):
    """A number of days with its unit, in the right form ('1 dag', '730 dagar'): the plural
    message `unit.days`."""

    __slots__ = ()


class Catalogs:
    """All loaded catalogs; `text(lang, key, **params)` renders one message."""

    def __init__(
        self,
        messages: Mapping[str, Mapping[str, Message]],
        languages: Iterable[str],
        plurals: Mapping[str, Callable[[int], int]] | None = None,
        selectors: Mapping[str, str] | None = None,
    ):
        self._messages = messages
        self.languages = tuple(languages)
        self._plurals = dict(plurals or {})
        self._selectors = dict(selectors or {})

    @classmethod
    def load(cls, languages: Iterable[str]) -> Catalogs:
        """Load the PO catalog of each language (the source language always)."""
        wanted = list(dict.fromkeys([SOURCE_LANGUAGE, *languages]))
        files = {lang: load_po(lang) for lang in wanted}
        return cls(
            {lang: messages(catalog) for lang, catalog in files.items()},
            wanted,
            {lang: plural_rule(catalog) for lang, catalog in files.items()},
            selectors(files[SOURCE_LANGUAGE]),
        )

    def stored_or(self, language: str | None, default: str) -> str:
        """A stored language (a resident's) when there is a catalog for it, else `default`."""
        return language if language is not None and language in self.languages else default

    def resolve_language(self, code: str | None) -> str:
        """Map a Telegram language code ('en-GB', 'fi') to a supported language."""
        if code:
            base = code.split("-")[0].split("_")[0].lower()
            if base in self.languages:
                return base
        return SOURCE_LANGUAGE

    def keys(self, lang: str) -> set[str]:
        return set(self._messages.get(lang, {}))

    def is_plural(self, key: str) -> bool:
        return isinstance(self._messages[SOURCE_LANGUAGE].get(key), tuple)

    def selector(self, key: str) -> str:
        """The parameter whose number chooses the plural form of `key`."""
        return self._selectors.get(key, COUNT)

    def text(self, lang: str, key: str, **params: object) -> str:
        """The message `key` in `lang`, falling back to Swedish, with `{name}` fields filled.

        Messages are HTML: parameters are escaped unless they are `Safe`. In right-to-left
        languages each parameter is isolated so that 'JKB-0042' or 'Jakobsberg' keep their
        order inside Arabic text. A plural message takes its form from its selector parameter.
        """
        found = self._messages.get(lang, {}).get(key)
        source = lang if found else SOURCE_LANGUAGE
        message = found or self._messages[SOURCE_LANGUAGE][key]
        if isinstance(message, tuple):
            name = self.selector(key)
            n = params.get(name)
            if not isinstance(n, int) or isinstance(n, bool):
                raise TypeError(f"{key} is a plural message: give {name}= a whole number")
            rule = self._plurals.get(source) or _default_rule
            template = message[min(rule(abs(n)), len(message) - 1)]
        else:
            template = message
        if not params:
            return template
        rtl = lang in RTL_LANGUAGES
        values = {name: self._param(value, lang, rtl) for name, value in params.items()}
        return template.format(**values)

    def param(self, lang: str, value: object) -> Safe:
        """One parameter as `text` inserts it: escaped, isolated in right-to-left languages."""
        return Safe(self._param(value, lang, lang in RTL_LANGUAGES))

    def _param(self, value: object, lang: str, rtl: bool) -> str:
        if isinstance(value, Safe):
            return str(value)
        if isinstance(value, Days):
            text = self.plural(lang, "unit.days", int(value))
        else:
            text = html.escape(written(value, lang), quote=False)
        return f"{FSI}{text}{PDI}" if rtl else text

    def plural(self, lang: str, key: str, n: int, **params: object) -> str:
        """The plural message `key` in the form for `n` (also its selector, unless given)."""
        params.setdefault(self.selector(key), n)
        return self.text(lang, key, **params)

    def is_rtl(self, lang: str) -> bool:
        return lang in RTL_LANGUAGES


def _default_rule(n: int) -> int:
    return int(n != 1)


def written(value: object, lang: str) -> str:
    """A parameter as text in `lang`: numbers, percentages, dates and times by Babel."""
    if isinstance(value, bool | str):
        return str(value)
    if isinstance(value, Percent):
        return format_percent(float(value) / 100, locale=lang)
    if isinstance(value, int | float | Decimal):
        return format_decimal(value, locale=lang)
    if isinstance(value, dt.datetime):
        return date_time(value, lang)
    if isinstance(value, dt.date):
        return format_date(value, "medium", locale=lang)
    return str(value)


def date_time(moment: dt.datetime, lang: str) -> str:
    """A date and time to the minute, as written in `lang` ('1 okt. 2026 14:05'), in the
    moment's own time zone (convert to the deployment's first)."""
    pattern = Locale.parse(lang).datetime_formats["medium"]
    date = format_date(moment, "medium", locale=lang)
    time = format_time(moment, "short", locale=lang)
    return str(pattern).replace("'", "").replace("{1}", date).replace("{0}", time)


def month_name(day: dt.date, lang: str) -> str:
    """The month of `day` with its year, as written in `lang`: 'oktober 2026', 'lokakuu 2026'."""
    return format_skeleton("yMMMM", day, locale=lang)


def available_languages() -> list[str]:
    """Languages with a catalog shipped in the package."""
    folder = resources.files("bot.i18n").joinpath("locales")
    return sorted(p.name.removesuffix(".po") for p in folder.iterdir() if p.name.endswith(".po"))


def load_po(lang: str) -> Catalog:
    """One PO catalog as Babel reads it (its header gives the plural rule)."""
    path = resources.files("bot.i18n").joinpath("locales", f"{lang}.po")
    with path.open("rb") as handle:
        return read_po(handle, locale=lang)


def messages(catalog: Catalog) -> dict[str, Message]:
    """{message id: template, or the templates of each plural form}; untranslated entries
    (any form empty) and fuzzy ones are left out."""
    out: dict[str, Message] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if isinstance(message.id, tuple | list):
            forms = tuple(str(form) for form in message.string or ())
            if forms and all(forms):
                out[str(message.id[0])] = forms
        elif message.string:
            out[str(message.id)] = str(message.string)
    return out


def selectors(catalog: Catalog) -> dict[str, str]:
    """The `#. plural: {name}` comment of each plural entry that names its selector."""
    out: dict[str, str] = {}
    for message in catalog:
        if isinstance(message.id, tuple | list):
            for comment in message.auto_comments:
                found = _SELECTOR.search(comment)
                if found:
                    out[str(message.id[0])] = found.group(1)
    return out


def plural_rule(catalog: Catalog) -> Callable[[int], int]:
    """n -> the index of its plural form, from the catalog's Plural-Forms header."""
    rule: Callable[[int], int] = gettext.c2py(catalog.plural_expr)
    return rule


def read_catalog(lang: str) -> dict[str, Message]:
    """Read one PO catalog into {message id: translation}; untranslated entries are left out."""
    return messages(load_po(lang))


class InLanguage:
    """A service that tells things in one language (`lang`), with copies in others."""

    lang: str

    def in_language(self, lang: str) -> Self:
        """This in `lang` (itself when it is in it already): a copy with only `lang` changed."""
        if lang == self.lang:
            return self
        other = copy.copy(self)
        other.lang = lang
        return other
