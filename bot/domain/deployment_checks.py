"""Cross-reference checks of a deployment file that a single field cannot express (a staff
entry naming an unknown station, duplicate ids, overlapping promises): `find_problems`
reports every problem at once so an operator can fix a file in one pass."""

from __future__ import annotations

import zoneinfo
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from bot.domain.deployment import SUPPORTED_LANGUAGES, Deployment, Role


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a deployment file: where (a dotted path) and what."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def _label(section: str, index: int, key: str | None) -> str:
    return f"{section}[{index}]" + (f" ({key})" if key else "")


def _duplicates(
    section: str, items: Iterable[tuple[int, str | None, str, object]]
) -> list[Problem]:
    """Report every repeat of a value that must be unique: (index, key, field, value)."""
    rows = [row for row in items if row[3] is not None]
    counts = Counter(value for *_, value in rows)
    seen: set[object] = set()
    problems = []
    for index, key, field, value in rows:
        if counts[value] > 1:
            if value in seen:
                problems.append(
                    Problem(
                        f"{_label(section, index, key)}.{field}", f"duplicate {field} {value!r}"
                    )
                )
            seen.add(value)
    return problems


def find_problems(dep: Deployment) -> list[Problem]:
    """Cross-reference checks that a single field cannot express."""
    problems: list[Problem] = []
    actors = {a.id for a in dep.actors}
    stations = {s.id for s in dep.stations}
    categories = {c.id for c in dep.categories}

    problems += _duplicates("actors", ((i, a.id, "id", a.id) for i, a in enumerate(dep.actors)))
    problems += _duplicates("stations", ((i, s.id, "id", s.id) for i, s in enumerate(dep.stations)))
    problems += _duplicates(
        "stations", ((i, s.id, "code", s.code) for i, s in enumerate(dep.stations))
    )
    problems += _duplicates(
        "categories", ((i, c.id, "id", c.id) for i, c in enumerate(dep.categories))
    )
    problems += _duplicates("promises", ((i, p.id, "id", p.id) for i, p in enumerate(dep.promises)))
    problems += _duplicates(
        "staff", ((i, s.name, "telegram_id", s.telegram_id) for i, s in enumerate(dep.staff))
    )
    problems += _duplicates(
        "promises.commitments",
        (
            (i, c.id, "id", c.id)
            for i, c in enumerate(c for p in dep.promises for c in p.commitments)
        ),
    )

    alias_owner: dict[str, str] = {}
    for i, station in enumerate(dep.stations):
        for name in (station.name, *station.aliases):
            folded = name.casefold()
            other = alias_owner.setdefault(folded, station.id)
            if other != station.id:
                problems.append(
                    Problem(
                        f"{_label('stations', i, station.id)}.aliases",
                        f"name or alias {name!r} is already used by station {other!r}",
                    )
                )

    def unknown(where: str, field: str, values: Iterable[str], known: set[str], kind: str) -> None:
        for value in values:
            if value not in known:
                problems.append(Problem(f"{where}.{field}", f"unknown {kind} {value!r}"))

    for i, route in enumerate(dep.routing):
        where = _label("routing", i, None)
        unknown(where, "stations", route.stations, stations | {"*"}, "station")
        unknown(where, "categories", route.categories, categories | {"*"}, "category")
        unknown(where, "actors", route.actors, actors, "actor")

    for i, promise in enumerate(dep.promises):
        where = _label("promises", i, promise.id)
        unknown(where, "parties", promise.parties, actors, "actor")
        unknown(where, "stations", promise.stations, stations, "station")
        for j, commitment in enumerate(promise.commitments):
            cwhere = f"{where}.commitments[{j}] ({commitment.id})"
            unknown(cwhere, "owners", commitment.owners, actors, "actor")
            unknown(cwhere, "stations", commitment.stations, stations, "station")
            for value in commitment.stations:
                if value in stations and value not in promise.stations:
                    shown = ", ".join(repr(s) for s in promise.stations)
                    problems.append(
                        Problem(
                            f"{cwhere}.stations",
                            f"station {value!r} is not one of the promise's stations ({shown})",
                        )
                    )

    for i, member in enumerate(dep.staff):
        where = _label("staff", i, member.name)
        unknown(where, "actor", [member.actor], actors, "actor")
        unknown(where, "stations", member.stations, stations, "station")
        if member.role is not Role.ADMIN and not member.stations:
            problems.append(Problem(f"{where}.stations", "staff other than admin need a station"))
        if member.language and member.language not in dep.deployment.languages:
            have = ", ".join(dep.deployment.languages)
            problems.append(Problem(f"{where}.language", f"{member.language!r} is not in {have}"))

    from bot.domain.promise_checks import promise_problems  # it imports Problem from here

    problems += promise_problems(dep)

    meta = dep.deployment
    for lang in meta.languages:
        if lang not in SUPPORTED_LANGUAGES:
            problems.append(
                Problem(
                    "deployment.languages",
                    f"no catalog for language {lang!r} (have {', '.join(SUPPORTED_LANGUAGES)})",
                )
            )
    if meta.default_language not in meta.languages:
        problems.append(
            Problem("deployment.default_language", f"{meta.default_language!r} is not in languages")
        )
    try:
        zoneinfo.ZoneInfo(meta.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        problems.append(Problem("deployment.timezone", f"unknown time zone {meta.timezone!r}"))
    return problems
