"""The deployment's look-ups by id and by station (bot/domain/directory.py) answer exactly
what the scans they replaced answered, in the same order, on the bundled file and on a
generated national one; and a new report's routing no longer reads the whole deployment."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, SupportsIndex, TypeVar

import pytest

from bench.national_deployment import generate, sized
from bot.config import parse_deployment
from bot.domain.access import StaffLike, is_kommunpolis_at, receives_card
from bot.domain.chats import group_stations
from bot.domain.deployment import Deployment, Promise, StaffMember, Station
from bot.domain.models import CaseKind
from bot.domain.routing import pick_staff, route, unstaffed_routes

S = TypeVar("S", bound=StaffLike)
T = TypeVar("T")


# ---------------------------------------------------------------------- the scans, as they were
def old_route(
    deployment: Deployment, station_id: str, kind: CaseKind, category: str | None
) -> list[str]:
    actors: list[str] = []
    for member in deployment.staff:
        if is_kommunpolis_at(member, station_id) and member.actor not in actors:
            actors.append(member.actor)
    if kind is CaseKind.REPORT:
        for rule in deployment.routing:
            station_ok = station_id in rule.stations or "*" in rule.stations
            if station_ok and (category in rule.categories or "*" in rule.categories):
                actors += [a for a in rule.actors if a not in actors]
    return actors


def old_pick_staff(staff: Sequence[S], station_id: str, actors: Sequence[str]) -> list[S]:
    return [member for member in staff if receives_card(member, station_id, actors)]


def old_station(deployment: Deployment, station_id: str) -> Station:
    for station in deployment.stations:
        if station.id == station_id:
            return station
    raise KeyError(station_id)


def old_category_label(deployment: Deployment, category_id: str | None, lang: str) -> str | None:
    for category in deployment.categories:
        if category.id == category_id:
            return category.label(lang)
    return None


def old_staff_at(deployment: Deployment, station_id: str) -> list[StaffMember]:
    return [s for s in deployment.staff if station_id in s.stations]


def old_promises_at(deployment: Deployment, station_id: str | None) -> list[Promise]:
    return [p for p in deployment.promises if station_id in p.stations]


def old_group_stations(deployment: Deployment, chat_id: int) -> tuple[str, ...]:
    return tuple(s.id for s in deployment.stations if s.group_chat_id == chat_id)


def old_actor_names(deployment: Deployment, ids: Sequence[str]) -> list[str]:
    return [a.name for a in deployment.actors if a.id in ids]


def old_unstaffed_routes(deployment: Deployment) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for rule in deployment.routing:
        stations = [s.id for s in deployment.stations] if "*" in rule.stations else rule.stations
        for station in stations:
            for actor in rule.actors:
                staffed = any(
                    member.actor == actor and receives_card(member, station, [actor])
                    for member in deployment.staff
                )
                if not staffed and (station, actor) not in found:
                    found.append((station, actor))
    return found


# ---------------------------------------------------------------------- deployments
@pytest.fixture(scope="module")
def national() -> Deployment:
    return parse_deployment(generate(sized(600)), "national.toml")


def with_group_chats(deployment: Deployment) -> Deployment:
    """Two stations share a group chat and a third has its own (the files have none)."""
    first, second, third, *rest = deployment.stations
    stations = [
        first.model_copy(update={"group_chat_id": -1001}),
        second,
        third.model_copy(update={"group_chat_id": -1001}),
        *[s.model_copy(update={"group_chat_id": -1002}) for s in rest[:1]],
        *rest[1:],
    ]
    return deployment.model_copy(update={"stations": stations})


def assert_same_lookups(dep: Deployment) -> None:
    """Every station × kind × category (and no category, and unknown ones): the same actors
    in the same order, the same staff chosen in the same order; and every by-id look-up.

    The old scans read every staff member for every call (ten seconds for a national file
    here), so they read the whole deployment once per station (an idea's routing: the
    kommunpolis part) and, for each category, the deployment with the staff the old scan
    finds at that station: the same answers, since both need a member there."""
    categories: list[str | None] = [*(c.id for c in dep.categories), None, "no-such-category"]
    stations = [s.id for s in dep.stations] + ["no-such-station"]
    for station in stations:
        staff_here = dep.staff_at(station)
        assert staff_here == old_staff_at(dep, station)
        here = dep.model_copy(update={"staff": old_staff_at(dep, station)})
        idea = old_route(dep, station, CaseKind.IDEA, None)
        assert old_route(here, station, CaseKind.IDEA, None) == idea
        chosen: dict[tuple[str, ...], list[StaffMember]] = {
            tuple(idea): old_pick_staff(dep.staff, station, idea)
        }
        for category in categories:
            assert route(dep, station, CaseKind.IDEA, category) == idea
            actors = route(dep, station, CaseKind.REPORT, category)
            assert actors == old_route(here, station, CaseKind.REPORT, category), category
            if tuple(actors) not in chosen:
                chosen[tuple(actors)] = old_pick_staff(here.staff, station, actors)
        # The staff who get the card, from the station's staff, as from everyone before.
        for actors_key, reference in chosen.items():
            assert pick_staff(staff_here, station, actors_key) == reference
        promises = old_promises_at(dep, station)
        assert list(dep.directory.promises_at(station)) == promises
        ids: list[str] = []
        for promise in promises:
            ids += [a for a in promise.parties if a not in ids]
        assert [a.name for a in dep.directory.in_file_order(ids)] == old_actor_names(dep, ids)
    for known in dep.stations:
        assert dep.station(known.id) is old_station(dep, known.id)
    with pytest.raises(KeyError):
        dep.station("no-such-station")
    for category in categories:
        for lang in ("sv", "en", "fi", "ar"):
            assert dep.category_label(category, lang) == old_category_label(dep, category, lang)
    assert dep.directory.promises_at(None) == ()
    for chat in (-1001, -1002, -1003):
        assert group_stations(dep, chat) == old_group_stations(dep, chat)


def test_the_bundled_file_is_looked_up_as_before(deployment: Deployment) -> None:
    assert_same_lookups(with_group_chats(deployment))
    # And the old scans over every staff member, for every station, kind and category.
    for station in [s.id for s in deployment.stations]:
        for category in [*(c.id for c in deployment.categories), None]:
            for kind in CaseKind:
                actors = route(deployment, station, kind, category)
                assert actors == old_route(deployment, station, kind, category)
                chosen = pick_staff(deployment.staff_at(station), station, actors)
                assert chosen == old_pick_staff(deployment.staff, station, actors)
    assert unstaffed_routes(deployment) == old_unstaffed_routes(deployment)


def test_a_national_file_is_looked_up_as_before(national: Deployment) -> None:
    assert_same_lookups(with_group_chats(national))


def test_unstaffed_routes_as_before_where_some_are() -> None:
    dep = parse_deployment(generate(sized(20)), "national.toml")
    # Leave every partner of one station out, and one kommunpolis: routes now reach nobody.
    gone = dep.stations[3].id
    staff = [m for m in dep.staff if gone not in m.stations or m.role.value == "kommunpolis"]
    thinned = dep.model_copy(update={"staff": staff})
    assert unstaffed_routes(thinned) == old_unstaffed_routes(thinned) != []


def test_a_copy_looks_up_its_own_lists(deployment: Deployment) -> None:
    """model_copy with new lists: the copy's look-ups follow them, not the original's."""
    assert deployment.directory.stations  # built on the original first
    renamed = [s.model_copy(update={"name": f"{s.name} C"}) for s in deployment.stations]
    copied = deployment.model_copy(update={"stations": renamed})
    station = deployment.stations[0].id
    assert copied.station(station).name == deployment.station(station).name + " C"


# ---------------------------------------------------------------------- cost per report
class Counted(list[T]):
    """A deployment's list that counts the times code walks it or reads from it."""

    reads = 0

    def __iter__(self) -> Iterator[T]:
        Counted.reads += 1
        return super().__iter__()

    def __getitem__(self, index: Any) -> Any:  # list has two overloads
        Counted.reads += 1
        return super().__getitem__(index)

    def __contains__(self, item: object) -> bool:
        Counted.reads += 1
        return super().__contains__(item)

    def __len__(self) -> int:
        Counted.reads += 1
        return super().__len__()

    def index(self, value: T, start: SupportsIndex = 0, stop: SupportsIndex = 2**62) -> int:
        Counted.reads += 1
        return super().index(value, start, stop)


def counted(dep: Deployment) -> Deployment:
    return dep.model_copy(
        update={
            name: Counted(getattr(dep, name))
            for name in ("staff", "stations", "routing", "promises", "actors", "categories")
        }
    )


@pytest.mark.parametrize("size", [6, 600])
def test_a_new_report_does_not_walk_the_deployment(size: int, national: Deployment) -> None:
    """At 600 stations as at 6, routing a report (who, then whose staff get the card) and
    the look-ups an update makes read no list of the deployment: only what is filed under
    that station, category or id; the staff they choose among are the station's few."""
    base = national if size == 600 else parse_deployment(generate(sized(size)), "small.toml")
    dep = counted(base)
    stations = [s.id for s in base.stations]
    categories = [c.id for c in base.categories]
    assert dep.directory  # built once, when first asked (the start-up's first update)
    Counted.reads = 0
    examined = 0
    for n, station in enumerate(stations):
        category = categories[n % len(categories)]
        actors = route(dep, station, CaseKind.REPORT, category)
        route(dep, station, CaseKind.IDEA, None)
        staff = dep.directory.staff_at(station)
        examined = max(examined, len(staff))
        pick_staff(staff, station, actors)
        dep.station(station)
        dep.category_label(category, "sv")
        dep.directory.promises_at(station)
        group_stations(dep, -1001)
    assert Counted.reads == 0
    assert examined <= 12  # staff per station, by the generator's proportions: 5 on average
