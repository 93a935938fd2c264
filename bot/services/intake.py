"""Resident intake: stations and categories, "me too", photos, and sending a draft as a case."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from dataclasses import dataclass

from bot.domain.deployment import Deployment, Station
from bot.domain.guards import looks_like_crime_tip
from bot.domain.intake import Draft, TextProblem
from bot.domain.models import Case, CaseKind, NewCase
from bot.domain.stations import Nearest, StationIndex, fold
from bot.media import remove_photos, store_photo
from bot.metrics import Metrics
from bot.services.routing import Routed, Routing
from bot.services.updates import Updates
from bot.services.wake import Wake
from bot.settings import Settings
from storage.cases import CaseRepository
from storage.database import Database
from storage.outbox import OutboxItem
from storage.residents import ResidentRepository
from storage.submit import AtStation, Submission, write_submit

log = logging.getLogger(__name__)

ME_TOO_DAYS = 30
#: A station's name is looked for in a sentence as up to this many words in a row.
NAME_WORDS = 4


class CrimeTip(TextProblem):
    """The draft as a whole names a person and an offence: it is never stored."""


class ReportLimit(TextProblem):
    """The resident has sent the deployment's reports_per_hour: the draft is kept, not sent."""


@dataclass(frozen=True)
class Submitted:
    """A draft sent: its case, and whether this send wrote it (False: it was sent before).

    For a new case also what the resident is told: the partner actors a report really
    reaches, and whether they follow the case's station already (else they are offered to).
    """

    case: Case
    new: bool
    receiving: tuple[str, ...] = ()
    followed: bool = False

    @property
    def told(self) -> str:
        """The key of the resident's confirmation: an idea's; a report's naming the partner
        actors that receive it besides the kommunpolis; or, when none does, the kommunpolis
        alone (never the station, as if it were a recipient)."""
        if self.case.kind is not CaseKind.REPORT:
            return "submitted.idea"
        return "submitted.report" if self.receiving else "submitted.report_police"


def find_station(deployment: Deployment, station_id: str | None) -> Station | None:
    """The deployment's station with this id; None for none or one the file does not have."""
    if station_id is None:
        return None
    try:
        return deployment.station(station_id)
    except KeyError:
        return None


class Intake:
    def __init__(
        self,
        settings: Settings,
        deployment: Deployment,
        db: Database,
        residents: ResidentRepository,
        cases: CaseRepository,
        routing: Routing,
        updates: Updates,
        wake: Wake,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.deployment = deployment
        self._db = db
        self.residents = residents
        self.cases = cases
        self.routing = routing
        self.updates = updates
        self.on_enqueue = wake
        self.metrics = metrics
        #: Built once: by id, name, kommun and letter, so no update scans every station.
        self.index = StationIndex(deployment.stations)
        #: Names and aliases (not ids or codes: short codes read like ordinary words).
        self._names = {
            fold(name): station
            for station in deployment.stations
            for name in (station.name, *station.aliases)
        }

    # ------------------------------------------------------------------ stations
    def station(self, station_id: str | None) -> Station | None:
        return self.index.station(station_id)

    def find_stations(self, text: str) -> list[Station]:
        return self.index.match(text)

    def stations_named_in(self, text: str) -> list[Station]:
        """Stations whose name (or alias) stands as whole words in a sentence ("Tunneln vid
        Jakobsberg är mörk"), in the order they are named; a few dictionary look-ups per
        word, never a scan of every station."""
        words = re.findall(r"\w+", fold(text))
        found: dict[str, Station] = {}
        for start in range(len(words)):
            for end in range(start + 1, min(start + NAME_WORDS, len(words)) + 1):
                station = self._names.get(" ".join(words[start:end]))
                if station is not None:
                    found.setdefault(station.id, station)
        return list(found.values())

    def nearest(self, lat: float, lon: float) -> Nearest:
        limit = self.deployment.deployment.max_station_distance_km
        return self.index.nearest(lat, lon, limit)

    def category_name(self, category_id: str | None, lang: str) -> str:
        return self.deployment.category_label(category_id, lang) or category_id or ""

    def station_parties(self, station_id: str | None) -> list[str]:
        """Actors of the station's promise in force (for the privacy notice): the current
        one, else the next, else the latest ended (`Timeline.in_force`)."""
        promise = self.updates.timeline(station_id).in_force if station_id else None
        ids = promise.parties if promise is not None else []
        return [a.name for a in self.deployment.directory.in_file_order(ids)]

    # ------------------------------------------------------------------ the draft
    async def similar_reports(self, chat_id: int, draft: Draft) -> list[Case]:
        """Open reports of others in the last 30 days at the draft's station and category."""
        if not draft.station or not draft.category:
            return []
        since = dt.datetime.now(dt.UTC) - dt.timedelta(days=ME_TOO_DAYS)
        resident = await self.residents.get_by_chat(chat_id)
        return await self.cases.open_similar(
            draft.station,
            draft.category,
            since.isoformat(timespec="seconds"),
            not_of=resident.id if resident else None,
        )

    async def support(self, chat_id: int, draft: Draft, reference: str) -> tuple[bool, Case]:
        """Add the resident's voice to a case offered to this draft: (added now?, the case).

        The button is not trusted: the case must be one the draft's "me too" prompt offered,
        and still an open report at the draft's station and category, not the resident's own.
        Anything else is TextProblem("error.stale").
        """
        if reference not in draft.offered or not draft.station or not draft.category:
            raise TextProblem("error.stale")
        resident = await self.residents.touch(chat_id)
        added = await self.cases.add_supporter(
            reference, resident.id, draft.station, draft.category
        )
        case = await self.cases.get(reference)
        if added is None or case is None:
            raise TextProblem("error.stale")
        return added, case

    async def save_photo(self, content: bytes) -> str:
        """Store a cleaned copy of a resident's photo; returns its file name."""
        return await asyncio.to_thread(store_photo, content, self.settings.media_dir)

    async def discard_draft(self, draft: Draft) -> Case | None:
        """Remove an abandoned draft's photos; a draft that was sent keeps them (its case's),
        and the case it became is returned (None: it was not sent)."""
        case = await self.submitted(draft)
        if case is not None:
            return case  # e.g. restored after a crash from before it was sent, then replaced
        await asyncio.to_thread(remove_photos, list(draft.photos), self.settings.media_dir)
        return None

    async def submitted(self, draft: Draft) -> Case | None:
        """The case this draft became, if it was sent.

        The case row carrying the draft's id is the mark that the draft is consumed: it is
        written in the same transaction as the case, so there is no moment in which the case
        exists and the draft still looks unsent, whatever the persisted copy of the draft
        (written about once a second) says after a crash.
        """
        return await self.cases.of_draft(draft.id)

    async def submit_draft(self, chat_id: int, draft: Draft, lang: str) -> Submitted:
        """Store a finished draft as a case; the reference exists only once it is written.

        Idempotent: a draft is stored once however often it is sent (a double press, an update
        Telegram delivers again after a crash, a press repeated because the answer to the
        first was refused). Sending it again returns the first case, with no new cards to
        staff and without counting against the hourly limit.
        """
        missing = draft.missing()
        problem: TextProblem | None = None
        if missing:
            problem = TextProblem("summary.missing", fields=",".join(s.name for s in missing))
        # Each text was checked as it came; a name in the place and an offence in the
        # description are a tip only together.
        elif looks_like_crime_tip("\n".join(t for t in (draft.place_text, draft.description) if t)):
            problem = CrimeTip("guard.tip")
        if problem is not None:
            earlier = await self.submitted(draft)
            if earlier is not None:  # sent before: the answer is its case, as for any resend
                log.info("Case %s: its draft was sent again; nothing new stored", earlier.reference)
                return Submitted(earlier, new=False)
            raise problem
        station = self.station(draft.station)
        assert station is not None  # checked by missing()
        since = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat(timespec="seconds")
        new_case = self._new_case(draft, station, lang)
        actors = self.routing.actors(station.id, new_case.kind, new_case.category)

        def route(case: Case, at_station: AtStation) -> tuple[list[OutboxItem], Routed]:
            return self.routing.new_case(case, actors, at_station)

        # One transaction, run whole on SQLite's thread (storage.submit; tests/
        # test_submit_statements.py counts it): the check that the draft is not consumed yet
        # (cases.draft_id is UNIQUE), the resident touched, the hourly limit, the case, its
        # routing and every card to staff, and the home station. Checked and written under
        # one lock, so a draft is stored once.
        limit = self.deployment.limits.reports_per_hour
        submission = Submission(chat_id, new_case, since, limit, actors)
        written = await self._db.write(lambda conn: write_submit(conn, submission, route))
        if written.earlier is not None:
            earlier = written.earlier
            log.info("Case %s: its draft was sent again; nothing new stored", earlier.reference)
            return Submitted(earlier, new=False)
        case, routed = written.case, written.routed
        if case is None or routed is None:
            raise ReportLimit("limits.reports")
        self.on_enqueue()
        log.info("Case %s submitted (%s at %s)", case.reference, case.kind.value, station.id)
        if self.metrics is not None:
            self.metrics.reports.labels(station.id, case.kind.value).inc()
        return Submitted(case, new=True, receiving=routed.receiving, followed=written.followed)

    @staticmethod
    def _new_case(draft: Draft, station: Station, lang: str) -> NewCase:
        return NewCase(
            station_id=station.id,
            station_code=station.code,
            kind=draft.case_kind,
            description=draft.description or "",
            category=draft.category,
            place_text=draft.place_text,
            lat=draft.lat,
            lon=draft.lon,
            times=tuple(draft.times),
            language=lang,
            photos=tuple(draft.photos),
            draft_id=draft.id,
        )
