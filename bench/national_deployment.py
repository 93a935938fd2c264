"""A generated national deployment: every kommun of Sweden on one bot (issue 17, item 6).

`generate()` builds the TOML text of a deployment file with 290 kommuner, about 600
stations, 3,000 staff, 300 promises and the routing for each, valid for
`bot.domain.deployment` (what `trygghetsbot check-config` reads). Everything in it is
invented: town names made of syllables, station codes counted in letters, and staff that
are PLACEHOLDERS (the names say "platshållare", the Telegram ids are in a fake range, every
e-mail address is at example.org). The categories and the privacy notice are the bundled
file's. `sized(stations)` scales every count with the number of stations, so that a
6-station file and a 600-station file are the same deployment at two sizes.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.config import load_deployment
from bot.settings import bundled_deployment_path

#: The national target sizes (issue 17, item 6).
KOMMUNER = 290
STATIONS = 600
STAFF = 3_000
PROMISES = 300
LAN = 21  # Sweden's 21 län: one transit authority each
KOMMUNER_PER_LPO = 3  # about 95 lokalpolisområden
#: Placeholder Telegram ids: far from any range the tests or the bundled file use.
FIRST_TELEGRAM_ID = 700_000_000

_PREFIXES = [
    "Alm",
    "Asp",
    "Berg",
    "Björk",
    "Bro",
    "Dal",
    "Ek",
    "Fjäll",
    "Gran",
    "Hag",
    "Hall",
    "Holm",
    "Hult",
    "Kvarn",
    "Lind",
    "Ljung",
    "Lund",
    "Löv",
    "Mal",
    "Mark",
    "Myr",
    "Norr",
    "Sand",
    "Sjö",
    "Skog",
    "Sten",
    "Strand",
    "Sund",
    "Säter",
    "Torp",
    "Vall",
    "Vik",
    "Väster",
    "Ås",
    "Öster",
    "Ål",
    "Rön",
    "Hed",
    "Ny",
    "Gull",
]
_SUFFIXES = [
    "by",
    "bo",
    "berga",
    "fors",
    "hamn",
    "holm",
    "hult",
    "köping",
    "näs",
    "sala",
    "stad",
    "sund",
    "torp",
    "vik",
    "åker",
    "ås",
    "ryd",
    "lösa",
    "tuna",
    "inge",
    "ed",
    "arp",
    "eryd",
]
_OUTDOOR = ["belysning", "sikt", "nedskrapning", "klotter", "ode", "parkering", "narvaro"]
_RAILWAY = ["perrong", "passage", "klotter", "nedskrapning"]


@dataclass(frozen=True)
class Sizes:
    kommuner: int = KOMMUNER
    stations: int = STATIONS
    staff: int = STAFF
    promises: int = PROMISES


def sized(stations: int) -> Sizes:
    """The national proportions at `stations` stations (600 gives the national sizes)."""
    kommuner = max(1, round(stations * KOMMUNER / STATIONS))
    return Sizes(
        kommuner=kommuner,
        stations=max(stations, kommuner),
        staff=max(stations * STAFF // STATIONS, kommuner + 1),
        promises=max(1, stations * PROMISES // STATIONS),
    )


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch if ch.isalnum() else "-" for ch in plain.lower()).strip("-")


def _code(index: int) -> str:
    """AAA, AAB, ...: a distinct three-letter station code per index (17,576 of them)."""
    letters = ""
    for _ in range(3):
        index, digit = divmod(index, 26)
        letters = chr(ord("A") + digit) + letters
    return letters


def _town_names(count: int, rng: random.Random) -> list[str]:
    names = [(p + s).capitalize() for p in _PREFIXES for s in _SUFFIXES]
    names = list(dict.fromkeys(names))  # the same name from two pairs once
    if count > len(names):
        names += [f"{a} {b}" for a in names for b in ("norra", "södra", "östra", "västra")]
    rng.shuffle(names)
    return names[:count]


def build(sizes: Sizes = Sizes(), seed: int = 17) -> dict[str, Any]:
    """The deployment as the dict its TOML file holds."""
    rng = random.Random(seed)
    bundled = load_deployment(bundled_deployment_path())
    lan_count = min(LAN, sizes.kommuner)
    towns = _town_names(sizes.stations, rng)

    kommuner = [towns[k] for k in range(sizes.kommuner)]
    centres = [(rng.uniform(55.5, 67.5), rng.uniform(12.0, 23.0)) for _ in kommuner]
    kommun_of = [s if s < sizes.kommuner else s % sizes.kommuner for s in range(sizes.stations)]
    station_ids = [f"{_ascii(towns[s])[:24]}-{s:03d}" for s in range(sizes.stations)]
    stations_in: list[list[str]] = [[] for _ in kommuner]
    for s, k in enumerate(kommun_of):
        stations_in[k].append(station_ids[s])

    def kommun_actor(k: int) -> str:
        return f"kommun-{k:03d}"

    def police_actor(k: int) -> str:
        return f"lpo-{k // KOMMUNER_PER_LPO:03d}"

    def transit_actor(k: int) -> str:
        return f"trafik-lan-{k % lan_count:02d}"

    actors: list[dict[str, Any]] = []
    for k, name in enumerate(kommuner):
        actors.append({"id": kommun_actor(k), "name": f"{name} kommun", "kind": "kommun"})
    for lpo in sorted({police_actor(k) for k in range(len(kommuner))}):
        actors.append({"id": lpo, "name": f"Lokalpolisområde {lpo[4:]}", "kind": "polisen"})
    for lan in range(lan_count):
        actors.append(
            {
                "id": f"trafik-lan-{lan:02d}",
                "name": f"Kollektivtrafik län {lan:02d}",
                "kind": "transit",
            }
        )
    actors.append({"id": "trafikverket", "name": "Trafikverket", "kind": "trafikverket"})
    actors.append({"id": "drift", "name": "Trygghetsboten drift", "kind": "other"})

    stations: list[dict[str, Any]] = []
    for s, station_id in enumerate(station_ids):
        k = kommun_of[s]
        lat, lon = centres[k]
        aliases = [f"{towns[s]} station"] + ([f"{towns[s]} C"] if s < sizes.kommuner else [])
        stations.append(
            {
                "id": station_id,
                "name": towns[s],
                "code": _code(s),
                "kommun": kommuner[k],
                "lat": round(lat + rng.uniform(-0.1, 0.1), 4),
                "lon": round(lon + rng.uniform(-0.2, 0.2), 4),
                "aliases": aliases,
            }
        )

    lan_stations: list[list[str]] = [[] for _ in range(lan_count)]
    for k, ids in enumerate(stations_in):
        lan_stations[k % lan_count] += ids
    routing: list[dict[str, Any]] = []
    for k, ids in enumerate(stations_in):
        routing.append({"stations": ids, "categories": _OUTDOOR, "actors": [kommun_actor(k)]})
    for lan, ids in enumerate(lan_stations):
        routing.append({"stations": ids, "categories": _RAILWAY, "actors": ["trafikverket"]})
        routing.append({"stations": ids, "categories": ["narvaro"], "actors": [transit_actor(lan)]})

    promises: list[dict[str, Any]] = []
    # A kommun's promise runs this year and the next; a län's regional promise comes after it
    # at the same stations (a station's promises follow one another: check-config refuses
    # overlapping ones), so neither has ended and staff may publish on both.
    year = dt.date.today().year
    for p in range(sizes.promises):
        k = p % len(kommuner)
        regional = p >= len(kommuner)  # past one per kommun: one per län
        lan = k % lan_count
        ids = lan_stations[lan] if regional else stations_in[k]
        owners = (
            [transit_actor(lan), "trafikverket"]
            if regional
            else [police_actor(k), kommun_actor(k), transit_actor(k)]
        )
        place = f"län {lan:02d}" if regional else kommuner[k]
        first = year + 2 if regional else year
        commitments = [
            {
                "id": f"p{p:03d}-c{c}",
                "text": f"Åtagande {c + 1} för tryggare stationsområden i {place}.",
                "owners": [owner],
            }
            for c, owner in enumerate([*owners, owners[0]])
        ]
        promises.append(
            {
                "id": f"lofte-{p:03d}",
                "title": f"Medborgarlöfte {place} {first}–{first + 1}",
                "start": dt.date(first, 1, 1),
                "end": dt.date(first + 1, 12, 31),
                "parties": owners,
                "stations": ids,
                "commitments": commitments,
            }
        )

    staff: list[dict[str, Any]] = []

    def member(role: str, actor: str, stations: list[str], label: str) -> None:
        n = len(staff)
        entry: dict[str, Any] = {}
        if n % 4 != 3:  # every fourth is reached by e-mail only
            entry["telegram_id"] = FIRST_TELEGRAM_ID + n
        entry |= {"name": f"{label} {n:04d} (platshållare)", "role": role, "actor": actor}
        entry["stations"] = stations
        if n % 2 == 1:
            entry["email"] = f"personal-{n:04d}@example.org"
        staff.append(entry)

    for k, ids in enumerate(stations_in):  # a kommunpolis for every station
        member("kommunpolis", police_actor(k), ids, f"Kommunpolis {kommuner[k]}")
    admins = max(1, sizes.staff // 300)
    for _ in range(admins):
        member("admin", "drift", [], "Administratör")
    partners = sizes.staff - len(staff)
    for n in range(max(0, partners)):  # each round over the stations: the next actor there
        s, turn = n % sizes.stations, n // sizes.stations
        k = kommun_of[s]
        actor = (kommun_actor(k), "trafikverket", transit_actor(k))[turn % 3]
        member("partner", actor, [station_ids[s]], "Partner")

    privacy = bundled.privacy.model_dump(exclude_defaults=True)
    return {
        "deployment": {
            "name": "Trygghetsboten – hela Sverige (genererad, för mätning)",
            "timezone": "Europe/Stockholm",
            "default_language": "sv",
            "languages": list(bundled.deployment.languages),
        },
        "privacy": privacy,
        "actors": actors,
        "stations": stations,
        "categories": [c.model_dump(exclude_defaults=True) for c in bundled.categories],
        "routing": routing,
        "promises": promises,
        "staff": staff,
    }


# ---------------------------------------------------------------------- TOML
def _value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{k} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, Sequence):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML for {value!r}")


def _table(header: str, table: Mapping[str, Any], inline: Sequence[str] = ()) -> Iterator[str]:
    """`header` and its plain keys; sub-tables (dicts not in `inline`) after it."""
    yield header
    nested: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in table.items():
        if isinstance(value, Mapping) and key not in inline:
            nested.append((key, value))
        elif not (isinstance(value, list) and value and isinstance(value[0], Mapping)):
            yield f"{key} = {_value(value)}"
    name = header.strip("[]")
    for key, value in nested:
        yield from _table(f"[{name}.{key}]", value)
    for key, value in table.items():  # arrays of tables (a promise's commitments)
        if isinstance(value, list) and value and isinstance(value[0], Mapping):
            for item in value:
                yield from _table(f"[[{name}.{key}]]", item)


def to_toml(data: Mapping[str, Any]) -> str:
    lines = ["# GENERATED by bench/national_deployment.py: invented places, placeholder staff."]
    for key, value in data.items():
        if isinstance(value, list):
            for item in value:
                lines += ["", *_table(f"[[{key}]]", item, inline=("name",))]
        else:
            lines += ["", *_table(f"[{key}]", value)]
    return "\n".join(lines) + "\n"


def generate(sizes: Sizes = Sizes(), seed: int = 17) -> str:
    """The TOML text of a generated deployment file of these sizes."""
    return to_toml(build(sizes, seed))
