"""Crime tips about people: does a text point out a person, and accuse them of an offence?

The rule (issue 14): a text that names or identifies a person together with an alleged
offence is a tip for the police and is never stored; a text about a place, including crime
that happens there without pointing anyone out ("folk dealar öppet i tunneln"), is a report.

Two kinds of identifier:
- unambiguous personal data, a tip on its own: a personnummer, a number plate, a Swedish
  mobile number, a flat number, or someone being named ("killen heter Kalle");
- pointers that also occur in harmless text (a name, "min granne", an e-mail address):
  a tip only when the person is the one doing an offence, i.e. an active offence word
  follows within a few words in the same clause ("Kalle Svensson langar vid pendeln"), an
  agent noun comes just before ("langaren Kalle"), or a passive names them as the agent
  ("cyklarna stals av min granne"). A victim ("min granne blev rånad") is no tip.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator
from functools import cache
from itertools import chain
from typing import NamedTuple

from bot.domain import names as lexicon
from bot.domain.names import NameLists, name_lists

# ------------------------------------------------------------------------------- offences

_DRUGS = (
    r"(knark|narkotika|droger|drog|hasch|gräs|kokain|koks|heroin|tabletter|spice|cannabis"
    r"|weed|drugs|cocaine|coke|crack|pills|huume\w*|المخدرات)"
)
_GOODS = rf"({_DRUGS[1:-1]}|stöldgods|tjuvgods|stulna|stulen|stolen)"
_TRADE = (
    r"(säljer|sålde|sålt|sälja|köper|köpte|pushar|pushade|sells?|selling|sold|buys|bought"
    r"|pushes|pushing|pushed|myy|myyvät|يبيع|يبيعون)"
)
# Active forms only: the passive ("det langas", "cyklar stjäls") describes a place.
_ACTIVE = [
    rf"{_TRADE}\b[^.!?;\n]{{0,40}}?\b{_GOODS}",
    r"(tar|tog) emot (stöldgods|tjuvgods|stulna)",
    r"lang(ar|ade|at|a|are|aren|arna)",
    r"deal(ar|ade|at|a|er|ern|ers)|dealing(?! with)|deals(?! with)|dealt(?! with)",
    r"deal (drugs|weed|coke|pills|hash|from)",  # not the noun: "a good deal at ICA"
    r"knark(ar|ade|at|are|aren)|knarklangare\w*|röker (hasch|gräs|på|weed)",
    r"stjäl|stal|stulit|stjäla|snor|snodde|snott|sno|norpa(r|de|t)?|knyck(er|te|t|a)",
    r"snatt(ar|ade|at|a|are|aren)|tjuv(en|ar|arna)?|häla(r|de)|hälare\w*",
    r"misshandl(ar|ade|at|a)|slår|slog|spöa(r|de)?|spark(ar|ade)|knivh(ögg|ugger)",
    r"rån(ar|ade|at|a|are|aren)|hot(ar|ade|at|a)|ofred(ar|ade|at|a)|tafs(ar|ade|at|a)",
    r"trakasser(ar|ade|at|a)|blott(ar|ade|at|a)|förföljer|förföljde|våldt(og|ar)",
    r"klottr(ar|ade|at|a)|tagg(ar|ade|at)|sprej(ar|ade|at)|spray(ar|ade|at)",
    r"vandaliser(ar|ade|at|a)|förstör(de|t)?|kross(ar|ade|at)|sabba(r|de|t)?|tänder eld",
    r"(bryter|bröt|brutit) sig in|(gör|gjorde|gjort) inbrott|plank(ar|ade|at)",
    r"kör (full|berusad|rattfull|drogad|påverkad)|är kriminell|skjuter|sköt",
    r"steals?|stole|stealing|thief|thieves|nick(s|ed|ing)|pinch(es|ed|ing)|swipe[sd]",
    r"shoplift(s|ed|ing|er)?|burgl(es|ed|ing|ar)|mug(s|ged|ging|ger)|rob(s|bed|bing|ber)",
    r"beats? up|beating up|assault(s|ed|ing)|attack(s|ed|ing)|punch(es|ed|ing)|stabs|stabbed",
    r"threaten(s|ed|ing)|harass(es|ed|ing)|grop(es|ed|ing)|stalks|stalked",
    r"tags|tagged|tagging|spray[- ]?paint(s|ed|ing)|vandali[sz](es|ed|ing)|smash(es|ed|ing)",
    r"trash(es|ed|ing)|(breaks|broke|broken) into|sets fire|set fire|dodges fares",
    r"fare[- ]dodg(es|ing|er)|drives drunk|drunk[- ]driv(es|ing|er)|smokes (weed|pot|crack)",
    r"does drugs|shoots up|drug[- ]dealer",
]
_OFFENCE = r"\b(" + "|".join(_ACTIVE) + r")\b"
# A noun for the doer, just before the identifier: "langaren Kalle", "the thief, John Smith".
_AGENTS = (
    r"(langaren|langare|dealern|dealer|tjuven|rånaren|hälaren|knarklangaren|thief"
    r"|robber|mugger|pusher|shoplifter|burglar)"
)
# A passive with its agent: "cyklarna stals av min granne", "was stolen by Peter Lindqvist".
_PASSIVES = (
    r"(stals|stulen|stulna|stulits|snattades|rånades|misshandlades|hotades|klottrades"
    r"|förstördes|krossades|såldes|langades|stolen|robbed|attacked|mugged|assaulted"
    r"|threatened|vandali[sz]ed|sold|smashed|beaten|taken|sprayed)"
)
_PARTICIPLES = ("ed", "ade", "ad", "at", "sold", "beat")  # endings

# ---------------------------------------------------------------- unambiguous identifiers

_PERSONNUMMER = r"(?<![\d-])(?:19|20)?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})(?!\d)"
# Swedish plates: three letters (no I, Q, V, Å, Ä, Ö) and two digits and a digit or letter.
_PLATE = r"\b([a-hj-pr-uw-z]{3}) ?(\d{2}[a-z0-9])\b"
_NOT_PLATES = {
    "and", "are", "bor", "bus", "car", "den", "det", "eur", "for", "fem", "gbp", "har", "hus",
    "kan", "kom", "kor", "man", "med", "men", "mer", "min", "mot", "nej", "nok", "och", "our",
    "out", "per", "rum", "sek", "ser", "sex", "som", "ska", "tar", "tel", "ten", "the", "top",
    "tre", "usd", "ute", "upp", "was", "zon",
}  # fmt: skip
_MOBILE = r"(?<![\d+])(?:\+46|0046|0)[- ]?7[02369](?:[- ]?\d){7}(?!\d)"
_FLAT = (
    r"\b(lgh|lägh|lägenhet|lägenheten|lägenhetsnummer)\.?\s*(nr\.?\s*|nummer\s*)?\d{1,4}\b"
    r"|\b(flat|apartment|apt)\.?\s*(no\.?\s*|number\s*)?\d{1,4}[a-z]?\b"
)
_NAMING = (
    r"\b(han|hon|hen|killen|tjejen|mannen|kvinnan|personen|grabben|snubben|gubben|tanten)"
    r"\s+(heter|kallas)\b"
    r"|\b(his|her|their) name is\b|\bnimeltä\b|اسمه|اسمها"
)
# Case matters after "called" (a capital), so this one never runs on lowered text.
_NAMING_CALLED = (
    r"\b(guy|man|woman|lady|kid|boy|girl|bloke|dude|person)\s+(called|named|nicknamed)"
    r"\s+(?-i:[A-Z])"
)
_NAMED = (
    r"(\b(?:jag|i|i'm|i am)\s+)?\b(?:heter|kallas för|kallas|called|named|nicknamed|goes by)"
    r"\s+(\w+)"
)

# ------------------------------------------------------------------------------ pointers

_POINTER = (
    r"\b(min|mitt|mina|vår|vårt|våra|hans|hennes|hens|deras)\s+(granne|grannar|kompis"
    r"|kompisar|kollega|bror|brorsa|syster|syrra|kusin|son|dotter|pappa|mamma|farsa|morsa"
    r"|svåger|svägerska|ex|pojkvän|flickvän|sambo|man|fru|chef|hyresvärd|klasskompis"
    r"|styvpappa|styvson)\b"
    r"|\b(grannen|grannarna|grannfamiljen|grannkillen|grannpojken|grannflickan)\b"
    r"|\b(killen|tjejen|mannen|kvinnan|gubben|tanten|pojken|flickan|personen|familjen|han"
    r"|hon|hen)\s+som\s+(bor|jobbar|arbetar)\b"
)
# Case matters here, so with it the pointers are matched on the text as written.
_POINTER_FAMILY = r"|\bfamiljen\s+(?-i:[A-ZÅÄÖ])\w+"
_POINTER_MORE = (
    r"|\b(jag|vi)\s+vet\s+vem\b|\bkan\s+(berätta|tala om)\s+vem\b"
    r"|\b(my|our|his|her|their)\s+(neighbou?rs?|mate|friend|flatmate|roommate|colleague"
    r"|co-?worker|brother|sister|cousin|son|daughter|dad|father|mum|mom|mother|husband"
    r"|wife|boyfriend|girlfriend|partner|ex|boss|landlord|uncle|aunt|nephew|niece)\b"
    r"|\bthe\s+neighbou?rs?\b|\bnext[- ]door\b"
    r"|\b(guy|man|woman|lady|kid|boy|girl|bloke|person|family)\s+(who|that)\s+"
    r"(lives|works)\b|\b(family|guy|man|woman|people)\s+(upstairs|downstairs)\b"
    r"|\b(i|we)\s+know\s+who\b|\b(from|at|in|från|på|i)\s+(number|no\.?|nummer|nr\.?)\s*\d+"
)
_CONTACT = (
    r"(?<![\w.+-])[\w.+-]+@[\w-]+(\.[\w-]+)+"  # e-mail
    r"|(?<![\w@])@[a-z0-9_.]{3,30}"  # a handle on social media
    r"|(?<![\d+])(\+\d{2}|0)[- ]?\d{1,3}[- ]?\d(?:[- ]?\d){4,8}(?!\d)"  # any phone number
)


# An initial ("Johan Ö. langar") is one token, not the end of a sentence.
_TOKEN = r"[A-ZÅÄÖ]\.(?=[ \t]+\w)|\w+(?:[-'’]\w+)*|[^\w\s]"
_SENTENCE_END = {".", "!", "?", ":", ";", "…"}
# Characters for which `re`'s IGNORECASE is not the same as comparing str.lower() ("ſ" is
# "s", "ı" is "i", "K" is "k", "µ" is "μ"; "İ" lowers to two): a text with one of them is
# matched as written. Every other text is matched lowercased, without IGNORECASE, which the
# regex engine does several times faster (it can skip an alternative on its first letter).
_UNUSUAL = r"[^\x00-\x7f\u00a0-\u00b4\u00b6-\u00ff\u0600-\u06ff\u2000-\u206f]"


class _Patterns:
    """The compiled patterns, built on first use; a pair is (as written, lowercased)."""

    def __init__(self) -> None:
        i = re.IGNORECASE
        self.unusual = re.compile(_UNUSUAL)
        self.token = re.compile(_TOKEN)
        self.personnummer = re.compile(_PERSONNUMMER)
        self.mobile = re.compile(_MOBILE)
        self.plate = re.compile(_PLATE, i)
        self.flat = re.compile(_FLAT, i)
        self.naming_called = re.compile(_NAMING_CALLED, i)
        self.agent = re.compile(rf"\b{_AGENTS}\b\W*$", i)
        self.passive_by = re.compile(rf"\b{_PASSIVES}\b[^.!?;\n]{{0,30}}\b(av|by)\s*$", i)
        self.pointer = re.compile(_POINTER + _POINTER_FAMILY + _POINTER_MORE, i)
        self.pointer_lower = re.compile(_POINTER + _POINTER_MORE)  # when no "familjen"
        pairs = [(re.compile(p, i), re.compile(p)) for p in (_NAMING, _NAMED, _OFFENCE)]
        self.naming, self.named, self.offence = pairs
        self.contact = (re.compile(_CONTACT, i), re.compile(_CONTACT))
        # An agent noun or a passive verb: with none of them and no offence, nobody is accused.
        suspects = f"{_AGENTS[1:-1]}|{_PASSIVES[1:-1]}"
        self.suspects = (re.compile(suspects, i), re.compile(suspects))
        # Words without which a group of patterns cannot match (a plain search is quick).
        self.digits = re.compile(r"\d\d")  # personnummer, plate, mobile
        self.digit = re.compile(r"\d")  # a phone number (or "@" for an address)
        self.flat_words = re.compile("lgh|lägh|lägenhet|flat|apartment|apt")
        self.name_words = re.compile("heter|kallas|name is|nimeltä|اسمه|اسمها|called|named|goes by")


_patterns = cache(_Patterns)  # one per process


class _Token:
    __slots__ = ("capitalised", "end", "is_word", "lower", "sentence_start", "start", "text")

    def __init__(self, text: str, start: int, end: int, sentence_start: bool) -> None:
        self.text, self.start, self.end, self.sentence_start = text, start, end, sentence_start
        self.lower, self.is_word = text.lower(), text[0].isalnum()
        self.capitalised = text[0].isupper()


class _Pointer(NamedTuple):
    first: int  # token indexes, inclusive
    last: int
    reach: int  # how many words may stand between it and the offence


_NEAR = 6  # "Kalle Svensson, han från trean, langar"
_NEXT = 0  # the very next word (a "som" aside): for names that are also words
_Pair = tuple[re.Pattern[str], re.Pattern[str]]


class _Text:
    """A text once: lowercased, and whether the faster lowercased patterns apply (_UNUSUAL)."""

    def __init__(self, text: str, patterns: _Patterns) -> None:
        self.text = text
        self.lower = text.lower()
        self.p = patterns
        self.plain = len(self.lower) == len(text) and not patterns.unusual.search(text)

    def finditer(self, pair: _Pair) -> Iterator[re.Match[str]]:
        return pair[1].finditer(self.lower) if self.plain else pair[0].finditer(self.text)

    def search(self, pair: _Pair) -> bool:
        return next(self.finditer(pair), None) is not None


def _tokens(text: str, pattern: re.Pattern[str]) -> list[_Token]:
    tokens: list[_Token] = []
    starts_sentence = True
    newlines = "\n" in text
    for match in pattern.finditer(text):
        word = match.group()
        if newlines and tokens and "\n" in text[tokens[-1].end : match.start()]:
            starts_sentence = True
        tokens.append(_Token(word, match.start(), match.end(), starts_sentence))
        if word in _SENTENCE_END:
            starts_sentence = True
        elif word[0].isalnum():
            starts_sentence = False
    return tokens


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        n = int(ch) * (2 if i % 2 == 0 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


def _has_personnummer(text: str, p: _Patterns) -> bool:
    for m in p.personnummer.finditer(text):
        yy, mm, dd, separator, last = m.groups()
        day = int(dd) - 60 if int(dd) > 60 else int(dd)  # samordningsnummer
        if 1 <= int(mm) <= 12 and 1 <= day <= 31 and (separator or _luhn_ok(yy + mm + dd + last)):
            return True
    return False


def _has_plate(text: str, p: _Patterns) -> bool:
    return any(m.group(1).lower() not in _NOT_PLATES for m in p.plate.finditer(text))


def _unambiguous(t: _Text) -> bool:
    text, low, p, every = t.text, t.lower, t.p, not t.plain
    if (every or p.digits.search(low)) and (
        _has_personnummer(text, p) or _has_plate(text, p) or p.mobile.search(text)
    ):
        return True
    if (every or p.flat_words.search(low)) and p.flat.search(text):
        return True
    if every or p.name_words.search(low):
        return bool(t.search(p.naming) or p.naming_called.search(text) or _named(t))
    return False


def _named(t: _Text) -> bool:
    """'... heter Kalle', 'someone called Peter', but not 'jag heter Anna' (the resident)."""
    given = name_lists().given
    return any(m.group(2).lower() in given and not m.group(1) for m in t.finditer(t.p.named))


def _is_given(word: str, names: NameLists) -> bool:
    return word in names.given or ("-" in word and all(p in names.given for p in word.split("-")))


def _after_preposition(tokens: list[_Token], words: list[int], n: int) -> bool:
    """True when the word opens or continues a name after 'vid', 'i', 'outside': a place."""
    for k in range(n, max(0, n - 4), -1):  # place names have a few words at most
        before = tokens[words[k - 1]]
        if before.lower in lexicon.PLACE_PREPOSITIONS:
            return True
        if not before.capitalised or before.sentence_start:
            return False
        # "vid Mötesplats Jakobsberg": Jakobsberg belongs to the place too
    return False


def _person_names(tokens: list[_Token], names: NameLists) -> list[_Pointer]:
    """Names of people: 'Kalle Svensson', 'kalle svensson', 'Det är Kalle som', 'Svensson'."""
    found: list[_Pointer] = []
    words = [i for i, t in enumerate(tokens) if t.is_word]
    for n, i in enumerate(words):
        token = tokens[i]
        given, lower = _is_given(token.lower, names), token.lower
        if not (given or (token.capitalised and not token.sentence_start)) and not (
            lower in names.family and lower.endswith("son")
        ):
            continue  # no name: nothing below would find one
        follows = tokens[words[n + 1]] if n + 1 < len(words) and words[n + 1] == i + 1 else None
        surname = follows is not None and follows.lower in names.family
        pair = follows is not None and (surname or follows.capitalised)
        last = n + 1 if pair else n
        if (last + 1 < len(words) and tokens[words[last + 1]].lower in lexicon.PLACE_NOUNS) or (
            follows is not None and pair and follows.lower in lexicon.PLACE_NOUNS
        ):
            continue  # "Olof Palmes gata", "Victoria Station"
        place = _after_preposition(tokens, words, n)
        if given:
            if surname or (pair and token.capitalised and not place):
                found.append(_Pointer(i, words[last], _NEAR))
            elif place:
                continue  # "vid Max", "outside Kalle's Kiosk"
            elif token.capitalised and not token.sentence_start:
                found.append(_Pointer(i, i, _NEAR))
            elif token.lower in names.also_words:
                found.append(_Pointer(i, i, _NEXT))  # "Per stjäl", not "Per vecka", "Will you"
            else:
                found.append(_Pointer(i, i, _NEAR))
        elif place or len(token.text) < 2:
            continue
        elif token.lower in names.family and token.lower.endswith("son"):
            found.append(_Pointer(i, i, _NEAR))  # "Svensson snattar"
        elif token.capitalised and not token.sentence_start:
            if surname:
                found.append(_Pointer(i, words[last], _NEAR))  # "Zoran Svensson"
            else:
                found.append(_Pointer(i, i, _NEXT))  # an unlisted name: "det är Zoran som langar"
    return found


def _spans(
    tokens: list[_Token], ends: list[int], matches: Iterable[re.Match[str]]
) -> Iterator[_Pointer]:
    """The tokens each match of a pattern covers."""
    for m in matches:
        first = bisect.bisect_right(ends, m.start())
        last = bisect.bisect_left(ends, m.end())
        if first < len(tokens) and first <= last:
            yield _Pointer(first, min(last, len(tokens) - 1), _NEAR)


def _offences(tokens: list[_Token], ends: list[int], matches: list[re.Match[str]]) -> set[int]:
    """Token indexes where an active offence starts."""
    found = set()
    for m in matches:
        index = bisect.bisect_right(ends, m.start())
        previous = tokens[index - 1].lower if index > 0 else ""
        if previous in lexicon.AUXILIARIES and m.group().lower().endswith(_PARTICIPLES):
            continue  # "Tom was attacked", "Lisa blev hotade": a victim
        found.add(index)
    return found


def _accuses(t: _Text, tokens: list[_Token], pointer: _Pointer, offences: set[int]) -> bool:
    """True when the person pointed out is the one doing an offence."""
    start = tokens[pointer.first].start
    before = t.text[max(0, start - 80) : start]
    if t.p.agent.search(before) or t.p.passive_by.search(before):
        return True  # "langaren Kalle", "stals av min granne"
    words = 0
    for index in range(pointer.last + 1, len(tokens)):
        if index in offences:
            return True
        token = tokens[index]
        if token.lower in lexicon.BLOCKERS:
            return False
        if token.is_word and token.lower not in lexicon.RELATIVE:
            words += 1
            if words > pointer.reach:
                return False
    return False


def is_crime_tip(text: str) -> bool:
    """True when the text identifies a person and accuses them of an offence (see module)."""
    t = _Text(text, _patterns())
    if _unambiguous(t):
        return True
    p = t.p
    matches = list(t.finditer(p.offence))
    if not matches and not t.search(p.suspects):
        return False  # no offence, agent noun or passive: nobody can be accused
    tokens = _tokens(text, p.token)
    ends = [token.end for token in tokens]
    offences = _offences(tokens, ends, matches)
    if t.plain and "familjen" not in t.lower:
        pointed = p.pointer_lower.finditer(t.lower)
    else:
        pointed = p.pointer.finditer(text)
    contact = not t.plain or "@" in text or p.digit.search(t.lower)
    pointers = chain(  # lazily: the first accused person decides
        _person_names(tokens, name_lists()),
        _spans(tokens, ends, pointed),
        _spans(tokens, ends, t.finditer(p.contact) if contact else ()),
    )
    return any(_accuses(t, tokens, pointer, offences) for pointer in pointers)
