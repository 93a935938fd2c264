"""Where an officer can forward a case: the actors at its station first. Pure."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.deployment import Actor, ActorKind, Deployment
from bot.domain.paging import own_first


def forward_targets(
    deployment: Deployment, station_id: str, current: Collection[str]
) -> tuple[list[Actor], list[Actor]]:
    """The actors a case at `station_id` can be forwarded to (not one of `current`, the
    actors already on it, and not the operators) as `paging.own_first` splits them: on a list
    of more than a page, (those routed or staffed at the station, the others); on one page,
    (all of them, none). Each in the file's order."""
    near = {
        actor
        for rule in deployment.routing
        if station_id in rule.stations or "*" in rule.stations
        for actor in rule.actors
    }
    near |= {member.actor for member in deployment.staff if station_id in member.stations}
    targets = [
        a for a in deployment.actors if a.id not in current and a.kind is not ActorKind.OTHER
    ]
    return own_first(targets, lambda actor: actor.id in near)
