"""Guards on free text: looks like an emergency (-> 112) or a crime tip about a person.

Heuristics, tuned to err towards showing the 112 notice: a false alarm costs a resident a
second of reading; a missed emergency could cost much more. What counts as a crime tip (a
person identified and accused, not a crime at a place) is decided in bot/domain/tips.py.
"""

from __future__ import annotations

import re

from bot.domain.tips import is_crime_tip

_EMERGENCY = [
    # Swedish
    r"pågår",
    r"just nu",
    r"hjälp",
    r"kniv\w*",
    r"vapen",
    r"pistol",
    r"skjut\w*",
    r"skott",
    r"brinner",
    r"brand",
    r"slagsmål",
    r"slåss",
    r"blöder",
    r"rån",
    r"misshandel\w*",
    r"nödläge",
    r"ring polis\w*",
    r"livsfara",
    r"våldtäkt\w*",
    r"hotar",
    r"hotad",
    # English
    r"help",
    r"happening now",
    r"right now",
    r"knife",
    r"gun",
    r"shooting",
    r"shots?",
    r"on fire",
    r"fire",
    r"fighting",
    r"fight",
    r"bleeding",
    r"emergency",
    r"stabbed",
    r"attack\w*",
    r"robbery",
    r"being robbed",
    # Finnish
    r"apua",
    r"hätä\w*",
    r"veitsi\w*",
    r"ase",
    r"aseella",
    r"ampu\w*",
    r"tulipalo",
    r"palaa",
    r"tappelu\w*",
    r"juuri nyt",
    # Arabic (no word boundaries in \b sense; matched as substrings below)
]
_EMERGENCY_AR = ["النجدة", "ساعدوني", "ساعدني", "سكين", "سلاح", "حريق", "إطلاق نار", "يحدث الآن"]

_EMERGENCY_RE = re.compile(r"\b(" + "|".join(_EMERGENCY) + r")\b", re.IGNORECASE)


def looks_urgent(text: str) -> bool:
    """True when a message reads like something happening now: show the 112 notice."""
    return bool(_EMERGENCY_RE.search(text)) or any(word in text for word in _EMERGENCY_AR)


def looks_like_crime_tip(text: str) -> bool:
    """True when a message identifies a person and accuses them of an offence (tips.py)."""
    return is_crime_tip(text)
