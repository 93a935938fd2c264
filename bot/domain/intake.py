"""The resident's intake flows as data: steps, their order, the draft and its rules.

Handlers ask this module what comes next and whether an answer is acceptable; they only
parse updates and render. A draft is plain data so that it survives in persistence.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import asdict, dataclass, field
from enum import IntEnum, StrEnum
from typing import Any

from bot.domain.guards import looks_urgent
from bot.domain.models import CaseKind
from bot.domain.text import has_words, utf16_length

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
PLACE_MAX = 300
MAX_PHOTOS = 3
MAX_IDEA_PHOTOS = 1
TIMES = ("morning", "day", "evening", "night", "weekday", "weekend")
#: A draft's token (the scope of its buttons' callback data) is this many random bytes, in hex.
TOKEN_BYTES = 3
#: A draft's id (stored with the case it becomes, never shown) is this many random bytes, in hex.
ID_BYTES = 16


class Step(IntEnum):
    """Conversation states of the intake; the value is stored, so never renumber."""

    CONSENT = 1
    STATION = 2
    STATION_CONFIRM = 3
    CATEGORY = 4
    ME_TOO = 5
    PLACE = 6
    TIMES = 7
    DESCRIPTION = 8
    PHOTOS = 9
    SUMMARY = 10
    EDIT = 11
    IDEA_TEXT = 12
    IDEA_PHOTO = 13
    #: Waiting after an emergency-looking text: go on (back to `Draft.resume`) or cancel.
    HELD = 14


class Action(StrEnum):
    """A button of a draft; the value is its code in callback data. Buttons already sent to
    residents carry these codes, so never change one (and keep them short: 64 bytes in all)."""

    BACK = "back"
    CANCEL = "x"
    AGREE = "agree"
    READ_NOTICE = "full"
    STATION = "st"
    #: A page of the station chooser (a letter, a kommun, the next page): bot.domain.stations.
    STATION_VIEW = "sv"
    STATION_YES = "stok"
    STATION_OTHER = "stno"
    CATEGORY = "cat"
    SUPPORT = "mt"
    NOT_SIMILAR = "mtno"
    PLACE_DONE = "pc"
    TIME = "tm"
    TIMES_DONE = "tmok"
    PHOTOS_DONE = "ph"
    GO_ON = "go"
    SEND = "ok"
    EDIT = "ed"
    EDIT_FIELD = "ef"
    USE_KEPT = "kt"

    @classmethod
    def of(cls, code: str) -> Action | None:
        """The action a button's code names; None for a code we never made."""
        try:
            return cls(code)
        except ValueError:
            return None


#: Back and Cancel are taken at every step.
ANYWHERE = frozenset({Action.BACK, Action.CANCEL})
#: The other buttons each step takes; any other press is answered "choose a button".
BUTTONS: dict[Step, frozenset[Action]] = {
    Step.CONSENT: frozenset({Action.AGREE, Action.READ_NOTICE}),
    Step.STATION: frozenset({Action.STATION, Action.STATION_VIEW}),
    Step.STATION_CONFIRM: frozenset({Action.STATION_YES, Action.STATION_OTHER}),
    Step.CATEGORY: frozenset({Action.CATEGORY}),
    Step.ME_TOO: frozenset({Action.SUPPORT, Action.NOT_SIMILAR}),
    Step.PLACE: frozenset({Action.PLACE_DONE, Action.USE_KEPT}),
    Step.TIMES: frozenset({Action.TIME, Action.TIMES_DONE}),
    Step.DESCRIPTION: frozenset({Action.USE_KEPT}),
    Step.PHOTOS: frozenset({Action.PHOTOS_DONE}),
    Step.SUMMARY: frozenset({Action.SEND, Action.EDIT}),
    Step.EDIT: frozenset({Action.EDIT_FIELD}),
    Step.IDEA_TEXT: frozenset({Action.USE_KEPT}),
    Step.IDEA_PHOTO: frozenset({Action.PHOTOS_DONE}),
    Step.HELD: frozenset({Action.GO_ON}),
}


def takes(step: Step, action: Action) -> bool:
    """Whether a press of `action` is an answer at `step`."""
    return action in ANYWHERE or action in BUTTONS[step]


#: Steps that take free text as their answer: where an emergency-looking text must not land.
FREE_TEXT = (Step.STATION, Step.PLACE, Step.DESCRIPTION, Step.IDEA_TEXT)
PHOTO_STEPS = (Step.PHOTOS, Step.IDEA_PHOTO)

REPORT_STEPS = (Step.STATION, Step.CATEGORY, Step.PLACE, Step.TIMES, Step.DESCRIPTION, Step.PHOTOS)
IDEA_STEPS = (Step.STATION, Step.IDEA_TEXT, Step.IDEA_PHOTO)
#: Steps a resident can jump back to from the summary, per kind.
EDITABLE = {
    CaseKind.REPORT: REPORT_STEPS,
    CaseKind.IDEA: IDEA_STEPS,
}


def is_draft_token(scope: str) -> bool:
    """Whether a callback scope is a draft's token (a resident's button inside a flow)."""
    return len(scope) == 2 * TOKEN_BYTES and all(c in "0123456789abcdef" for c in scope)


class TextProblem(ValueError):
    """An answer that cannot be accepted; `key` names the catalog message, `params` its fields."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass
class Draft:
    """A report or idea being written. Only plain types: it is persisted as JSON."""

    kind: str
    token: str = field(default_factory=lambda: secrets.token_hex(TOKEN_BYTES))
    #: Unique among all drafts: the case written from this draft carries it (cases.draft_id,
    #: UNIQUE), so sending the same draft again finds that case instead of writing another.
    #: A draft persisted before ids existed gets a new one when it is loaded.
    id: str = field(default_factory=lambda: secrets.token_hex(ID_BYTES))
    step: int = Step.STATION
    station: str | None = None
    candidate_station: str | None = None
    #: A station chosen on an edit whose recipients differ from those the resident agreed to:
    #: taken only once they agree again (`change_station`), dropped if they go back instead.
    pending_station: str | None = None
    category: str | None = None
    place_text: str | None = None
    lat: float | None = None
    lon: float | None = None
    times: list[str] = field(default_factory=list)
    description: str | None = None
    photos: list[str] = field(default_factory=list)
    photo_groups: list[str] = field(default_factory=list)
    #: Set once the resident jumps back from the summary to a step: every answer then leads
    #: straight back to the summary.
    editing: bool = False
    #: The case references the last "me too" prompt offered; only these may be supported.
    offered: list[str] = field(default_factory=list)
    #: The step an emergency-looking text interrupted (the flow is HELD until the resident
    #: chooses to go on), and whether they chose so once: then texts are taken as answers.
    resume: int | None = None
    go_on: bool = False
    #: Text typed where a button was expected, offered where it fits (bot.domain.kept).
    kept: str | None = None
    #: Steps at which the resident was told that edited messages are not read.
    edits_noted: list[int] = field(default_factory=list)
    #: The album (media group) arriving now: photos seen and kept, for its one answer.
    album: str | None = None
    album_total: int = 0
    album_saved: int = 0

    @property
    def case_kind(self) -> CaseKind:
        return CaseKind(self.kind)

    @property
    def max_photos(self) -> int:
        return MAX_PHOTOS if self.case_kind is CaseKind.REPORT else MAX_IDEA_PHOTOS

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Draft:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    # ------------------------------------------------------------------ order
    def steps(self) -> tuple[Step, ...]:
        return REPORT_STEPS if self.case_kind is CaseKind.REPORT else IDEA_STEPS

    def after(self, step: Step) -> Step:
        """The step after `step` (the summary when editing or at the end)."""
        if self.editing:
            return Step.SUMMARY
        if step in (Step.STATION_CONFIRM, Step.CONSENT):
            step = Step.STATION
        elif step is Step.ME_TOO:
            step = Step.CATEGORY
        order = self.steps()
        index = order.index(step)
        return order[index + 1] if index + 1 < len(order) else Step.SUMMARY

    def before(self, step: Step) -> Step | None:
        """The step Back leads to; None means leaving the flow."""
        if step is Step.SUMMARY:
            return self.steps()[-1]
        if step is Step.EDIT:
            return Step.SUMMARY
        if step is Step.HELD:
            return Step(self.resume or Step.STATION)
        if self.editing:
            return Step.SUMMARY
        if step in (Step.STATION_CONFIRM, Step.CONSENT):
            return Step.STATION
        if step is Step.ME_TOO:
            return Step.CATEGORY
        order = self.steps()
        index = order.index(step) if step in order else 0
        return order[index - 1] if index > 0 else None

    def done_with(self, step: Step) -> Step:
        """The resident pressed "go on" at `step`: the next step, or TextProblem when the step
        still needs its answer."""
        if step is Step.PLACE and not self.has_place():
            raise TextProblem("report.place.need")
        if step is Step.TIMES and not self.times:
            raise TextProblem("report.times.need")
        return self.after(step)

    def edit(self, step_value: str) -> Step:
        """Jump from the edit menu to the step `step_value` names (a button's argument)."""
        try:
            step = Step(int(step_value))
        except ValueError:
            raise TextProblem("error.stale") from None
        if step not in EDITABLE[self.case_kind]:
            raise TextProblem("error.stale")
        self.editing = True
        return step

    # ------------------------------------------------------------------ emergencies
    def holds_for(self, step: Step, text: str) -> bool:
        """Whether `text` at `step` reads like an emergency and must not be taken as the
        answer: the flow waits (HELD) until the resident chooses to go on. Once they have,
        texts are answers again (a report may well tell of a knife seen there last week)."""
        return step in FREE_TEXT and not self.go_on and looks_urgent(text)

    def hold(self, step: Step) -> None:
        self.resume = int(step)

    def release(self) -> Step:
        """The resident chose to go on: the step the flow was held at."""
        step = Step(self.resume or Step.STATION)
        self.resume = None
        self.go_on = True
        return step

    # ------------------------------------------------------------------ answers
    def set_station(self, station_id: str) -> None:
        self.station = station_id
        self.candidate_station = None
        self.pending_station = None

    def change_station(self, station_id: str, same_recipients: bool) -> bool:
        """A station chosen; True when the resident must first agree to its recipients (the
        consent named the other station's): on an edit to a station whose recipients differ.
        Then the station waits in `pending_station` until they agree (`agreed`)."""
        if self.editing and self.station and self.station != station_id and not same_recipients:
            self.pending_station = station_id
            return True
        self.set_station(station_id)
        return False

    def agreed(self) -> None:
        """The resident agreed to the consent shown: a station waiting for it is taken."""
        if self.pending_station:
            self.set_station(self.pending_station)

    @property
    def consent_station(self) -> str | None:
        """The station whose recipients the consent names."""
        return self.pending_station or self.station

    def propose_station(self, station_id: str, lat: float, lon: float) -> None:
        """The station nearest to a shared location, to be confirmed; the location is also a
        good first guess for the place pin."""
        self.candidate_station = station_id
        self.lat, self.lon = lat, lon

    def set_category(self, category_id: str, known: Collection[str]) -> None:
        if category_id not in known:
            raise TextProblem("error.stale")
        self.category = category_id

    @property
    def offers_similar(self) -> bool:
        """Whether similar reports are offered once the category is chosen (not on an edit)."""
        return not self.editing

    def enter(self, step: Step) -> None:
        """Make `step` current; at the summary an edit is over, so Back walks the flow again."""
        self.step = step
        if step is not Step.CONSENT:  # left the consent without agreeing: the station stays
            self.pending_station = None
        if step is Step.SUMMARY:
            self.editing = False

    def toggle_time(self, value: str) -> None:
        if value not in TIMES:
            raise TextProblem("error.stale")
        if value in self.times:
            self.times.remove(value)
        else:
            self.times.append(value)
        self.times.sort(key=TIMES.index)

    def set_place_text(self, text: str) -> None:
        text = text.strip()
        if len(text) < 2:
            raise TextProblem("report.place.too_short")
        if utf16_length(text) > PLACE_MAX:  # as Telegram counts: the card must fit its limit
            raise TextProblem("error.too_long", limit=PLACE_MAX, length=utf16_length(text))
        self.place_text = text

    def set_pin(self, lat: float, lon: float) -> None:
        self.lat, self.lon = lat, lon

    def place_half_done(self) -> bool:
        """Whether the place step waits for its other half (a pin after a text, a text after a
        pin) with a "go on" button, rather than going on at once (as it does when editing)."""
        return not self.editing and (self.lat is None or not self.place_text)

    def set_description(self, text: str) -> None:
        text = text.strip()
        if not has_words(text):  # emoji or punctuation alone: ask for words, whatever the length
            raise TextProblem("report.description.no_words")
        if len(text) < DESCRIPTION_MIN:
            raise TextProblem("report.description.too_short", minimum=DESCRIPTION_MIN)
        if utf16_length(text) > DESCRIPTION_MAX:
            raise TextProblem("error.too_long", limit=DESCRIPTION_MAX, length=utf16_length(text))
        self.description = text

    @property
    def photos_full(self) -> bool:
        return len(self.photos) >= self.max_photos

    def check_photo_room(self) -> None:
        """TextProblem when no further photo fits (checked before one is downloaded)."""
        if self.photos_full:
            raise TextProblem("photos.limit", limit=self.max_photos)

    def add_photo(self, path: str, media_group: str | None) -> None:
        self.check_photo_room()
        self.photos.append(path)
        if media_group and media_group not in self.photo_groups:
            self.photo_groups.append(media_group)
        if media_group and media_group == self.album:
            self.album_saved += 1

    def album_photo(self, media_group: str) -> bool:
        """A photo of album `media_group` arrived: count it; True if there is room to keep it.

        Telegram sends an album as one message per photo and never says how many there are.
        """
        if self.album != media_group:
            self.album, self.album_total, self.album_saved = media_group, 0, 0
        self.album_total += 1
        return not self.photos_full

    def has_place(self) -> bool:
        return bool(self.place_text) or self.lat is not None

    def missing(self) -> list[Step]:
        """Required steps without an answer, in order (empty means ready to submit)."""
        needs: list[Step] = []
        if not self.station:
            needs.append(Step.STATION)
        if self.case_kind is CaseKind.REPORT:
            if not self.category:
                needs.append(Step.CATEGORY)
            if not self.has_place():
                needs.append(Step.PLACE)
            if not self.times:
                needs.append(Step.TIMES)
            if not self.description:
                needs.append(Step.DESCRIPTION)
        elif not self.description:
            needs.append(Step.IDEA_TEXT)
        return needs
