"""Open311 GeoReport v2 as data: query parameters in, public service and request dicts out.

The dicts are the JSON bodies; bot/open311.py writes the same dicts as the spec's XML.

Only public fields ever reach a response: the case reference, its category, status, the
resident's description and place text, the pin (or the station), the routed actors and the
times. Never the resident, their chat, photos, staff or officers' notes. Only cases an
officer has taken in (acknowledged, in progress, resolved) are published, and a resident's pin
is rounded to about 100 m.

Date window (the spec's defaults): without dates, the last 90 days; with only an end_date,
the 90 days before it; with only a start_date, everything from it. At most 1000 requests,
newest first. `service_code` and `status` take comma separated lists;
`service_request_id` (comma separated) overrides every other filter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from bot.domain.lifecycle import CLOSED, OPEN, Status
from bot.domain.models import CaseKind

#: The service code of ideas (cases of kind "idea" have no category).
IDEA_CODE = "idea"
#: The spec's default window and most requests in one response.
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
#: Most service codes in one `service_code` list (there are far fewer services).
MAX_SERVICE_CODES = 100
OPEN311_STATUSES = ("open", "closed")
#: Only cases an officer has taken in are published: not new ones (nobody has read them yet)
#: and not those set aside as not actionable (often because they name people).
PUBLISHED = frozenset({Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED})
#: A resident's pin is published rounded to 3 decimals (about 100 m): the place, not the
#: doorstep they may have sent it from.
PIN_DECIMALS = 3

#: A catalog lookup: (language, message key) -> text.
Text = Callable[[str, str], str]


class Open311Error(Exception):
    """A request the API refuses; rendered as the spec's error body."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def error_body(code: int, description: str) -> list[dict[str, object]]:
    """The spec's error response: a list of {code, description}."""
    return [{"code": code, "description": description}]


def service_definition(code: str) -> dict[str, object]:
    """GET services/<code>: no service has attributes (metadata is false), so none are listed."""
    return {"service_code": code, "attributes": []}


@dataclass(frozen=True)
class PublicCase:
    """The columns of a case that may be published (no resident, photos or notes)."""

    reference: str
    kind: str
    category: str | None
    station_id: str
    status: str
    description: str
    place_text: str | None
    lat: float | None
    lon: float | None
    created_at: str  # ISO, UTC
    updated_at: str  # ISO, UTC
    actors: tuple[str, ...]


@dataclass(frozen=True)
class RequestQuery:
    """Filters for service requests, in storage terms (database statuses, UTC times)."""

    references: tuple[str, ...] | None = None
    #: With service codes: reports in `categories`, and ideas if `ideas`; None: every service.
    categories: tuple[str, ...] | None = None
    ideas: bool = True
    statuses: tuple[str, ...] | None = None
    since: str | None = None  # ISO, UTC, inclusive
    until: str | None = None  # ISO, UTC, inclusive
    limit: int = MAX_REQUESTS


def open311_status(status: str) -> str:
    """A lifecycle status as the spec's two values."""
    return "closed" if status in CLOSED else "open"


def _utc(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def parse_datetime(name: str, value: str, zone: ZoneInfo) -> dt.datetime:
    """A w3c/ISO 8601 date or datetime; without an offset it is local time in `zone`."""
    text = value.strip()
    # An unencoded "+01:00" in a query string arrives as " 01:00".
    text = re.sub(r" (\d{2}(?::?\d{2})?)$", r"+\1", text)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise Open311Error(
            400, f"{name} must be an ISO 8601 date or time, e.g. 2026-10-01T00:00:00+02:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def parse_request_query(
    params: Mapping[str, str], deployment: Deployment, now: dt.datetime
) -> RequestQuery:
    """The filters of GET requests.json; Open311Error (400) for a bad value."""
    if "service_request_id" in params:
        references = _split(params["service_request_id"])
        if not references:
            raise Open311Error(400, "service_request_id is empty")
        if len(references) > MAX_REQUESTS:
            raise Open311Error(400, f"at most {MAX_REQUESTS} service_request_id values")
        return RequestQuery(references=tuple(dict.fromkeys(references)))

    categories, ideas = None, True
    codes = list(dict.fromkeys(_split(params.get("service_code", ""))))
    if codes:
        if len(codes) > MAX_SERVICE_CODES:
            raise Open311Error(400, f"at most {MAX_SERVICE_CODES} service_code values")
        categories = tuple(code for code in codes if code != IDEA_CODE)
        ideas = IDEA_CODE in codes

    statuses = tuple(sorted(s.value for s in PUBLISHED))
    if "status" in params:
        wanted = {s.lower() for s in _split(params["status"])}
        unknown = wanted - set(OPEN311_STATUSES)
        if unknown or not wanted:
            raise Open311Error(400, "status must be open, closed or both (comma separated)")
        chosen = (OPEN if "open" in wanted else set()) | (CLOSED if "closed" in wanted else set())
        statuses = tuple(sorted(s.value for s in chosen & PUBLISHED))

    zone = ZoneInfo(deployment.deployment.timezone)
    start = end = None
    if params.get("start_date", "").strip():
        start = parse_datetime("start_date", params["start_date"], zone)
    if params.get("end_date", "").strip():
        end = parse_datetime("end_date", params["end_date"], zone)
    window = dt.timedelta(days=DEFAULT_DAYS)
    try:
        if start is None and end is None:
            start = now - window
        elif start is None and end is not None:
            start = end - window
        since = _utc(start) if start else None
        until = _utc(end) if end else None
    except OverflowError:  # e.g. 0001-01-01 with a positive offset
        raise Open311Error(400, "start_date or end_date is out of range") from None
    if start is not None and end is not None and end < start:
        raise Open311Error(400, "end_date is before start_date")
    return RequestQuery(
        categories=categories, ideas=ideas, statuses=statuses, since=since, until=until
    )


def _names(names: Mapping[str, str], languages: list[str]) -> list[str]:
    ordered = [names[lang] for lang in languages if lang in names]
    ordered += [name for lang, name in names.items() if lang not in languages]
    return list(dict.fromkeys(ordered))


def _keywords(code: str, names: list[str]) -> str:
    """Comma separated terms: the code and the parts of every name ("Gångtunnel / passage")."""
    terms = [t.strip() for name in names for t in re.split(r"[,;/()]", name)]
    return ",".join(dict.fromkeys(t for t in [code, *terms] if t))


def services(deployment: Deployment, text: Text) -> list[dict[str, object]]:
    """Every category as a service, plus one service for ideas."""
    meta = deployment.deployment
    lang = meta.default_language
    languages = [lang, *meta.languages]
    report_group = text(lang, "kind.report").capitalize()
    found: list[dict[str, object]] = []
    for category in deployment.categories:
        names = _names(category.name, languages)
        found.append(
            {
                "service_code": category.id,
                "service_name": category.label(lang),
                "description": "; ".join(names),
                "metadata": False,
                "type": "realtime",
                "keywords": _keywords(category.id, names),
                "group": report_group,
            }
        )
    idea_names = list(dict.fromkeys(text(code, "kind.idea").capitalize() for code in languages))
    found.append(
        {
            "service_code": IDEA_CODE,
            "service_name": idea_names[0],
            "description": "; ".join(idea_names),
            "metadata": False,
            "type": "realtime",
            "keywords": _keywords(IDEA_CODE, idea_names),
            "group": idea_names[0],
        }
    )
    return found


class RequestRenderer:
    """Maps public cases to the spec's service request dicts for one deployment."""

    def __init__(self, deployment: Deployment, text: Text) -> None:
        meta = deployment.deployment
        self.lang = meta.default_language
        self.zone = ZoneInfo(meta.timezone)
        self.text = text
        self.stations = {s.id: s for s in deployment.stations}
        self.actors = {a.id: a.name for a in deployment.actors}
        self.categories = {c.id: c.label(self.lang) for c in deployment.categories}
        self.idea_name = text(self.lang, "kind.idea").capitalize()
        self.known_statuses = {s.value for s in (*OPEN, *CLOSED)}

    def local(self, iso: str) -> str:
        """A stored UTC time as ISO 8601 with the deployment's offset."""
        moment = dt.datetime.fromisoformat(iso)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(self.zone).isoformat(timespec="seconds")

    def status_notes(self, status: str) -> str:
        """The lifecycle status in plain words, never an officer's free-text note."""
        if status not in self.known_statuses:
            return status
        return self.text(self.lang, f"status.{Status(status).value}").capitalize()

    def request(self, case: PublicCase) -> dict[str, object]:
        if case.kind == CaseKind.IDEA.value:
            code, name = IDEA_CODE, self.idea_name
        else:
            code = case.category or case.kind
            name = self.categories.get(code, code)
        station = self.stations.get(case.station_id)
        lat, lon = case.lat, case.lon
        if lat is None or lon is None:
            lat, lon = (station.lat, station.lon) if station else (None, None)
        else:
            lat, lon = round(lat, PIN_DECIMALS), round(lon, PIN_DECIMALS)
        if case.place_text:
            address = case.place_text
        elif station:
            address = f"{station.name}, {station.kommun}"
        else:
            address = case.station_id
        return {
            "service_request_id": case.reference,
            "status": open311_status(case.status),
            "status_notes": self.status_notes(case.status),
            "service_name": name,
            "service_code": code,
            "description": case.description,
            "agency_responsible": "; ".join(self.actors.get(a, a) for a in case.actors),
            "requested_datetime": self.local(case.created_at),
            "updated_datetime": self.local(case.updated_at),
            "address": address,
            "lat": lat,
            "long": lon,
        }
