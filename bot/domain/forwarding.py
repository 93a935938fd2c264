"""Where an officer can forward a case: the actors at its station first. Pure."""

from __future__ import annotations

from collections.abc import Collection

from bot.domain.deployment import Actor, ActorKind, Deployment


def forward_targets(
    deployment: Deployment, station_id: str, current: Collection[str]
) -> tuple[list[Actor], list[Actor]]:
    """The actors a case at `station_id` can be forwarded to (not one of `current`, the
    actors already on it, and not the operators): (those routed or staffed at the station,
    the others), each in the file's order. With none at the station: (all of them, none), so
    the list never opens on an empty page. The forward buttons carry the actor's id, not a
    position, so the order may differ from the file's on a list of any length."""
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
    own = [a for a in targets if a.id in near]
    if not own:
        return targets, []
    return own, [a for a in targets if a.id not in near]
