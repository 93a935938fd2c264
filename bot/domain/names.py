"""Personal names the crime-tip guard knows: given names, surnames, and names that are words.

The lists are text files beside this module, generated at development time from Faker's
person data by tools/name_lists.py; nothing is downloaded. They are read on first use.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class NameLists:
    given: frozenset[str]  # lowercase: "kalle", "peter", "ahmed", "john"
    family: frozenset[str]  # lowercase: "svensson", "lindqvist", "smith"
    also_words: frozenset[str]  # given names that are everyday words: "per", "bo", "will"


def _read(name: str) -> frozenset[str]:
    text = resources.files("bot.domain").joinpath(name).read_text(encoding="utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def name_lists() -> NameLists:
    """The three lists, read once."""
    return NameLists(
        given=_read("names_given.txt"),
        family=_read("names_family.txt"),
        also_words=_read("names_also_words.txt"),
    )
