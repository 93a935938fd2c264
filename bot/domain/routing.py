"""Routing: who receives a case. Data (the deployment) plus pure functions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from bot.domain.access import StaffLike, receives_card
from bot.domain.deployment import Deployment
from bot.domain.models import CaseKind

S = TypeVar("S", bound=StaffLike)


def route(
    deployment: Deployment, station_id: str, kind: CaseKind, category: str | None
) -> list[str]:
    """The actors a case belongs to: the station's police first (its kommunpolis always gets
    the case); for a report, also every actor that owns its category at that station."""
    directory = deployment.directory  # by station: the cost does not grow with the country
    actors = list(directory.kommunpolis_actors(station_id))
    if kind is CaseKind.REPORT:
        for rule in directory.routes(station_id, category):
            actors += [a for a in rule.actors if a not in actors]
    return actors


def pick_staff(staff: Sequence[S], station_id: str, actors: Sequence[str]) -> list[S]:
    """Staff who get the card: the station's kommunpolis, and partners of the case's actors
    who work at that station. Pass the station's staff (`Deployment.staff_at`, storage's
    `staff_at`) rather than everyone: the choice is the same, and much cheaper."""
    return [member for member in staff if receives_card(member, station_id, actors)]


def group_chat(deployment: Deployment, station_id: str, kind: CaseKind) -> int | None:
    """The station's cooperation group chat, for reports (ideas stay with the kommunpolis)."""
    return deployment.station(station_id).group_chat_id if kind is CaseKind.REPORT else None


def unstaffed_routes(deployment: Deployment) -> list[tuple[str, str]]:
    """(station id, actor id) where the routing sends reports to an actor none of whose staff
    in the file gets cards at that station: those reports reach nobody of that actor."""
    found: list[tuple[str, str]] = []
    for rule in deployment.routing:
        stations = [s.id for s in deployment.stations] if "*" in rule.stations else rule.stations
        for station in stations:
            for actor in rule.actors:
                staffed = any(
                    member.actor == actor and receives_card(member, station, [actor])
                    for member in deployment.directory.staff_at(station)
                )
                if not staffed and (station, actor) not in found:
                    found.append((station, actor))
    return found
