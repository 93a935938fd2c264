"""Who may see and do what: the one access policy of the bot. Pure functions.

Roles (see DOMAIN.md):
- a national admin (role admin, no stations) may see and do everything;
- a station admin may see and act on every case at their stations, see their statistics,
  export them, and grant or take away access only inside their stations and their own actor,
  so no code they hand out reaches further than they reach themselves;
- a kommunpolis sees every case at their stations, gets every card there, sees their
  statistics and the staff list, and reports on every commitment of their promises;
- a partner sees what is routed (or forwarded) to their actor at their stations and reports
  on their actor's commitments; no statistics, no export, no staff list.
Residents are not staff: what they may see is their own cases, checked where those are read.

Every function takes the member as stored (a `StaffLike`); call sites load the member once
per update and ask here, instead of comparing roles themselves.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.domain.deployment import Role

#: A staff row's source: linked with a one-time code (revocable in Telegram), or the file.
INVITE = "invite"


class StaffLike(Protocol):
    """What the policy needs of a staff member: role, actor and stations."""

    @property
    def role(self) -> str: ...
    @property
    def actor_id(self) -> str: ...
    @property
    def stations(self) -> Sequence[str]: ...


class Member(StaffLike, Protocol):
    """A stored staff member: the policy also needs who they are and where they came from."""

    @property
    def id(self) -> int: ...
    @property
    def source(self) -> str: ...


# ---------------------------------------------------------------------- roles and stations
def is_national(member: StaffLike) -> bool:
    """An admin of every station (an admin without stations)."""
    return _national(member.role, member.stations)


def _national(role: str, stations: Sequence[str]) -> bool:
    return role == Role.ADMIN and not stations


def is_kommunpolis_at(member: StaffLike, station_id: str) -> bool:
    """The station's kommunpolis: always gets its cases, and a resident's answer when nobody
    who asked may still hear it."""
    return member.role == Role.KOMMUNPOLIS and station_id in member.stations


def needs_station(role: str) -> bool:
    """Whether staff of this role must work at a station (only an admin may have none)."""
    return role != Role.ADMIN


def station_scope(member: StaffLike) -> frozenset[str] | None:
    """The stations a member works for; None: every station (a national admin)."""
    return None if is_national(member) else frozenset(member.stations)


def works_at(member: StaffLike, stations: Collection[str]) -> bool:
    """Whether a member works at any of these stations (a national admin at all)."""
    return is_national(member) or bool(set(member.stations) & set(stations))


def stations_in_group(role: str, stations: Sequence[str], here: Sequence[str]) -> tuple[str, ...]:
    """The stations a staff member acts for in a group chat of stations `here`: theirs among
    them (a national admin, with no stations, has them all). Empty: not staff of this group."""
    if _national(role, stations):
        return tuple(here)
    return tuple(s for s in here if s in stations)


# ---------------------------------------------------------------------- cases
def sees_every_actor(member: StaffLike) -> bool:
    """Kommunpolis and admins see the cases of every actor (at their stations)."""
    return member.role in (Role.KOMMUNPOLIS, Role.ADMIN)


def may_open(member: StaffLike, station_id: str, actors: Collection[str]) -> bool:
    """Whether a staff member may see and act on a case at this station, routed to `actors`.

    National admins see everything; kommunpolis and admins everything at their stations;
    partners what is routed (or forwarded) to their actor at their stations.
    """
    if is_national(member):
        return True
    if station_id not in member.stations:
        return False
    return sees_every_actor(member) or member.actor_id in actors


def may_learn_absent(member: StaffLike, station_id: str | None) -> bool:
    """Whether a member may be told that a reference at this station (None: no station has
    its code) names no case: only if they would see every case there, so a probe learns
    nothing elsewhere. A partner sees only some cases at a station: their miss is refused
    like another actor's case, which would otherwise be told apart from no case at all."""
    return is_national(member) or (
        station_id is not None and station_id in member.stations and sees_every_actor(member)
    )


def receives_card(member: StaffLike, station_id: str, actors: Collection[str]) -> bool:
    """Whether a member gets the card of a new case: the station's kommunpolis, and partners
    of the case's actors who work at that station (admins hear only of escalations)."""
    return is_kommunpolis_at(member, station_id) or (
        member.role == Role.PARTNER and station_id in member.stations and member.actor_id in actors
    )


def hears_escalation(member: StaffLike, station_id: str, actors: Collection[str]) -> bool:
    """Whether an admin hears that nobody acknowledged a case: admins who may open it."""
    return member.role == Role.ADMIN and may_open(member, station_id, actors)


def case_list_scope(
    member: StaffLike, all_stations: Sequence[str], all_actors: Sequence[str]
) -> tuple[list[str], list[str]]:
    """(stations, actors) whose open cases a member's list shows."""
    stations = list(all_stations) if is_national(member) else list(member.stations)
    actors = list(all_actors) if sees_every_actor(member) else [member.actor_id]
    return stations, actors


# ---------------------------------------------------------------------- admin functions
def may_see_stats(member: StaffLike | None) -> bool:
    """Statistics: admins and kommunpolis (of their stations); partners not."""
    return member is not None and member.role in (Role.ADMIN, Role.KOMMUNPOLIS)


def may_list_staff(member: StaffLike | None) -> bool:
    """Who has access (/staff): admins and kommunpolis."""
    return member is not None and member.role in (Role.ADMIN, Role.KOMMUNPOLIS)


def may_start_export(member: StaffLike | None) -> bool:
    """Exports are for admins only (which stations: `may_export`)."""
    return member is not None and member.role == Role.ADMIN


def may_export(member: StaffLike | None, station_id: str | None) -> bool:
    """Exports are for admins: a national admin every station at once (`station_id` None),
    a station admin one of their stations at a time."""
    if member is None or not may_start_export(member):
        return False
    if is_national(member):
        return True
    return station_id is not None and station_id in member.stations


def hears_admin_alerts(member: StaffLike, stations: Collection[str]) -> bool:
    """Admins who look after any of these stations (national admins always) hear of problems
    there (a staff chat the bot cannot reach, an unreachable card)."""
    return member.role == Role.ADMIN and works_at(member, stations)


def may_report_on(
    member: StaffLike, promise_stations: Collection[str], owners: Collection[str]
) -> bool:
    """Whether a member may write an update on a commitment of a promise at these stations:
    kommunpolis and admins on every one at their stations, partners on their actor's."""
    at_station = not member.stations or bool(set(member.stations) & set(promise_stations))
    return at_station and (sees_every_actor(member) or member.actor_id in owners)


# ---------------------------------------------------------------------- invites
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
    if member.role != Role.ADMIN:
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
