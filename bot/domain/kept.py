"""Text typed where a button was expected (issue 19, item 7): kept, never silently lost.

At a step that waits for a button (the consent, the category, the times, the summary, ...) a
typed text is kept in the draft, after any kept before, and the resident is told so. The rule
for where a kept text can go is one sentence: **a kept text goes where it would be accepted
if typed there** -- the description (or the idea), when it has words and the description's
length; the place of a report, as one line (several kept texts are joined into one line
there), when it has the place's length. A text that fits none of them is not kept (the step's
usual line says to press a button); nor is one that reads like an emergency: it gets the 112
notice only, as at a text step, never an offer to use it later.

Each step it fits offers it with a button; used, it is checked like any answer there (the 112
hold, the lengths, and at sending the crime-tip guard). Until then the summary shows it,
shortened, as not sent and names the fields it can go in: it is never sent unless the
resident chose it.
"""

from __future__ import annotations

from bot.domain.guards import looks_urgent
from bot.domain.intake import DESCRIPTION_MAX, FREE_TEXT, Draft, Step, TextProblem
from bot.domain.models import CaseKind
from bot.domain.text import one_line, utf16_length

#: Steps that wait for a button, where a typed text is kept (not HELD: the resident has just
#: been shown the 112 notice and is asked to choose; a text there is not kept).
KEEPS_TEXT = frozenset(Step) - {*FREE_TEXT, Step.HELD}
#: The steps that may take a kept text as their answer, per kind.
TAKES_KEPT = {
    CaseKind.REPORT: (Step.PLACE, Step.DESCRIPTION),
    CaseKind.IDEA: (Step.IDEA_TEXT,),
}
#: A text at the station step that names no station is kept when it has this many words (a
#: sentence about the place, not a misspelt name).
STATION_SENTENCE_WORDS = 4
#: How much of a kept text the summary shows (characters): the summary must stay one message.
SHOWN_MAX = 200


def keeps(step: Step, text: str) -> bool:
    """Whether a text typed at `step` that is no answer there is meant to be kept (whether it
    fits anywhere is `keep`'s question)."""
    if looks_urgent(text):
        return False  # the 112 notice only: never offered as an answer later
    if step is Step.STATION:
        return len(text.split()) >= STATION_SENTENCE_WORDS
    return step in KEEPS_TEXT


def keep(draft: Draft, text: str) -> bool:
    """Keep `text` after any text kept before, when together they fit a step (True); False
    when they fit none (nothing is kept); TextProblem when together they are too long."""
    joined = "\n".join(t for t in (draft.kept, text.strip()) if t)
    if utf16_length(joined) > DESCRIPTION_MAX:
        raise TextProblem("error.too_long", limit=DESCRIPTION_MAX, length=utf16_length(joined))
    if not where(draft, joined):
        return False
    draft.kept = joined
    return True


def where(draft: Draft, text: str | None = None) -> tuple[Step, ...]:
    """The steps of this draft's kind that would take `text` (default: the kept text)."""
    text = draft.kept if text is None else text
    if not text:
        return ()
    return tuple(s for s in TAKES_KEPT[draft.case_kind] if _takes(draft, s, text))


def _takes(draft: Draft, step: Step, text: str) -> bool:
    trial = Draft(kind=draft.kind)
    try:
        answer(trial, step, text)
    except TextProblem:
        return False
    return True


def fits(draft: Draft, step: Step) -> bool:
    """Whether the kept text would be taken as the answer at `step` (then it is offered)."""
    return step in where(draft)


def shown(draft: Draft, step: Step) -> str:
    """The kept text as it would be used at `step` (the place's one line)."""
    text = draft.kept or ""
    return one_line(text) if step is Step.PLACE else text


def answer(draft: Draft, step: Step, text: str) -> None:
    """Set `text` as the answer at `step` (the place's text on one line, or the description)."""
    if step is Step.PLACE:
        draft.set_place_text(one_line(text))
    else:
        draft.set_description(text)


def use(draft: Draft, step: Step) -> None:
    """The resident chose the kept text as the answer at `step`; it is kept no longer."""
    if not draft.kept or not fits(draft, step):
        raise TextProblem("error.stale")
    answer(draft, step, draft.kept)
    draft.kept = None


def answered(draft: Draft, step: Step) -> None:
    """The resident wrote their own answer at `step`: a kept text offered there (it fit) was
    declined, and is dropped; one offered at no step yet stays for a later one."""
    if step is not Step.PLACE and fits(draft, step):
        draft.kept = None
