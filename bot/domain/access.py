"""Who may open a case, and which staff an admin may invite or revoke. Pure functions.

A national admin (no stations) may do anything. A station-bound admin's scope is their
stations and their own actor: they may grant or take away access only inside it, so no code
they hand out can reach further than they reach themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.deployment import Role
from bot.domain.routing import StaffLike

#: A staff row's source: linked with a one-time code (revocable in Telegram), or the file.
INVITE = "invite"


class Member(StaffLike, Protocol):
    """A stored staff member: the policy also needs who they are and where they came from."""

    @property
    def id(self) -> int: ...
    @property
    def source(self) -> str: ...


def may_open(member: StaffLike, station_id: str, actors: Collection[str]) -> bool:
    """Whether a staff member may see and act on a case at this station, routed to `actors`.

    National admins see everything; kommunpolis and admins everything at their stations;
    partners what is routed (or forwarded) to their actor at their stations.
    """
    if member.role == Role.ADMIN.value and not member.stations:
        return True
    if station_id not in member.stations:
        return False
    return member.role in (Role.KOMMUNPOLIS.value, Role.ADMIN.value) or member.actor_id in actors


@dataclass(frozen=True)
class Scope:
    """What an admin may grant: these actors and stations (None: any)."""

    actors: frozenset[str] | None
    stations: frozenset[str] | None

    def covers(self, actor_id: str, stations: Sequence[str]) -> bool:
        if self.actors is not None and actor_id not in self.actors:
            return False
        if self.stations is None:
            return True
        return bool(stations) and set(stations) <= self.stations


def admin_scope(member: StaffLike) -> Scope | None:
    """The inviting scope of an admin; None for anyone else (they may invite no one)."""
    if member.role != Role.ADMIN.value:
        return None
    if not member.stations:
        return Scope(None, None)
    return Scope(frozenset({member.actor_id}), frozenset(member.stations))


def may_grant(member: StaffLike, role: str, actor_id: str, stations: Sequence[str]) -> bool:
    """Whether `member` may hand out a code for this role, actor and stations."""
    scope = admin_scope(member)
    return (
        scope is not None and role in {r.value for r in Role} and scope.covers(actor_id, stations)
    )


def may_revoke(member: Member, target: Member) -> bool:
    """Invited staff inside the admin's scope, never oneself; the file's staff leave the file."""
    return (
        target.source == INVITE
        and target.id != member.id
        and may_grant(member, target.role, target.actor_id, target.stations)
    )
