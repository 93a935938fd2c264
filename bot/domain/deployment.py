"""The deployment: everything that differs between medborgarlöften, as a validated model.

The model is filled from the deployment TOML file (see `bot.config`). Structural checks
(types, required keys, formats) are pydantic's; cross-references (a staff entry naming an
unknown station, duplicate ids) are checked by `deployment_checks.find_problems`, which
reports every problem at once so an operator can fix a file in one pass.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

if TYPE_CHECKING:
    from bot.domain.directory import Directory

Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]
#: The longest id of a station, actor, category, promise or commitment. Ids travel in
#: callback data (at most 64 bytes, a part at most 40: bot.domain.callbacks), some two in one
#: part: forwarding's `<reference>.<actor id>`, the station chooser's codes.
MAX_ID = 24
Id = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=MAX_ID)]
StationCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2,5}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}$")]
NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Email = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
]

#: Languages that the bot ships catalogs for; a deployment may enable a subset.
SUPPORTED_LANGUAGES = ("sv", "en", "fi", "ar")


class Model(BaseModel):
    """Base for deployment models: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ActorKind(StrEnum):
    POLISEN = "polisen"
    KOMMUN = "kommun"
    TRANSIT = "transit"
    TRAFIKVERKET = "trafikverket"
    PROPERTY = "property"
    OTHER = "other"


class Role(StrEnum):
    KOMMUNPOLIS = "kommunpolis"
    PARTNER = "partner"
    ADMIN = "admin"


class CommitmentStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DELAYED = "delayed"
    NOT_DONE = "not_done"


class Meta(Model):
    name: NonEmpty
    timezone: NonEmpty = "Europe/Stockholm"
    default_language: LanguageCode = "sv"
    languages: list[LanguageCode] = Field(default_factory=lambda: list(SUPPORTED_LANGUAGES))
    max_station_distance_km: float = Field(default=5.0, gt=0)
    #: A case nobody acknowledged within this many hours is re-sent and escalated to admins.
    ack_hours: int = Field(default=48, gt=0)
    #: How long a staff invite code is valid.
    invite_hours: int = Field(default=72, gt=0)


class Actor(Model):
    id: Id
    name: NonEmpty
    kind: ActorKind
    email: Email | None = None
    url: str | None = None


class Station(Model):
    id: Id
    name: NonEmpty
    code: StationCode
    kommun: NonEmpty
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    aliases: list[NonEmpty] = Field(default_factory=list)
    group_chat_id: int | None = None


class Category(Model):
    id: Id
    name: dict[LanguageCode, NonEmpty]
    owner_hint: str = ""

    @model_validator(mode="after")
    def _swedish_name(self) -> Category:
        if "sv" not in self.name:
            raise ValueError("a category needs at least a Swedish name (name.sv)")
        return self

    def label(self, lang: str | None) -> str:
        """The category's name in `lang`, else its Swedish name."""
        return (self.name.get(lang) if lang else None) or self.name["sv"]


class Route(Model):
    """Actors that own `categories` at `stations` (the station's kommunpolis always gets it)."""

    stations: list[Slug] = Field(min_length=1)
    categories: list[Slug] = Field(min_length=1)
    actors: list[Slug] = Field(min_length=1)


class Commitment(Model):
    id: Id
    #: In Swedish; `translations` gives it in other languages ({"en": "…"}).
    text: NonEmpty
    translations: dict[LanguageCode, NonEmpty] = Field(default_factory=dict)
    owners: list[Slug] = Field(min_length=1)
    due: dt.date | None = None
    weight: float = Field(default=1.0, gt=0)
    status: CommitmentStatus = CommitmentStatus.PLANNED
    stations: list[Slug] = Field(default_factory=list)  # empty: every station of the promise


class PromiseText(Model):
    """A promise's title and summary in a language other than Swedish; what is left out is
    shown in Swedish, marked as such."""

    title: NonEmpty | None = None
    summary: NonEmpty | None = None


class PulseQuestion(Model):
    """The monthly trygghetsmätning at a promise's stations (bot.domain.pulse)."""

    #: False: residents are not asked while this promise runs.
    ask: bool = True
    #: The question by language, "{station}" standing for the station's name; a language
    #: missing here gets the catalog's ("Hur trygg känner du dig vid {station} på kvällen?").
    question: dict[LanguageCode, NonEmpty] = Field(default_factory=dict)


class Promise(Model):
    """One medborgarlöfte. A station may be in several over time, one after the other: their
    periods must not overlap (`find_problems`); residents see the one running today."""

    id: Id
    #: In Swedish, like `summary`; `translations` gives them in other languages.
    title: NonEmpty
    summary: str = ""
    translations: dict[LanguageCode, PromiseText] = Field(default_factory=dict)
    start: dt.date
    end: dt.date
    parties: list[Slug] = Field(min_length=1)
    stations: list[Slug] = Field(min_length=1)
    url: str | None = None
    commitments: list[Commitment] = Field(min_length=1)
    pulse: PulseQuestion = PulseQuestion()

    @model_validator(mode="after")
    def _period(self) -> Promise:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class StaffMember(Model):
    telegram_id: int | None = Field(default=None, gt=0)
    name: NonEmpty
    role: Role
    actor: Slug
    stations: list[Slug] = Field(default_factory=list)
    email: Email | None = None
    language: LanguageCode | None = None  # what they read (bot.domain.staff_language)

    @property
    def actor_id(self) -> str:
        return self.actor

    @model_validator(mode="after")
    def _reachable(self) -> StaffMember:
        if self.telegram_id is None and self.email is None:
            raise ValueError("needs telegram_id or email (or both)")
        return self


class Privacy(Model):
    controller: NonEmpty
    contact: NonEmpty
    dpo_contact: str = ""
    notice_version: NonEmpty
    notice: dict[LanguageCode, NonEmpty] = Field(default_factory=dict)


class Retention(Model):
    identity_days: int = Field(default=365, gt=0)
    photo_days: int = Field(default=180, gt=0)
    case_days: int = Field(default=730, gt=0)
    #: A draft the resident left unsent expires this many days after its last change, with
    #: its photos (bot.drafts).
    draft_days: int = Field(default=7, gt=0)
    #: When a resident erases their data, keep the free text of their cases for the officers
    #: (true) or erase it as well (false): text, place, pin, photos, answers, the officers'
    #: messages to the resident (questions, closing notes), and the copies in messages to staff.
    keep_case_text_on_erase: bool = True


class Limits(Model):
    """Per-resident limits, so that one person cannot flood the officers or the bot."""

    reports_per_hour: int = Field(default=5, gt=0)
    messages_per_minute: int = Field(default=30, gt=0)


class Deployment(Model):
    """One deployment file: one or more medborgarlöften and who works on them."""

    deployment: Meta
    privacy: Privacy
    retention: Retention = Retention()
    limits: Limits = Limits()
    actors: list[Actor] = Field(min_length=1)
    stations: list[Station] = Field(min_length=1)
    categories: list[Category] = Field(min_length=1)
    routing: list[Route] = Field(default_factory=list)
    promises: list[Promise] = Field(default_factory=list)
    staff: list[StaffMember] = Field(default_factory=list)

    @cached_property
    def directory(self) -> Directory:
        """Look-ups by id and by station, built on first use (the model is immutable)."""
        from bot.domain.directory import Directory  # it imports this module's models

        return Directory.of(self)

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (with `update`) whose directory is built from its own lists."""
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop("directory", None)  # pydantic copies a cached_property's value
        return copied

    def station(self, station_id: str) -> Station:
        """Return the station with this id (KeyError if unknown)."""
        found = self.directory.stations.get(station_id)
        if found is None:
            raise KeyError(station_id)
        return found

    def station_name(self, station_id: str) -> str:
        """The station's name; its id when the file no longer has it (an old case, answer or
        log line stays readable)."""
        found = self.directory.stations.get(station_id)
        return found.name if found is not None else station_id

    def category_label(self, category_id: str | None, lang: str | None) -> str | None:
        """The name of a category in `lang` (else Swedish); None for no such category."""
        category = self.directory.categories.get(category_id) if category_id is not None else None
        return category.label(lang) if category is not None else None

    def staff_at(self, station_id: str) -> list[StaffMember]:
        """Staff who work at a station, in the file's order."""
        return list(self.directory.staff_at(station_id))

    def commitment_count(self) -> int:
        return sum(len(p.commitments) for p in self.promises)
