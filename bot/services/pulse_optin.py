"""The trygghetsmätning's opt-in (bot.domain.pulse): a resident who follows a station may agree
to a short monthly question about it, and stop whenever they like; stopping to follow the
station stops its question too (storage.promises.unfollow). Also the privacy side: the
resident's pulse data for /minadata, their pseudonyms for /radera, and the deletion of old
months' keys."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.domain.deployment import Deployment
from bot.domain.pulse import pseudonym
from bot.domain.trygghet import add_months, month_of
from storage.promises import PromiseRepository
from storage.pulse import PulseRepository
from storage.residents import ResidentRepository

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Choice:
    """What a press on the opt-in did: the station, and whether the question is now on."""

    station_id: str
    on: bool


async def pseudonyms(pulse: PulseRepository, chat_id: int) -> list[tuple[str, str]]:
    """(month, pseudonym) of this chat in every month whose key is still kept: the answers
    that can still be tied to the resident."""
    return pseudonyms_under(await pulse.keys(), chat_id)


def pseudonyms_under(keys: Mapping[str, bytes], chat_id: int) -> list[tuple[str, str]]:
    """(month, pseudonym) of this chat under each of these months' keys."""
    return [(month, pseudonym(key, chat_id)) for month, key in keys.items()]


async def pulse_data(
    pulse: PulseRepository,
    deployment: Deployment,
    chat_id: int,
    resident_id: int | None,
    lang: str | None,
) -> dict[str, Any]:
    """The resident's pulse rows, as /minadata shows them (under "safety_survey"): opt-ins,
    the questions sent (in the deployment's local time), and the answers of the months whose
    key still exists; stations and categories by id and by name (in `lang`)."""
    zone = ZoneInfo(deployment.deployment.timezone)

    def station(station_id: str) -> dict[str, str]:
        return {"station_id": station_id, "station": deployment.station_name(station_id)}

    def local(at: str) -> str:
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return moment.astimezone(zone).isoformat(timespec="seconds")

    answers = await pulse.answers_of(await pseudonyms(pulse, chat_id))
    consents = await pulse.consents(resident_id) if resident_id else []
    asked = await pulse.asked(resident_id) if resident_id else []
    return {
        "stations_asked_about": [station(s) for s in consents],
        "questions_sent": [station(s) | {"month": m, "asked_at": local(at)} for s, m, at in asked],
        "survey_answers": [
            station(a.station_id)
            | {
                "month": a.month,
                "score": a.score,
                "category_id": a.category,
                "category": deployment.category_label(a.category, lang),
            }
            for a in answers
        ],
    }


def oldest_kept_month(now: dt.datetime, zone: ZoneInfo) -> str:
    """A month's key is kept until the end of the following month: on any day of month M the
    keys of M-1 and M stay, older ones go."""
    return add_months(month_of(now.astimezone(zone).date()), -1)


class PulseOptIn:
    """Agreeing to, and stopping, the monthly question about a followed station."""

    def __init__(
        self,
        deployment: Deployment,
        residents: ResidentRepository,
        promises: PromiseRepository,
        pulse: PulseRepository,
    ) -> None:
        self.deployment = deployment
        self.residents = residents
        self.promises = promises
        self.pulse = pulse

    def offered_at(self, station_id: str) -> bool:
        """Whether the question is asked at the station: always (the months before a promise
        are what its before/after compares with), unless each of its promises turns it off."""
        promises = self.deployment.directory.promises_at(station_id)
        return not promises or any(p.pulse.ask for p in promises)

    async def _follower(self, chat_id: int, station_id: str) -> int | None:
        """The resident's id if this chat follows the station (and it is asked there)."""
        resident = await self.residents.get_by_chat(chat_id)
        if resident is None or not self.offered_at(station_id):
            return None
        if station_id not in await self.promises.followed(resident.id):
            return None
        return resident.id

    async def may_offer(self, chat_id: int, station_id: str) -> bool:
        """Offer the question after following: followed, asked there, not agreed yet."""
        rid = await self._follower(chat_id, station_id)
        return rid is not None and station_id not in await self.pulse.consents(rid)

    async def choose(self, chat_id: int, station_id: str, on: bool) -> Choice | None:
        """Agree to (on) or stop the question; None, with nothing stored, when the chat does
        not follow the station (a forged or stale button)."""
        rid = await self._follower(chat_id, station_id)
        if rid is None:
            return None
        if on:
            await self.pulse.give(rid, station_id)
        else:
            await self.pulse.withdraw(rid, station_id)
        return Choice(station_id, on)

    async def agreed(self, chat_id: int) -> set[str]:
        """The stations this chat agreed to be asked about."""
        resident = await self.residents.get_by_chat(chat_id)
        return set(await self.pulse.consents(resident.id)) if resident else set()
