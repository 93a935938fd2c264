"""Long lists of buttons in pages. Telegram refuses a keyboard of more than 100 buttons, and
a staff member at a national bot may have hundreds of actors, commitments or stations to
choose from: a list is shown PAGE_SIZE items at a time, with Föregående/Nästa. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: Items a page shows; with its navigation and cancel buttons a keyboard stays far under 100.
PAGE_SIZE = 20
#: A list up to a quarter longer than a page is shown whole: a second page of a few items
#: helps nobody (the bundled file's national admin has 22 commitments on one page).
SLACK = 1.25


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: its items, which page it is, and where its items start."""

    items: tuple[T, ...]
    number: int
    count: int  # pages in all (at least 1)
    start: int  # the position of items[0] in the whole list (own items, then the others)
    next_is_more: bool = False  # the next page begins the others ("Fler…")

    @property
    def has_previous(self) -> bool:
        return self.number > 0

    @property
    def has_next(self) -> bool:
        return self.number + 1 < self.count

    @property
    def paged(self) -> bool:
        """More than one page: the keyboard gets a navigation row."""
        return self.count > 1


def fits(count: int, size: int = PAGE_SIZE) -> bool:
    """Whether a list of `count` items is shown whole, on one page (`SLACK`)."""
    return count <= int(size * SLACK)


def own_first(
    items: Sequence[T], own: Callable[[T], bool], size: int = PAGE_SIZE
) -> tuple[list[T], list[T]]:
    """`items` as `page_of` takes them: (the member's own, the others), each in the order of
    `items`, when the list takes more than a page; (all of them, none) when it fits one page.
    A list that fits keeps the file's order: a small deployment's keyboards stay as they were,
    and a position in the list (some callback data carries one) keeps meaning the same item."""
    if fits(len(items), size):
        return list(items), []
    return [i for i in items if own(i)], [i for i in items if not own(i)]


def _chunks(items: Sequence[T], size: int) -> list[tuple[T, ...]]:
    return [tuple(items[i : i + size]) for i in range(0, len(items), size)]


def page_of(
    items: Sequence[T],
    number: int,
    size: int = PAGE_SIZE,
    more: Sequence[T] = (),
    *,
    apart: bool = False,
) -> Page[T] | None:
    """Page `number` (from 0) of `items` followed by `more`, or None when there is no such
    page (a forged or stale button). `more` (the others, after the member's own scope)
    starts on a page of its own, unless everything fits on one page (`SLACK`); with `apart`,
    always (behind "Fler…", so the first page shows only `items`). An empty list is one
    empty page."""
    if size < 1:
        raise ValueError("a page holds at least one item")
    if fits(len(items) + len(more), size) and not (apart and items and more):
        chunks, own = [tuple(items) + tuple(more)], 1
    else:
        chunks = _chunks(items, size) + _chunks(more, size)
        own = len(_chunks(items, size))
    if not 0 <= number < len(chunks):
        return None
    start = sum(len(c) for c in chunks[:number])
    return Page(
        items=chunks[number],
        number=number,
        count=len(chunks),
        start=start,
        next_is_more=number + 1 == own and own < len(chunks) and bool(items),
    )


def page_number(arg: str) -> int | None:
    """A page number from callback data: digits only, else None."""
    return int(arg) if arg.isdigit() and len(arg) <= 6 else None
