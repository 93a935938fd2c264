"""Guards on free text: looks like an emergency (-> 112) or a crime tip about a person.

Heuristics, tuned to err towards showing the 112 notice: a false alarm costs a resident a
second of reading; a missed emergency could cost much more.
"""

from __future__ import annotations

import re

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

_DRUGS = (
    r"(knark|narkotika|droger|drog|hasch|gräs|kokain|koks|heroin|tabletter|spice|cannabis"
    r"|weed|drugs|cocaine|huume\w*|المخدرات)"
)
_SELLING = (
    r"(säljer|sålde|langar|langade|dealar|pushar|selling|sells|sold|dealing|deals|myy|myyvät"
    r"|يبيع|يبيعون)"
)

_TIP = [
    rf"\b{_SELLING}\b.{{0,40}}\b{_DRUGS}",
    rf"\b{_DRUGS}\b.{{0,40}}\b{_SELLING}\b",
    r"\b(han|hon|hen|killen|tjejen|mannen|kvinnan|personen) heter\b",
    r"\bheter [A-ZÅÄÖ][a-zåäöé]+",
    r"\b(his|her|their) name is\b",
    r"\b(called|named) [A-Z][a-z]+",
    r"\bjag vet vem\b",
    r"\bvet vem som\b",
    r"\bi know who\b",
    r"\bnimeltä\b",
    r"اسمه|اسمها",
    r"\b\d{6}[-+]?\d{4}\b",  # personnummer
    r"\b[A-ZÅÄÖ]{3} ?\d{2}[A-Z0-9]\b",  # registration plate, e.g. ABC 123
    r"(?<!\d)(\+46|0)7\d[- ]?\d{3}[- ]?\d{2}[- ]?\d{2}(?!\d)",  # mobile number
]

_EMERGENCY_RE = re.compile(r"\b(" + "|".join(_EMERGENCY) + r")\b", re.IGNORECASE)
_TIP_RE = [re.compile(p, re.IGNORECASE if "A-Z" not in p else 0) for p in _TIP]


def looks_urgent(text: str) -> bool:
    """True when a message reads like something happening now: show the 112 notice."""
    return bool(_EMERGENCY_RE.search(text)) or any(word in text for word in _EMERGENCY_AR)


def looks_like_crime_tip(text: str) -> bool:
    """True when a message names or points out a person (or a crime by one)."""
    return any(pattern.search(text) for pattern in _TIP_RE)
