"""Finding a station: by typed name or alias, or by distance from a shared location."""

from __future__ import annotations

import difflib
import math
import unicodedata
from dataclasses import dataclass

from bot.domain.deployment import Station

EARTH_RADIUS_KM = 6371.0088


def fold(text: str) -> str:
    """Case- and diacritic-insensitive form: 'Vårgårda ' -> 'vargarda'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().strip())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.replace("-", " ").split())


def match_stations(text: str, stations: list[Station]) -> list[Station]:
    """Stations a typed text names: exact name/alias/code first, then prefixes, then typos."""
    query = fold(text)
    if not query:
        return []
    names: dict[str, Station] = {}
    for station in stations:
        for name in (station.name, station.id, station.code, *station.aliases):
            names.setdefault(fold(name), station)
    if query in names:
        return [names[query]]
    found: list[Station] = []
    for name, station in names.items():
        if (name.startswith(query) or query.startswith(name + " ")) and station not in found:
            found.append(station)
    if found or len(query) < 3:
        return found
    for name in difflib.get_close_matches(query, list(names), n=3, cutoff=0.75):
        if names[name] not in found:
            found.append(names[name])
    return found


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


def nearest_station(lat: float, lon: float, stations: list[Station], max_km: float) -> Nearest:
    """The closest station, and whether it is close enough to be the one meant."""
    station = min(stations, key=lambda s: distance_km(lat, lon, s.lat, s.lon))
    km = distance_km(lat, lon, station.lat, station.lon)
    return Nearest(station, km, km <= max_km)
