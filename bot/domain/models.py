"""Plain data records shared by the services and the repositories."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class CaseKind(StrEnum):
    REPORT = "report"
    IDEA = "idea"


#: Statuses in which a case is still open (the lifecycle itself belongs to the officer desk).
OPEN_STATUSES = ("new", "acknowledged", "in_progress")


def case_reference(station_code: str, number: int) -> str:
    """The public reference of a case: station code and a per-station number, e.g. JKB-0042."""
    return f"{station_code}-{number:04d}"


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
    status: str
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
