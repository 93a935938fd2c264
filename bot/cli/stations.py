"""`--station` on the command line: a station's id, or its name, code or alias as the
deployment file writes it, in any case and with or without accents ('Jakobsberg',
'jakobsberg', 'JKB', 'vargarda')."""

from __future__ import annotations

import unicodedata

from bot.cli.context import CliError, Context
from bot.domain.deployment import Station
from bot.domain.stations import StationIndex, fold

#: Close spellings named in the hint for an unknown station, at most.
HINTS = 3
#: Up to this many stations, an unknown one is answered with all their ids.
LISTED_MAX = 20


def _named(value: str, stations: list[Station]) -> list[Station]:
    """The stations `value` names: by id; else by name, code or alias as written apart from
    case ('flöda': Flöda, not Floda; the file keeps these unique); else the same without
    accents ('floda': Floda and Flöda, both)."""
    for key in (str, _cased, fold):
        wanted = key(value)
        found = [
            s for s in stations if wanted and wanted in {key(n) for n in _names(s, key is str)}
        ]
        if found:
            return found
    return []


def _names(station: Station, by_id: bool) -> tuple[str, ...]:
    return (station.id,) if by_id else (station.id, station.name, station.code, *station.aliases)


def _cased(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def station_id(ctx: Context, value: str) -> str:
    """The id of the one station `value` names; else one line: unknown (with close spellings,
    or where to see them all), or ambiguous (naming the candidates)."""
    if not value.strip():
        raise CliError(ctx.say("cli.station_empty"))
    stations = list(ctx.deployment.stations)
    found = _named(value, stations)
    if len(found) == 1:
        return found[0].id
    if found:
        among = ", ".join(f"{s.id} ({s.name})" for s in found)
        raise CliError(ctx.say("cli.station_ambiguous", value=_quoted(value), among=among))
    close = StationIndex(stations).match(value)[:HINTS]
    if close:
        hint = ", ".join(f"{s.id} ({s.name})" for s in close)
        raise CliError(ctx.say("cli.station_unknown_close", value=_quoted(value), close=hint))
    if len(stations) > LISTED_MAX:
        raise CliError(ctx.say("cli.station_unknown_many", value=_quoted(value)))
    known = ", ".join(sorted(s.id for s in stations))
    raise CliError(ctx.say("cli.station_unknown", value=_quoted(value), known=known))


def station_ids(ctx: Context, values: str) -> list[str]:
    """The ids of a comma-separated list of stations (`station_id` each), in order, once."""
    ids = [station_id(ctx, value.strip()) for value in values.split(",") if value.strip()]
    return list(dict.fromkeys(ids))


def some_stations(ctx: Context, values: str) -> list[str]:
    """`station_ids` of a `--station` that was given: a list without a station in it (`""`,
    `" "`, `","`) is refused in one line rather than taken as all stations."""
    ids = station_ids(ctx, values)
    if not ids:
        raise CliError(ctx.say("cli.station_empty"))
    return ids


def one_station(ctx: Context, value: str) -> str:
    """`station_id`, for a command that takes one station (export): a list of several
    (each one checked) is refused in one line."""
    if "," in value and not _named(value, list(ctx.deployment.stations)):
        ids = station_ids(ctx, value)
        if len(ids) > 1:
            raise CliError(ctx.say("cli.station_one_only", value=_quoted(value)))
        return ids[0]
    return station_id(ctx, value)


def _quoted(value: str) -> str:
    """A value as typed, in quotes: an empty or spaced one shows."""
    return f'"{value}"'
