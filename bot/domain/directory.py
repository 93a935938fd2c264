"""Look-ups into a deployment by id, built once per deployment (`Deployment.directory`).

A national deployment has about 600 stations, 3,000 staff and a routing rule or more per
kommun; scanning those lists for every update made each update's cost grow with the country.
Each look-up here answers exactly what the scan it replaces answered, in the same order (the
file's), so a deployment with a repeated id (which `find_problems` refuses) still gives the
first one. tests/test_directory.py compares them with the scans.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, TypeVar

from bot.domain.access import is_kommunpolis_at

if TYPE_CHECKING:
    from bot.domain.deployment import (
        Actor,
        Category,
        Deployment,
        Promise,
        Route,
        StaffMember,
        Station,
    )

K = TypeVar("K")
V = TypeVar("V")

#: A routing rule's "any station" or "any category".
ANY = "*"


def _first_by_key(items: Iterable[tuple[K, V]]) -> Mapping[K, V]:
    found: dict[K, V] = {}
    for key, value in items:
        found.setdefault(key, value)
    return MappingProxyType(found)


def _grouped(items: Iterable[tuple[K, V]]) -> Mapping[K, tuple[V, ...]]:
    """Values by key, in the order given."""
    lists: dict[K, list[V]] = {}
    for key, value in items:
        lists.setdefault(key, []).append(value)
    return MappingProxyType({key: tuple(values) for key, values in lists.items()})


def _rules_for(
    rules: Mapping[tuple[str, str], tuple[int, ...]],
    routing: Sequence[Route],
    station_id: str,
    category: str | None,
) -> tuple[Route, ...]:
    """The rules that name this station (or ANY) and this category (or ANY), in order."""
    found: set[int] = set()
    for station in (station_id, ANY):
        found.update(rules.get((station, ANY), ()))
        if category is not None:
            found.update(rules.get((station, category), ()))
    return tuple(routing[index] for index in sorted(found))


@dataclass(frozen=True)
class Directory:
    """Stations, actors and categories by id; staff, promises and routing rules by station."""

    stations: Mapping[str, Station]
    actors: Mapping[str, Actor]
    actor_order: Mapping[str, int]
    categories: Mapping[str, Category]
    staff: Mapping[str, tuple[StaffMember, ...]]
    kommunpolis: Mapping[str, tuple[str, ...]]
    promises: Mapping[str, tuple[Promise, ...]]
    groups: Mapping[int, tuple[str, ...]]
    #: Routing rules by (station or ANY, category or ANY): their positions in the file.
    rules: Mapping[tuple[str, str], tuple[int, ...]]
    routing: Sequence[Route]
    #: The rules for each station of the file and each category (or none), found up front.
    routed: Mapping[tuple[str, str | None], tuple[Route, ...]]

    @classmethod
    def of(cls, deployment: Deployment) -> Directory:
        staff = _grouped(
            (station, member)
            for member in deployment.staff
            for station in dict.fromkeys(member.stations)
        )
        kommunpolis = {
            station: tuple(dict.fromkeys(m.actor for m in members if is_kommunpolis_at(m, station)))
            for station, members in staff.items()
        }
        rules = _grouped(
            ((station, category), index)
            for index, rule in enumerate(deployment.routing)
            for station in dict.fromkeys(rule.stations)
            for category in dict.fromkeys(rule.categories)
        )
        routing = tuple(deployment.routing)
        categories = [None, *(c.id for c in deployment.categories)]
        routed = {
            (station.id, category): _rules_for(rules, routing, station.id, category)
            for station in deployment.stations
            for category in categories
        }
        return cls(
            stations=_first_by_key((s.id, s) for s in deployment.stations),
            actors=_first_by_key((a.id, a) for a in deployment.actors),
            actor_order=_first_by_key((a.id, i) for i, a in enumerate(deployment.actors)),
            categories=_first_by_key((c.id, c) for c in deployment.categories),
            staff=staff,
            kommunpolis=MappingProxyType(kommunpolis),
            promises=_grouped(
                (station, promise)
                for promise in deployment.promises
                for station in dict.fromkeys(promise.stations)
            ),
            groups=_grouped(
                (s.group_chat_id, s.id) for s in deployment.stations if s.group_chat_id is not None
            ),
            rules=rules,
            routing=routing,
            routed=MappingProxyType(routed),
        )

    def staff_at(self, station_id: str) -> tuple[StaffMember, ...]:
        """The file's staff who work at a station, in the file's order."""
        return self.staff.get(station_id, ())

    def kommunpolis_actors(self, station_id: str) -> tuple[str, ...]:
        """The actors of the station's kommunpolis, in the order their staff are listed."""
        return self.kommunpolis.get(station_id, ())

    def promises_at(self, station_id: str | None) -> tuple[Promise, ...]:
        """The promises that name this station, in the file's order."""
        return self.promises.get(station_id, ()) if station_id is not None else ()

    def routes(self, station_id: str, category: str | None) -> Sequence[Route]:
        """The routing rules for a report of `category` at a station (theirs or ANY), in the
        file's order."""
        known = self.routed.get((station_id, category))
        return (
            known
            if known is not None
            else _rules_for(self.rules, self.routing, station_id, category)
        )

    def in_file_order(self, actor_ids: Iterable[str]) -> list[Actor]:
        """The known actors among these ids, once each, in the file's order."""
        known = {a for a in actor_ids if a in self.actors}
        return [self.actors[a] for a in sorted(known, key=self.actor_order.__getitem__)]
