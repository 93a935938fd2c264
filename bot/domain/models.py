"""Plain data records shared by the services and the repositories."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from bot.domain.deployment import Role
from bot.domain.lifecycle import Status


class CaseKind(StrEnum):
    REPORT = "report"
    IDEA = "idea"


def case_reference(station_code: str, number: int) -> str:
    """The public reference of a case: station code and a per-station number, e.g. JKB-0042."""
    return f"{station_code}-{number:04d}"


#: A well-formed reference: a station code, a dash and its number (as case_reference writes).
REFERENCE = re.compile(r"([A-Z]{2,5})-\d{4,6}")


class NotFound(Exception):
    """A reference that names no case, said to staff who may know it (`key`: the line)."""

    def __init__(self, key: str, reference: str) -> None:
        super().__init__(reference)
        self.key = key
        self.reference = reference


@dataclass(frozen=True)
class Resident:
    id: int
    chat_id: int
    language: str | None
    home_station: str | None
    created_at: str


@dataclass(frozen=True)
class NewCase:
    """What a resident submits; the store gives it a number and a reference."""

    station_id: str
    station_code: str
    kind: CaseKind
    description: str
    resident_id: int | None = None
    category: str | None = None
    place_text: str | None = None
    lat: float | None = None
    lon: float | None = None
    times: tuple[str, ...] = ()
    language: str | None = None
    photos: tuple[str, ...] = field(default=())
    #: The draft it was written from (Draft.id): one case per draft, however often it is sent.
    draft_id: str | None = None


@dataclass(frozen=True)
class Case:
    id: int
    reference: str
    station_id: str
    number: int
    kind: CaseKind
    category: str | None
    status: Status
    resident_id: int | None
    place_text: str | None
    lat: float | None
    lon: float | None
    times: tuple[str, ...]
    description: str
    language: str | None
    created_at: str
    photos: tuple[str, ...] = ()
    supporters: int = 0
    acknowledged_at: str | None = None
    resolved_at: str | None = None
    commitment_id: str | None = None


@dataclass(frozen=True)
class Staff:
    """A staff member as stored: from the deployment file or linked by an invite code."""

    id: int
    telegram_id: int | None
    name: str
    role: Role
    actor_id: str
    stations: tuple[str, ...]
    email: str | None
    source: str
    active: bool
    #: Their language in the bot (/sprak) and the one Telegram last reported for them: see
    #: bot.domain.staff_language for which one they read.
    chosen_language: str | None = None
    telegram_language: str | None = None


class InviteError(ValueError):
    """The code is unknown, used or expired."""


class AlreadyStaff(InviteError):
    """This Telegram account already has access; the code was not used."""

    def __init__(self, staff: Staff) -> None:
        super().__init__(staff.name)
        self.staff = staff
