"""Finding a station: by typed name or alias, by distance from a shared location, or by
kommun (`StationIndex`, built once per deployment, and the chooser's `View`s of it)."""

from __future__ import annotations

import bisect
import difflib
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.domain.deployment import Station

EARTH_RADIUS_KM = 6371.0088
#: A deployment with at most this many stations lists them all as buttons (as it always did).
FLAT_MAX = 12
#: Kommuner or stations per page of the chooser; letters per page.
PAGE = 16
LETTER_PAGE = 20
#: Matches a name search shows at most; more means "type more of the name".
SEARCH_MAX = 8
#: A kommun's key in callback data is its folded name cut to this many characters.
KEY_MAX = 20
_SWEDISH_LAST = str.maketrans({"å": "{", "ä": "|", "ö": "}", "æ": "|", "ø": "}"})


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: 'Vårgårda ' -> 'vargarda'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("-", " ").split())


def swedish_key(text: str) -> str:
    """A sort key in Swedish alphabetical order: Å, Ä, Ö after Z, other accents ignored."""
    return fold(text.casefold().translate(_SWEDISH_LAST))


def _slug(text: str) -> str:
    allowed = "abcdefghijklmnopqrstuvwxyz0123456789"
    return "".join(ch if ch in allowed else "-" for ch in fold(text))[:KEY_MAX].strip("-") or "k"


def initial(name: str) -> tuple[str, str]:
    """A kommun's letter in the chooser and its key in callback data (hex of its code
    point): upper-cased first, then cut, since 'ß'.upper() is 'SS'."""
    letter = name.upper()[:1]
    return letter, f"{ord(letter):x}"


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine) in kilometres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


@dataclass(frozen=True)
class Nearest:
    station: Station
    km: float
    within_reach: bool


@dataclass(frozen=True)
class Kommun:
    """A kommun of the deployment: its name, its key in callback data, its stations."""

    name: str
    key: str
    stations: tuple[Station, ...]


@dataclass(frozen=True)
class View:
    """One keyboard of the chooser: a page of letters, of a letter's kommuner, or of a
    kommun's stations. `code` is its form in callback data ("L.0", "K.53.1", "S.habo.0")."""

    level: str  # "L" letters, "K" kommuner (under a letter, or all), "S" a kommun's stations
    key: str = ""
    page: int = 0

    @property
    def code(self) -> str:
        middle = [] if self.level == "L" else [self.key]
        return ".".join([self.level, *middle, str(self.page)])


@dataclass(frozen=True)
class Page:
    """What one view shows: its items (stations, kommuner or letters) and the way on."""

    view: View
    items: tuple[tuple[str, str], ...]  # (label, argument: a station id, or a view's code)
    stations: bool  # the items are stations (else views to open)
    previous: View | None
    next: View | None
    up: View | None


class StationIndex:
    """The deployment's stations, indexed once at load: by id, by name, by kommun and by
    the kommun's initial letter, so that no update scans every station."""

    def __init__(self, stations: Sequence[Station]) -> None:
        self.stations = tuple(sorted(stations, key=lambda s: swedish_key(s.name)))
        self.by_id = {s.id: s for s in self.stations}
        self.names: dict[str, Station] = {}
        for station in stations:
            for name in (station.name, station.id, station.code, *station.aliases):
                self.names.setdefault(fold(name), station)
        self.sorted_names = sorted(self.names)  # for prefix search (bisect)
        grouped: dict[str, list[Station]] = {}
        for station in self.stations:
            grouped.setdefault(station.kommun, []).append(station)
        self.kommuner: dict[str, Kommun] = {}
        for name in sorted(grouped, key=swedish_key):
            key, n = _slug(name), 2
            while key in self.kommuner:
                key, n = f"{_slug(name)[: KEY_MAX - 4]}-{n}", n + 1
            self.kommuner[key] = Kommun(name, key, tuple(grouped[name]))
        self.letters: dict[str, tuple[str, list[Kommun]]] = {}  # key: (letter, kommuner)
        for kommun in self.kommuner.values():
            letter, key = initial(kommun.name)
            self.letters.setdefault(key, (letter, []))[1].append(kommun)

    @property
    def flat(self) -> bool:
        """Few stations: one list of them all, as a small deployment always had."""
        return len(self.stations) <= FLAT_MAX

    def station(self, station_id: str | None) -> Station | None:
        return self.by_id.get(station_id) if station_id else None

    # ------------------------------------------------------------------ by name
    def match(self, text: str) -> list[Station]:
        """Stations a typed text names: an exact name/alias/code alone; else the names the
        text begins with ("lerums station"), then the names beginning with the text in
        alphabetical order, at most SEARCH_MAX + 1 (the caller shows SEARCH_MAX and asks
        for more of the name when there are more); else close spellings."""
        query = fold(text)
        if not query:
            return []
        if query in self.names:
            return [self.names[query]]
        found: dict[str, Station] = {}  # by id: a station named twice is listed once
        for end in (i for i, ch in enumerate(query) if ch == " "):
            station = self.names.get(query[:end])
            if station is not None:
                found.setdefault(station.id, station)
        names, at = self.sorted_names, bisect.bisect_left(self.sorted_names, query)
        while at < len(names) and names[at].startswith(query) and len(found) <= SEARCH_MAX:
            station = self.names[names[at]]
            found.setdefault(station.id, station)
            at += 1
        if found or len(query) < 3:
            return list(found.values())[: SEARCH_MAX + 1]
        close = difflib.get_close_matches(query, self.sorted_names, n=3, cutoff=0.75)
        return list({self.names[name].id: self.names[name] for name in close}.values())

    # ------------------------------------------------------------------ by location
    def nearest(self, lat: float, lon: float, max_km: float) -> Nearest:
        """The closest station, and whether it is close enough to be the one meant."""
        station = min(self.stations, key=lambda s: distance_km(lat, lon, s.lat, s.lon))
        km = distance_km(lat, lon, station.lat, station.lon)
        return Nearest(station, km, km <= max_km)

    # ------------------------------------------------------------------ by kommun
    def root(self) -> View:
        """Where the chooser starts: the letters when the kommuner are many, else the
        kommuner (for one kommun: its stations)."""
        if len(self.kommuner) > PAGE:
            return View("L")
        if len(self.kommuner) == 1:
            return View("S", next(iter(self.kommuner)))
        return View("K")

    def parse(self, code: str) -> View | None:
        """The view a callback names, or None when it names no letter, kommun or page that
        this deployment has (forged, or from an older deployment file)."""
        parts = code.split(".")
        if len(parts) not in (2, 3) or not parts[-1].isdigit() or len(parts[-1]) > 3:
            return None
        level, key, page = parts[0], parts[1] if len(parts) == 3 else "", int(parts[-1])
        if level == "L" and len(parts) == 2:
            total, per = len(self.letters), LETTER_PAGE
        elif level == "K" and len(parts) == 3 and (key in self.letters or key == ""):
            total = len(self.letters[key][1]) if key else len(self.kommuner)
            per = PAGE
        elif level == "S" and len(parts) == 3 and key in self.kommuner:
            total, per = len(self.kommuner[key].stations), PAGE
        else:
            return None
        return View(level, key, page) if page * per < max(total, 1) else None

    def page(self, view: View) -> Page:
        """The items of a (parsed) view, and the views before, after and above it."""
        up: View | None = None
        if view.level == "L":
            letters = [(letter, View("K", key).code) for key, (letter, _) in self.letters.items()]
            items, per, stations = letters, LETTER_PAGE, False
        elif view.level == "K":
            kommuner = self.letters[view.key][1] if view.key else list(self.kommuner.values())
            items = [(k.name, View("S", k.key).code) for k in kommuner]
            per, stations = PAGE, False
            up = View("L") if view.key else None
        else:
            kommun = self.kommuner[view.key]
            items = [(s.name, s.id) for s in kommun.stations]
            per, stations = PAGE, True
            if self.root() != View("S", view.key):
                up = View("K", initial(kommun.name)[1] if self.root().level == "L" else "")
        start = view.page * per
        previous = View(view.level, view.key, view.page - 1) if view.page > 0 else None
        more = View(view.level, view.key, view.page + 1) if start + per < len(items) else None
        return Page(view, tuple(items[start : start + per]), stations, previous, more, up)


def match_stations(text: str, stations: list[Station]) -> list[Station]:
    """Stations a typed text names (see `StationIndex.match`; a service keeps one index)."""
    return StationIndex(stations).match(text)


def nearest_station(lat: float, lon: float, stations: list[Station], max_km: float) -> Nearest:
    """The closest station, and whether it is close enough to be the one meant."""
    return StationIndex(stations).nearest(lat, lon, max_km)
