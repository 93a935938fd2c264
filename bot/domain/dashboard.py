"""The dashboard's rules: which cases a member's map and list show, and its filters.

A member sees on the dashboard exactly the cases they may open in the bot
(bot.domain.access.may_open): `case_scope` says so as a query can ask it. The filters come
from a GET form (station, kind, category, status, a period of local dates, a page); a value the
member could not have chosen (an unknown station, another's station, a bad date) is refused
with one message, the same for each, so a refusal tells nothing about other stations.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from bot.domain.access import StaffLike, sees_every_actor, station_scope
from bot.domain.lifecycle import Status
from bot.domain.web import page_number

#: List rows per page, map markers at most (the list says how many there are).
PAGE_SIZE = 50
MAP_LIMIT = 2000
#: The period shown when the form gives none: the last 90 days.
DEFAULT_DAYS = 90
#: The longest description shown in the list and in a popup.
CLIP = 120
#: The highest page number a form may ask for (a bigger one is a bad value).
MAX_PAGE = 10_000
#: The dates a form may give: from EARLIEST to a year after today (others are bad values,
#: so no date arithmetic or time zone conversion ever leaves the calendar).
EARLIEST = dt.date(2000, 1, 1)
LATEST_AHEAD = dt.timedelta(days=366)
#: The kinds of case the Typ filter offers (the export page's words: Rapporter, Idéer).
KINDS = ("report", "idea")
#: The form's filter fields: with none of them given the page shows the default choice.
FIELDS = ("station", "kind", "category", "status", "from", "to")


@dataclass(frozen=True)
class CaseScope:
    """The cases a member may open: at these stations (None: every one), routed or
    forwarded to this actor (None: to any actor)."""

    stations: frozenset[str] | None
    actor: str | None

    def allows(self, station_id: str, actors: Collection[str]) -> bool:
        at_station = self.stations is None or station_id in self.stations
        return at_station and (self.actor is None or self.actor in actors)


def case_scope(member: StaffLike) -> CaseScope:
    """What `may_open` allows `member`, as stations and an actor a query can filter on."""
    return CaseScope(station_scope(member), None if sees_every_actor(member) else member.actor_id)


class BadFilter(ValueError):
    """A filter value the member could not have chosen in the form."""


@dataclass(frozen=True)
class Filters:
    """The chosen filters: None means any. `since` and `until` are local dates, both
    included. `given`: the form chose something (False: the default choice)."""

    station: str | None
    category: str | None
    status: str | None
    since: dt.date
    until: dt.date
    page: int = 1
    kind: str | None = None
    given: bool = False

    def query(self) -> dict[str, str]:
        """The form fields that give these filters (for the map's data and page links)."""
        fields = {"station": self.station or "", "kind": self.kind or ""}
        fields["category"] = self.category or ""
        fields |= {"status": self.status or "", "from": self.since.isoformat()}
        fields["to"] = self.until.isoformat()
        return fields


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    return today - dt.timedelta(days=DEFAULT_DAYS), today


def parse_filters(
    form: Mapping[str, str],
    *,
    today: dt.date,
    stations: Collection[str],
    categories: Collection[str],
) -> Filters:
    """The filters of a GET form. `stations`: those the member may see; `categories`: the
    deployment's. Raises BadFilter for anything else."""
    station = _choice(form.get("station"), stations)
    kind = _choice(form.get("kind"), KINDS)
    category = _choice(form.get("category"), categories)
    status = _choice(form.get("status"), {s.value for s in Status})
    first, last = default_period(today)
    since = _date(form.get("from"), today) or first
    until = _date(form.get("to"), today) or last
    if since > until:
        raise BadFilter("from after to")
    page = page_number((form.get("page") or "1").strip(), MAX_PAGE)
    if page is None:
        raise BadFilter("page")
    given = any((form.get(name) or "").strip() for name in FIELDS)
    return Filters(station, category, status, since, until, page, kind, given)


def _choice(value: str | None, allowed: Collection[str]) -> str | None:
    value = (value or "").strip()
    if not value:
        return None
    if value not in allowed:
        raise BadFilter("not a choice")
    return value


def _date(value: str | None, today: dt.date) -> dt.date | None:
    """A form's date, None when empty; BadFilter when not a date from EARLIEST to a year
    after `today`."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        raise BadFilter("date") from None
    if not EARLIEST <= day <= today + LATEST_AHEAD:
        raise BadFilter("date")
    return day


def clip(text: str, limit: int = CLIP) -> str:
    """The text on one line, cut at `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def pages(total: int, size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // size))
