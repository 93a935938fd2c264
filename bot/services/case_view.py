"""A case as the web's case page shows it, and the card's actions taken from a form.

The page offers what the case card offers (bot.services.cards.CARD_BUTTONS: the actions the
lifecycle allows from the case's status, linking only while there is a commitment to link
to), and every action goes through the Desk, exactly as a button in Telegram does: the same
checks, the same events, the same messages to the resident. What comes back is one line for
the officer, a catalog key and its fields (`Said`), the line the bot gives for the same
outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from bot.domain.deployment import Actor, Commitment
from bot.domain.lifecycle import NEEDS_NOTE, Action, IllegalTransition, Status, allowed, apply
from bot.domain.models import Case, CaseKind, Staff
from bot.domain.promises import commitment_in
from bot.domain.text import TooLong, paragraphs
from bot.services.cards import CARD_BUTTONS
from bot.services.desk import ACTION_CODES, AlreadyHandled, Desk, Refused

#: Event actions the timeline names (anything else: web.case.event.other).
EVENTS = frozenset(
    {
        "created",
        "acknowledge",
        "start",
        "resolve",
        "reject",
        "forward",
        "ask",
        "link",
        "reopen",
        "answer",
        "escalated",
    }
)
#: Longest note the page accepts before the Desk's own check (which measures the message
#: to the resident); a bigger form is not read at all.
MAX_NOTE = 4096
#: The card buttons' codes a form may name.
CODES = frozenset(code for _, _, code in CARD_BUTTONS)
#: The page's form of each code that has its own (the others are one button each, at the top).
FORMS = {"res": "note", "rej": "note", "ask": "note", "fwd": "forward", "link": "link"}


@dataclass(frozen=True)
class Said:
    """One line for the officer: a catalog key and its fields; `ok`: the action was done;
    `told`: how many residents were sent a message about it; `form`: the form whose input
    the line is about ("note", "forward", "link"; "" for the case as a whole)."""

    key: str
    fields: dict[str, object] = field(default_factory=dict)
    ok: bool = False
    told: int = 0
    form: str = ""


@dataclass(frozen=True)
class Entry:
    """One line of a case's timeline, in the desk's language and the deployment's time."""

    when: str
    event: str
    by: str
    note: str


@dataclass(frozen=True)
class Page:
    """What the case page shows: the case's fields, its timeline and the offered actions
    (`actions`: (callback code, label key) in the card's order). `kind`: the bot's word for
    an idea ('' for a report, which has its `category` instead)."""

    case: Case
    station: str
    category: str
    kind: str
    status: str
    language: str
    place: str
    received: str
    commitment: str
    timeline: list[Entry]
    actions: list[tuple[str, str]]
    near: list[Actor]
    far: list[Actor]
    linkable: list[tuple[int, Commitment]]


def commitment_title(desk: Desk, commitment_id: str | None) -> str:
    """The commitment's text in the desk's language ('' for none, its id when gone)."""
    if commitment_id is None:
        return ""
    for promise in desk.deployment.promises:
        for commitment in promise.commitments:
            if commitment.id == commitment_id:
                return commitment_in(commitment, desk.lang).text
    return commitment_id


def offered(desk: Desk, case: Case) -> list[tuple[str, str]]:
    """The card's buttons for this case as (code, label key): the same rule as the card."""
    actions = allowed(Status(case.status))
    if not desk.linkable_at(case.station_id):
        actions -= {Action.LINK}
    return [(code, key) for action, key, code in CARD_BUTTONS if action in actions]


def photo_name(case: Case, number: str) -> str | None:
    """The stored file name of the case's photo `number` (1, 2, ...), None for no such photo
    (or a name that is not a plain file name under the media folder)."""
    if not number.isdigit() or not 1 <= int(number) <= len(case.photos):
        return None
    name = case.photos[int(number) - 1]
    return None if "/" in name or "\\" in name or name.startswith(".") else name


async def page(desk: Desk, member: Staff, reference: str) -> Page:
    """The case page for a member who may open the case (Desk.view: audit-logged; Refused
    or NotFound otherwise)."""
    case = await desk.view(member, reference)
    received = desk.local_time(case.created_at)
    timeline = []
    for event in await desk.cases.events(case.id):
        action = event["action"]
        note = event["note"] or ""
        if action == "forward":
            note = desk.actor_name(note)
        elif action == "link":
            note = commitment_title(desk, note)
        timeline.append(
            Entry(
                when=desk.local_time(event["created_at"]),
                event=f"web.case.event.{action if action in EVENTS else 'other'}",
                by=desk.actor_name(event["actor_id"]) if event["actor_id"] else "",
                note=paragraphs(note),
            )
        )
    place = case.place_text or ""
    if case.lat is not None and case.lon is not None:
        place = f"{place} ({case.lat:.5f}, {case.lon:.5f})".strip()
    near, far = await desk.forward_targets(case)
    return Page(
        case=case,
        station=desk.station_name(case.station_id),
        category=desk.deployment.category_label(case.category, desk.lang) or "–",
        kind=desk.t("field.idea") if case.kind == CaseKind.IDEA else "",  # as the dashboard
        status=desk.t(f"status.{case.status}"),
        language=desk.cards.language_name(case.language),
        place=place or "–",
        received=received,
        commitment=commitment_title(desk, case.commitment_id),
        timeline=timeline,
        actions=offered(desk, case),
        near=near,
        far=far,
        linkable=desk.linkable_at(case.station_id),
    )


async def perform(desk: Desk, member: Staff, reference: str, fields: dict[str, str]) -> Said:
    """The action named in a posted form (`action`: a card button's code; `note`, `actor`,
    `commitment` as it needs), done through the Desk. Refused: a reference or action this
    member may not use (the page answers as for an unknown case)."""
    code = fields.get("action", "")
    case = await desk.authorise(member, reference)
    if code not in CODES:
        raise Refused
    said = await _attempt(desk, member, case, code, fields)
    if not said.ok and not said.form:  # refused: said next to the form that asked for it
        said = replace(said, form=FORMS.get(code, ""))
    return said


async def _attempt(
    desk: Desk, member: Staff, case: Case, code: str, fields: dict[str, str]
) -> Said:
    try:
        return await _perform(desk, member, case, code, fields)
    except IllegalTransition as exc:
        return Said("desk.illegal", {"state": desk.t(f"case.is.{exc.status.value}")})
    except AlreadyHandled as exc:
        return Said(
            "desk.already_handled",
            {
                "reference": exc.reference,
                "actor": exc.actor,
                "state": desk.t(f"case.is.{exc.status.value}"),
            },
        )
    except TooLong as exc:  # only a note is long enough to be refused
        return Said("error.too_long_by", {"excess": exc.excess}, form="note")


async def _perform(
    desk: Desk, member: Staff, case: Case, code: str, fields: dict[str, str]
) -> Said:
    reference = case.reference
    if code == "fwd":
        apply(Status(case.status), Action.FORWARD)
        actor_id = fields.get("actor", "")
        near, far = await desk.forward_targets(case)
        if actor_id not in {a.id for a in (*near, *far)}:
            return Said("web.case.no_such_actor", form="forward")
        await desk.forward(member, reference, actor_id)
        return Said(
            "desk.forwarded", {"reference": reference, "actor": desk.actor_name(actor_id)}, True
        )
    if code == "link":
        apply(Status(case.status), Action.LINK)
        options = dict(desk.linkable_at(case.station_id))
        index = fields.get("commitment", "")
        if not index.isdigit() or int(index) not in options:
            return Said("web.case.no_such_commitment", form="link")
        commitment = await desk.link(member, reference, int(index))
        return Said("desk.linked", {"reference": reference, "commitment": commitment.text}, True)
    action = ACTION_CODES[code]
    note: str | None = None
    if action in NEEDS_NOTE:
        apply(Status(case.status), action)  # refuse early, before looking at the note
        note = fields.get("note", "").strip()
        if not note:
            return Said("web.case.note_empty", form="note")
        if len(note) > MAX_NOTE:
            return Said("error.too_long_by", {"excess": len(note) - MAX_NOTE}, form="note")
    outcome = await desk.act(member, reference, action, note)
    if outcome.action is Action.ASK:
        return Said("desk.asked", {"reference": reference}, True, outcome.told)
    return Said(
        "desk.done",
        {"reference": reference, "status": desk.t(f"status.{outcome.status.value}")},
        True,
        outcome.told,
    )
