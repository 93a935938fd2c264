"""Staff access: invite codes, who has access, revoking it, linking an account.

What a member may hand out, list or take away is `bot.domain.access`'s to answer; each use
case here asks it, so the handlers only parse, call and render.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from bot.domain.access import admin_scope, may_grant, may_list_staff, may_revoke
from bot.domain.deployment import Deployment
from bot.domain.models import Staff
from bot.services.desk import Refused
from storage.staff import StaffRepository


@dataclass(frozen=True)
class Invitation:
    """A one-time code and when it expires (ISO, UTC)."""

    code: str
    expires: str


class BadInvite(Exception):
    """Not an invite this admin may hand out: the actors and stations they choose among."""

    def __init__(self, actors: Collection[str], stations: Collection[str]) -> None:
        super().__init__("not an invite this admin may hand out")
        self.actors = sorted(actors)
        self.stations = sorted(stations)


@dataclass(frozen=True)
class Listed:
    """A staff member on the list, and whether the member asking may revoke their access."""

    staff: Staff
    revocable: bool


class StaffAccess:
    def __init__(self, deployment: Deployment, staff: StaffRepository) -> None:
        self.deployment = deployment
        self._staff = staff

    async def invite(
        self, member: Staff | None, role: str, actor_id: str | None, stations: Sequence[str]
    ) -> Invitation:
        """A one-time code for a new staff member of `role` at `actor_id` and `stations`.

        Refused unless the member is an admin; BadInvite unless the actor and stations are
        among theirs (a station-bound admin's own actor and stations) and they may grant it.
        """
        scope = admin_scope(member) if member else None
        if member is None or scope is None:
            raise Refused
        actors = {
            a.id for a in self.deployment.actors if scope.actors is None or a.id in scope.actors
        }
        allowed = {
            s.id
            for s in self.deployment.stations
            if scope.stations is None or s.id in scope.stations
        }
        chosen = list(stations)
        if (
            actor_id is None
            or actor_id not in actors
            or not chosen
            or not set(chosen) <= allowed
            or not may_grant(member, role, actor_id, chosen)
        ):
            raise BadInvite(actors, allowed)
        hours = self.deployment.deployment.invite_hours
        code, expires = await self._staff.create_invite(
            role, actor_id, chosen, member.telegram_id, hours
        )
        return Invitation(code, expires)

    async def listing(self, member: Staff | None) -> list[Listed]:
        """Who has access, for a member who may see the list (else Refused)."""
        if member is None or not may_list_staff(member):
            raise Refused
        return [Listed(s, may_revoke(member, s)) for s in await self._staff.active()]

    async def revoke(self, member: Staff | None, staff_id: int) -> Staff:
        """Take away a staff member's access; the member they were. Refused unless the member
        may revoke them and they still had access."""
        target = await self._staff.get(staff_id)
        if (
            member is None
            or target is None
            or not may_revoke(member, target)
            or not await self._staff.revoke(target.id)
        ):
            raise Refused
        return target

    async def redeem(self, code: str, telegram_id: int, name: str) -> Staff:
        """Link a Telegram account with an invite code (AlreadyStaff, InviteError)."""
        return await self._staff.redeem(code, telegram_id, name)
