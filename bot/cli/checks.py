"""Commands that check: check-config (the deployment file) and doctor (the whole set-up)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.cli.context import Context, say
from bot.config import load_deployment
from bot.domain.access import is_kommunpolis_at
from bot.domain.deployment import Deployment
from bot.domain.promises import has_ended, has_started, today_in
from bot.domain.routing import unstaffed_routes
from bot.settings import SettingsError

if TYPE_CHECKING:
    from bot.i18n import Catalogs


def _telegram_refusals(dep: Deployment, catalogs: Catalogs) -> list[str]:
    """What in the file Telegram would refuse (bot.domain.telegram_limits)."""
    from bot.domain.telegram_limits import telegram_refusals

    version = dep.privacy.notice_version
    headers = {
        lang: catalogs.text(lang, "privacy.header", version=version)
        for lang in dep.deployment.languages
    }
    return [str(refusal) for refusal in telegram_refusals(dep, headers)]


def cmd_check_config(ctx: Context) -> int:
    """Validate the file named on the command line (else TRYGG_DEPLOYMENT) and summarise it,
    in the file's own language (the problems with the file itself are the loader's)."""
    from bot.i18n import Catalogs

    path = Path(ctx.args.path) if ctx.args.path else ctx.settings.deployment
    dep = load_deployment(path)
    catalogs = Catalogs.load(dep.deployment.languages)
    lang = dep.deployment.default_language

    def t(key: str, **params: object) -> str:
        return say(catalogs, lang, key, **params)

    refused = _telegram_refusals(dep, catalogs)
    if refused:
        for line in refused:
            print(f"{path}: {line}", file=sys.stderr)
        print(t("cli.config_refused", path=str(path), count=len(refused)), file=sys.stderr)
        return 1
    print(t("cli.config_ok", path=str(path), name=dep.deployment.name))
    print(
        t(
            "cli.config_summary",
            stations=len(dep.stations),
            promises=len(dep.promises),
            commitments=dep.commitment_count(),
            actors=len(dep.actors),
            categories=len(dep.categories),
            staff=len(dep.staff),
        )
    )
    print(t("cli.config_stations"))
    for station in dep.stations:
        staff = dep.staff_at(station.id)
        police = sum(1 for s in staff if is_kommunpolis_at(s, station.id))
        promises = [p.id for p in dep.promises if station.id in p.stations]
        print(
            t(
                "cli.config_station",
                code=f"{station.code:<5}",
                name=station.name,
                kommun=station.kommun,
                staff=len(staff),
                police=police,
                promises=", ".join(promises) or t("cli.config_none"),
            )
        )
        if not police:
            print(t("cli.config_no_police", station=station.name))
    actors = {a.id: a.name for a in dep.actors}
    for station_id, actor_id in unstaffed_routes(dep):
        name = dep.station(station_id).name
        print(t("cli.config_unstaffed", station=name, actor=actors.get(actor_id, actor_id)))
    today = today_in(ZoneInfo(dep.deployment.timezone))
    for promise in dep.promises:
        state = (
            "ended"
            if has_ended(promise, today)
            else ("running" if has_started(promise, today) else "upcoming")
        )
        print(
            t(
                "cli.config_promise",
                id=promise.id,
                title=promise.title,
                start=promise.start,
                end=promise.end,
                state=t(f"cli.promise_{state}"),
                count=len(promise.commitments),
            )
        )
    return 0


def cmd_doctor(ctx: Context) -> int:
    """One line per check, then the outcome: all in Swedish, since the deployment file (and
    its languages) may be what fails. Library error texts inside a line stay as they come."""
    from bot.doctor import Check, run_checks, said
    from bot.i18n import SOURCE_LANGUAGE, Catalogs

    catalogs = Catalogs.load([SOURCE_LANGUAGE])
    lang = SOURCE_LANGUAGE
    words = {
        ok: catalogs.text(lang, "doctor.pass" if ok else "doctor.fail") for ok in (True, False)
    }
    width = max(map(len, words.values()))

    def line(check: Check) -> str:
        name, detail = check.title(catalogs, lang), check.detail.text(catalogs, lang)
        return f"{words[check.ok]:<{width}}  {name}: {detail}"

    try:
        settings = ctx.settings
    except SettingsError as exc:
        for variable, error in exc.problems:
            invalid = said("settings.invalid", variable=variable, error=error)
            print(line(Check("settings", False, invalid)))
        print(say(catalogs, lang, "cli.doctor_no_settings"))
        return 1
    ctx.configure_logging(settings.smtp_password, fmt="plain")
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        print(line(check))
    failed = [check.title(catalogs, lang) for check in checks if not check.ok]
    if failed:
        failures = dict(count=len(failed), total=len(checks), names=", ".join(failed))
        print(say(catalogs, lang, "cli.doctor_failed", **failures))
        return 1
    print(say(catalogs, lang, "cli.doctor_passed", count=len(checks)))
    return 0
