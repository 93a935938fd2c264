"""Web sign-in use cases: a one-time link for a staff member (a few an hour, the newest
voids the others), the session it opens, the session's life on each request and sign-out
(rules in bot.domain.web)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.domain import web as rules
from bot.domain.models import Staff
from bot.services.desk import Refused
from storage.audit import AuditRepository
from storage.staff import StaffRepository
from storage.web import WebRepository

if TYPE_CHECKING:
    from bot.services import Services

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class TooManyLinks(Exception):
    """The member has had `rules.LINKS_PER_WINDOW` links in the last `rules.LINK_WINDOW`."""


@dataclass(frozen=True)
class SignedIn:
    """A new session: the id for the cookie, and who it belongs to."""

    session_id: str
    staff: Staff


class WebSignIn:
    def __init__(
        self,
        web_url: str | None,
        staff: StaffRepository,
        repo: WebRepository,
        audit: AuditRepository,
        clock: Clock = system_clock,
    ) -> None:
        self.web_url = web_url
        self._staff = staff
        self._repo = repo
        self._audit = audit
        self._clock = clock

    @classmethod
    def of(cls, services: Services, clock: Clock = system_clock) -> WebSignIn:
        return cls(
            services.settings.web_url,
            services.staff,
            WebRepository(services.db),
            services.audit,
            clock,
        )

    def public_page(self, lang: str) -> str | None:
        """The public promise pages (/lofte) in `lang`, for a resident who asks for the web
        pages; None when no public web address is set (TRYGG_WEB_URL)."""
        if self.web_url is None:
            return None
        return f"{self.web_url.rstrip('/')}/lofte?lang={lang}"

    async def link_for(self, member: Staff | None) -> str | None:
        """A one-time sign-in link for a staff member (Refused for anyone else), which voids
        their earlier unused links; None when no public web address is set (TRYGG_WEB_URL);
        TooManyLinks past the hourly limit."""
        if member is None or not member.active:
            raise Refused
        if self.web_url is None:
            return None
        token = rules.new_token()
        now = self._clock()
        added = await self._repo.add_link(
            rules.digest(token),
            member.id,
            rules.stamp(now),
            rules.stamp(now + rules.LINK_LIFETIME),
            window_start=rules.stamp(now - rules.LINK_WINDOW),
            limit=rules.LINKS_PER_WINDOW,
        )
        if not added:
            raise TooManyLinks
        return rules.link_url(self.web_url, token)

    async def link_valid(self, token: str) -> bool:
        """Whether a link could still sign someone in (it is not used by asking)."""
        link = await self._repo.link(rules.digest(token))
        return (
            link is not None
            and link.used_at is None
            and link.expires_at > rules.stamp(self._clock())
        )

    async def sign_in(self, token: str, previous: str | None = None) -> SignedIn | None:
        """Use a link (once) and open a session, ending the browser's `previous` session;
        None for an unknown, used or expired link or a staff member whose access has ended."""
        now = rules.stamp(self._clock())
        staff_id = await self._repo.consume_link(rules.digest(token), now)
        member = await self._staff.get(staff_id) if staff_id is not None else None
        if member is None or not member.active:
            return None
        if previous:
            await self.sign_out(previous)
        session_id = rules.new_token()
        await self._repo.add_session(rules.digest(session_id), member.id, now)
        await self._audit.log(f"staff:{member.id}", "web_sign_in", {})
        return SignedIn(session_id, member)

    async def session(self, session_id: str | None) -> Staff | None:
        """The staff member of a live session, which this request keeps alive; None when
        there is none, it ended, was idle too long, is older than SESSION_MAX_AGE or their
        access has ended."""
        if not session_id:
            return None
        now = self._clock()
        staff_id = await self._repo.touch_session(
            rules.digest(session_id),
            rules.stamp(now),
            rules.stamp(now - rules.IDLE_LIMIT),
            rules.stamp(now - rules.SESSION_MAX_AGE),
        )
        member = await self._staff.get(staff_id) if staff_id is not None else None
        return member if member is not None and member.active else None

    async def sign_out(self, session_id: str) -> None:
        staff_id = await self._repo.end_session(
            rules.digest(session_id), rules.stamp(self._clock())
        )
        if staff_id is not None:
            await self._audit.log(f"staff:{staff_id}", "web_sign_out", {})
