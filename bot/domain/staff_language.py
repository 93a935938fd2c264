"""Which language a staff member reads the bot in: the rule, in one place.

Their `language` in the deployment file, else their own choice in the bot (/sprak, stored as
for residents), else the language Telegram reports for them, else the deployment's default.
Only the deployment's languages count; anything else falls through to the next source.
A station's group chat has many readers: it reads the default (`Cards.group_card`).
"""

from __future__ import annotations

from bot.domain.deployment import Deployment, StaffMember
from bot.domain.models import Staff


def file_entry(dep: Deployment, member: Staff) -> StaffMember | None:
    """The deployment file's entry of a stored staff member (None: linked by an invite)."""
    for entry in dep.staff:
        if member.telegram_id is not None and entry.telegram_id == member.telegram_id:
            return entry
        if member.telegram_id is None and entry.telegram_id is None and entry.email == member.email:
            return entry
    return None


def staff_language(dep: Deployment, member: Staff, telegram_language: str | None = None) -> str:
    """The language `member` reads; `telegram_language`: the code on the update they just
    sent (else the one stored from their last)."""
    entry = file_entry(dep, member)
    telegram = telegram_language or member.telegram_language
    base = telegram.split("-")[0].split("_")[0].lower() if telegram else None
    enabled = dep.deployment.languages
    for lang in (entry.language if entry else None, member.chosen_language, base):
        if lang is not None and lang in enabled:
            return lang
    return dep.deployment.default_language


def resident_language(dep: Deployment, stored: str | None, case_language: str | None) -> str:
    """The language a resident hears about their case in: their own (stored), else the one
    they wrote it in, else the default; never that of the staff member acting on it."""
    enabled = dep.deployment.languages
    found = (lang for lang in (stored, case_language) if lang is not None and lang in enabled)
    return next(found, dep.deployment.default_language)
