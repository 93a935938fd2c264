"""Words the crime-tip guard knows: personal names, and the words around them.

Given names, surnames and names that are words; the words that make a name a place, read a
participle as passive, or end the clause of a name.

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


# A capitalised word right after these is a place or a shop: "vid Max", "outside Willys".
PLACE_PREPOSITIONS = frozenset({
    "i", "på", "vid", "utanför", "bakom", "framför", "mittemot", "nära", "intill", "bredvid",
    "till", "från", "mot", "längs", "under", "över", "genom", "runt", "kring", "förbi",
    "in", "at", "on", "by", "near", "outside", "behind", "from", "to", "towards", "around",
    "through", "past", "opposite", "inside", "into",
})  # fmt: skip
# After a name these make it a street or a building: "Olof Palmes gata", "Victoria Station".
PLACE_NOUNS = frozenset({
    "gata", "gatan", "väg", "vägen", "torg", "torget", "plats", "platsen", "park", "parken",
    "skola", "skolan", "kyrka", "kyrkan", "gränd", "allé", "backe", "plan", "station",
    "stationen", "centrum", "street", "road", "square", "school", "church", "centre",
    "center", "lane", "avenue", "hall", "bridge",
})  # fmt: skip

# Participles read as passive after these: "Tom was attacked", "Lisa blev hotade".
AUXILIARIES = frozenset({
    "was", "were", "is", "are", "been", "being", "be", "get", "gets", "got", "blev", "blir",
    "bli", "blivit", "var", "är", "varit",
})  # fmt: skip
# Words that end the clause of the identifier, or bring in another doer or a witness:
# "Anna på Pressbyrån sa att folk dealar", "min granne såg någon klottra".
BLOCKERS = frozenset({
    ".", "!", "?", ";", ":", "…", "att", "när", "medan", "eftersom", "men", "when",
    "while", "because", "but", "folk", "people", "någon", "några", "ingen", "someone",
    "somebody", "anyone", "nobody", "de", "dom", "they", "ungdomar", "youths", "kids",
    "killar", "guys", "såg", "saw", "hörde", "heard", "sa", "sade", "säger", "said",
    "says", "berättade", "told", "tells", "anmälde", "reported",
})  # fmt: skip
RELATIVE = frozenset({"som", "who"})


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
