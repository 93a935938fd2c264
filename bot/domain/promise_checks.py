"""Checks of the deployment file's promises that no single field can express: successive
promises at a station must not overlap in time, a translation must be in a language the
deployment offers, and so must a trygghetsmätning question, which names no placeholder but
{station}. Part of `deployment_checks.find_problems`."""

from __future__ import annotations

import string
from collections.abc import Iterable

from bot.domain.deployment import Deployment, Promise
from bot.domain.deployment_checks import Problem

#: The language promises are written in; the others are `translations`.
SOURCE_LANGUAGE = "sv"


def promise_problems(dep: Deployment) -> list[Problem]:
    """Overlapping promises at a station, translations in languages not offered, and
    pulse questions the bot cannot ask."""
    return _overlaps(dep.promises) + _translations(dep) + _pulse_questions(dep)


def _where(index: int, promise: Promise) -> str:
    return f"promises[{index}] ({promise.id})"


def _overlaps(promises: list[Promise]) -> list[Problem]:
    """One problem for each pair of promises that share a station and a day: a station's
    promises follow one another (one ends before the next starts), so that residents see one
    current promise and its updates are refused once it has ended."""
    problems = []
    for i, later in enumerate(promises):
        for j, earlier in enumerate(promises[:i]):
            shared = [s for s in dict.fromkeys(later.stations) if s in earlier.stations]
            if shared and later.start <= earlier.end and earlier.start <= later.end:
                problems.append(
                    Problem(
                        f"{_where(i, later)}.start",
                        f"overlaps promise {earlier.id!r} ({earlier.start} – {earlier.end}) at "
                        f"{', '.join(repr(s) for s in shared)} (promises[{j}]): a station's "
                        "promises follow one another, each starting after the one before ends",
                    )
                )
    return problems


def _translations(dep: Deployment) -> list[Problem]:
    offered = dep.deployment.languages
    problems: list[Problem] = []

    def check(where: str, languages: Iterable[str]) -> None:
        for lang in languages:
            if lang == SOURCE_LANGUAGE:
                problems.append(
                    Problem(
                        f"{where}.translations.{lang}",
                        "Swedish is the text itself, not a translation",
                    )
                )
            elif lang not in offered:
                problems.append(
                    Problem(
                        f"{where}.translations.{lang}",
                        f"language {lang!r} is not in deployment.languages ({', '.join(offered)})",
                    )
                )

    for i, promise in enumerate(dep.promises):
        where = _where(i, promise)
        check(where, promise.translations)
        for lang, text in promise.translations.items():
            if text.title is None and text.summary is None:
                problems.append(
                    Problem(f"{where}.translations.{lang}", "gives neither title nor summary")
                )
        for j, commitment in enumerate(promise.commitments):
            check(f"{where}.commitments[{j}] ({commitment.id})", commitment.translations)
    return problems


def _pulse_questions(dep: Deployment) -> list[Problem]:
    """A promise's trygghetsmätning question: in a language the deployment offers, with no
    placeholder but {station} (the bot fills in nothing else) and no stray braces."""
    problems = []
    offered = dep.deployment.languages
    for i, promise in enumerate(dep.promises):
        for lang, text in promise.pulse.question.items():
            where = f"{_where(i, promise)}.pulse.question.{lang}"
            if lang not in offered:
                problems.append(Problem(where, f"{lang!r} is not in {', '.join(offered)}"))
            try:
                fields = {
                    name for _, name, _, _ in string.Formatter().parse(text) if name is not None
                }
            except ValueError:
                problems.append(Problem(where, "a { or } without its pair (write {{ or }})"))
                continue
            for name in sorted(fields - {"station"}):
                problems.append(
                    Problem(
                        where, f"unknown placeholder {{{name}}} (only {{station}} is filled in)"
                    )
                )
    return problems
