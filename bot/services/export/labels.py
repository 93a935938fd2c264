"""What an admin reads in an export: headings, labels instead of codes, local times.

Shared by the formats made for people (CSV for Swedish Excel, XLSX, GeoJSON); the formats
made for programs (CSV in the RFC 4180 form, JSON, NDJSON) keep the codes and ISO times.
Texts come from the catalogs (bot/i18n) and the deployment, in Swedish unless asked.

    labels = Labels(deployment, catalogs)          # or Labels(deployment) to load Swedish
    labels.headings()                              # ["Ärende", "Typ", ...], in COLUMNS order
    labels.row(cells.row(case, batch))             # ["FLO-0001", "rapport", ..., "kväll, natt"]

`row` keeps numbers as numbers (coordinates, counts) and gives times as text
("2026-10-03 21:15"); `row(cells, dates=True)` gives naive local `datetime`s instead, for
formats with date cells. Every lookup is cached: a million rows make this a hot path.

The resident's pseudonym (16 hex digits) is shown as "inv-" and the digits: about one in a
thousand is all digits or digits-E-digits ("1234e567..."), which Excel would read as a number
(1,23457E+15), losing digits. A cell that starts with a letter is always text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from bot.domain.deployment import Deployment
from bot.i18n import SOURCE_LANGUAGE, Catalogs
from bot.services.export.cells import COLUMNS

#: The columns of `Cells.row` (bot/services/export/cells.py COLUMNS), by position.
KIND, STATUS, CATEGORY = 1, 5, 4
CREATED, ACKNOWLEDGED, RESOLVED = 6, 7, 8
TIMES, LATITUDE, LONGITUDE = 9, 10, 11
ROUTED_ACTORS, LANGUAGE, RESIDENT = 17, 18, 19
#: The columns that hold a time: local ISO text in `Cells.row`.
DATE_COLUMNS = (CREATED, ACKNOWLEDGED, RESOLVED)
#: The columns that hold a number (or nothing): coordinates and counts.
NUMBER_COLUMNS = (LATITUDE, LONGITUDE, 14, 15)
#: How a time is shown: local, to the minute, as Swedish Excel and LibreOffice read a date.
DISPLAY_FORMAT = "%Y-%m-%d %H:%M"
#: Before a resident's pseudonym where people read it (invånare): a spreadsheet keeps it text.
PSEUDONYM_PREFIX = "inv-"

_CACHE_BOUND = 4096  # distinct values remembered per kind of label (sets of times, actors)


class Labels:
    """Headings and labels for one export, in one language (Swedish by default)."""

    def __init__(
        self,
        deployment: Deployment,
        catalogs: Catalogs | None = None,
        lang: str = SOURCE_LANGUAGE,
    ) -> None:
        self.catalogs = catalogs if catalogs is not None else Catalogs.load([lang])
        self.lang = lang
        self.columns = COLUMNS
        self._kinds: dict[str, str] = {}
        self._statuses: dict[str, str] = {}
        self._categories = {c.id: c.label(lang) for c in deployment.categories}
        self._actor_names = {a.id: a.name for a in deployment.actors}
        self._actors: dict[str, str] = {}
        self._times: dict[str, str] = {}
        self._languages: dict[str, str] = {}

    def text(self, key: str, fallback: str) -> str:
        """A catalog text in this export's language; `fallback` when no catalog has it."""
        try:
            return self.catalogs.text(self.lang, key)
        except KeyError:
            return fallback

    def headings(self) -> list[str]:
        """The column headings, in COLUMNS order ("Ärende", "Typ", "Station", ...)."""
        return [self.text(f"export.column.{column}", column) for column in self.columns]

    def kind(self, code: str | None) -> str | None:
        """'report' -> 'rapport'."""
        return self._coded(self._kinds, "kind", code)

    def status(self, code: str | None) -> str | None:
        """'resolved' -> 'åtgärdad'."""
        return self._coded(self._statuses, "status", code)

    def _coded(self, cache: dict[str, str], prefix: str, code: str | None) -> str | None:
        if code is None:
            return None
        label = cache.get(code)
        if label is None:
            label = self.text(f"{prefix}.{code}", code)
            if len(cache) < _CACHE_BOUND:
                cache[code] = label
        return label

    def category(self, code: str | None) -> str | None:
        """The deployment's name of the category ('belysning' -> 'Belysning'); an unknown
        code (a category since removed from the deployment) stays as it is."""
        if code is None:
            return None
        return self._categories.get(code, code)

    def times_of_day(self, value: str | None) -> str:
        """The times of day, joined codes ('evening;night') or as stored ('["evening",
        "night"]'), as words: 'kväll, natt'."""
        if not value:
            return ""
        label = self._times.get(value)
        if label is None:
            codes = json.loads(value) if value.startswith("[") else value.split(";")
            words = [self.text(f"times.{code}", code) for code in codes]
            # The catalog's words are button labels ("Kväll"); in a list they are lower case.
            label = ", ".join(word[:1].lower() + word[1:] for word in words)
            if len(self._times) < _CACHE_BOUND:
                self._times[value] = label
        return label

    def actors(self, joined: str | None) -> str | None:
        """The routed actors' ids, joined with ';', as their names joined with ', '."""
        if not joined:
            return joined
        label = self._actors.get(joined)
        if label is None:
            label = ", ".join(self._actor_names.get(a, a) for a in joined.split(";"))
            if len(self._actors) < _CACHE_BOUND:
                self._actors[joined] = label
        return label

    def language(self, code: str | None) -> str | None:
        """The resident's language by name: 'ar' -> 'arabiska' (from the catalog: Babel's
        names of every language would cost each export process 5 MB)."""
        if not code:
            return code
        return self._coded(self._languages, "export.language", code)

    @staticmethod
    def moment(local_iso: str | None) -> str | None:
        """A local ISO time ('2026-10-03T21:15:07+02:00', from `Cells.local`) as it is shown:
        '2026-10-03 21:15', the local date and time to the minute, without 'T' or offset."""
        if not local_iso:
            return None
        if len(local_iso) >= 16 and local_iso[10] == "T":
            return f"{local_iso[:10]} {local_iso[11:16]}"
        return dt.datetime.fromisoformat(local_iso).strftime(DISPLAY_FORMAT)

    @staticmethod
    def when(local_iso: str | None) -> dt.datetime | None:
        """A local ISO time as a naive local `datetime` to the second (for date cells)."""
        if not local_iso:
            return None
        return dt.datetime.fromisoformat(local_iso).replace(tzinfo=None)

    def row(self, cells: Sequence[Any], dates: bool = False) -> list[Any]:
        """A row of `Cells.row` as an admin reads it: labels instead of codes, times as
        '2026-10-03 21:15' (or naive local datetimes with `dates=True`), numbers kept, the
        pseudonym as text ("inv-3f09...")."""
        shown = list(cells)
        shown[KIND] = self.kind(shown[KIND])
        shown[STATUS] = self.status(shown[STATUS])
        shown[CATEGORY] = self.category(shown[CATEGORY])
        convert = self.when if dates else self.moment
        for column in DATE_COLUMNS:
            shown[column] = convert(shown[column])
        shown[TIMES] = self.times_of_day(shown[TIMES])
        shown[ROUTED_ACTORS] = self.actors(shown[ROUTED_ACTORS])
        shown[LANGUAGE] = self.language(shown[LANGUAGE])
        if shown[RESIDENT]:
            shown[RESIDENT] = PSEUDONYM_PREFIX + shown[RESIDENT]
        return shown
