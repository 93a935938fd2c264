"""The case lifecycle: a transition table, like FixMyStreet's named open/closed state sets."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    NOT_ACTIONABLE = "not_actionable"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    REJECT = "reject"  # not actionable
    FORWARD = "forward"
    ASK = "ask"
    LINK = "link"
    REOPEN = "reopen"


OPEN = frozenset({Status.NEW, Status.ACKNOWLEDGED, Status.IN_PROGRESS})
CLOSED = frozenset({Status.RESOLVED, Status.NOT_ACTIONABLE})

#: (from, action) -> to. Anything not listed is illegal.
TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.NEW, Action.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.NEW, Action.START): Status.IN_PROGRESS,
    (Status.ACKNOWLEDGED, Action.START): Status.IN_PROGRESS,
    (Status.ACKNOWLEDGED, Action.RESOLVE): Status.RESOLVED,
    (Status.IN_PROGRESS, Action.RESOLVE): Status.RESOLVED,
    (Status.NEW, Action.REJECT): Status.NOT_ACTIONABLE,
    (Status.ACKNOWLEDGED, Action.REJECT): Status.NOT_ACTIONABLE,
    (Status.IN_PROGRESS, Action.REJECT): Status.NOT_ACTIONABLE,
    (Status.RESOLVED, Action.REOPEN): Status.IN_PROGRESS,
    (Status.NOT_ACTIONABLE, Action.REOPEN): Status.IN_PROGRESS,
    # Forwarding, asking and linking keep the case where it is (and open).
    **{(s, Action.FORWARD): s for s in OPEN},
    **{(s, Action.ASK): s for s in OPEN},
    **{(s, Action.LINK): s for s in (*OPEN, *CLOSED)},
}

#: Actions the resident hears about (with the reference, in their language).
NOTIFY_RESIDENT = frozenset(
    {Action.ACKNOWLEDGE, Action.START, Action.RESOLVE, Action.REJECT, Action.ASK, Action.REOPEN}
)
#: Actions that need a note from the officer (sent to the resident).
NEEDS_NOTE = frozenset({Action.RESOLVE, Action.REJECT, Action.ASK})


class IllegalTransition(ValueError):
    def __init__(self, status: Status, action: Action) -> None:
        super().__init__(f"cannot {action.value} a case that is {status.value}")
        self.status = status
        self.action = action


def allowed(status: Status) -> frozenset[Action]:
    """The actions the table allows from `status`: a case card offers these and no others."""
    return frozenset(action for (start, action) in TRANSITIONS if start is status)


def apply(status: Status, action: Action) -> Status:
    """The status after `action`, or IllegalTransition."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None
