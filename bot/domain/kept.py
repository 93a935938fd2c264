"""Text typed where a button was expected (issue 19, item 7): kept, never silently lost.

At a step that waits for a button (the consent, the category, the times, the summary, ...) a
typed text is kept in the draft, after any kept before, and the resident is told to press a
button first. The next text step it fits (the place, the description, the idea) offers it with
a button; used, it is checked like any answer there (the 112 hold, the lengths, and at sending
the crime-tip guard). Until then the summary shows it as not sent: it is never sent unless the
resident chose it.
"""

from __future__ import annotations

from bot.domain.intake import DESCRIPTION_MAX, FREE_TEXT, Draft, Step, TextProblem
from bot.domain.text import utf16_length

#: Steps that wait for a button, where a typed text is kept (not HELD: the resident has just
#: been shown the 112 notice and is asked to choose; a text there is not kept).
KEEPS_TEXT = frozenset(Step) - {*FREE_TEXT, Step.HELD}
#: The steps that may take a kept text as their answer.
TAKES_KEPT = (Step.PLACE, Step.DESCRIPTION, Step.IDEA_TEXT)
#: A text at the station step that names no station is kept when it has this many words (a
#: sentence about the place, not a misspelt name).
STATION_SENTENCE_WORDS = 4


def keeps(step: Step, text: str, station_found: bool = False) -> bool:
    """Whether a text typed at `step` that is no answer there is kept."""
    if step is Step.STATION:
        return not station_found and len(text.split()) >= STATION_SENTENCE_WORDS
    return step in KEEPS_TEXT


def keep(draft: Draft, text: str) -> None:
    """Keep `text` after any text kept before; TextProblem when together they are too long."""
    joined = "\n".join(t for t in (draft.kept, text.strip()) if t)
    if utf16_length(joined) > DESCRIPTION_MAX:
        raise TextProblem("error.too_long", limit=DESCRIPTION_MAX, length=utf16_length(joined))
    draft.kept = joined


def fits(draft: Draft, step: Step) -> bool:
    """Whether the kept text would be taken as the answer at `step` (then it is offered)."""
    if not draft.kept or step not in TAKES_KEPT:
        return False
    trial = Draft(kind=draft.kind)
    try:
        answer(trial, step, draft.kept)
    except TextProblem:
        return False
    return True


def answer(draft: Draft, step: Step, text: str) -> None:
    """Set `text` as the answer at `step` (the place's text, or the description)."""
    if step is Step.PLACE:
        draft.set_place_text(text)
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
