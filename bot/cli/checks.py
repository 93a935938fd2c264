"""Commands that check: check-config (the deployment file) and doctor (the whole set-up)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.context import Context
from bot.config import load_deployment
from bot.domain.access import is_kommunpolis_at
from bot.domain.deployment import Deployment
from bot.domain.promises import has_ended, has_started, today_in
from bot.domain.routing import unstaffed_routes
from bot.settings import SettingsError


def _telegram_refusals(dep: Deployment) -> list[str]:
    """What in the file Telegram would refuse (bot.domain.telegram_limits)."""
    from bot.domain.telegram_limits import telegram_refusals
    from bot.i18n import Catalogs

    catalogs = Catalogs.load(dep.deployment.languages)
    version = dep.privacy.notice_version
    headers = {
        lang: catalogs.text(lang, "privacy.header", version=version)
        for lang in dep.deployment.languages
    }
    return [str(refusal) for refusal in telegram_refusals(dep, headers)]


def cmd_check_config(ctx: Context) -> int:
    """Validate the file named on the command line (else TRYGG_DEPLOYMENT) and summarise it."""
    path = Path(ctx.args.path) if ctx.args.path else ctx.settings.deployment
    dep = load_deployment(path)
    refused = _telegram_refusals(dep)
    if refused:
        for line in refused:
            print(f"{path}: {line}", file=sys.stderr)
        print(f"{path}: Telegram would refuse {len(refused)} thing(s) above", file=sys.stderr)
        return 1
    print(f"{path}: OK: {dep.deployment.name}")
    staff_total = len(dep.staff)
    print(
        f"  {len(dep.stations)} stations, {len(dep.promises)} promises, "
        f"{dep.commitment_count()} commitments, {len(dep.actors)} actors, "
        f"{len(dep.categories)} categories, {staff_total} staff"
    )
    print("  Stations:")
    for station in dep.stations:
        staff = dep.staff_at(station.id)
        police = sum(1 for s in staff if is_kommunpolis_at(s, station.id))
        promises = [p.id for p in dep.promises if station.id in p.stations]
        print(
            f"    {station.code:<5} {station.name} ({station.kommun}): {len(staff)} staff "
            f"({police} kommunpolis); promises: {', '.join(promises) or 'none'}"
        )
        if not police:
            print(f"          warning: no kommunpolis at {station.name}")
    actors = {a.id: a.name for a in dep.actors}
    for station_id, actor_id in unstaffed_routes(dep):
        print(
            f"  warning: reports at {dep.station(station_id).name} go to"
            f" {actors.get(actor_id, actor_id)}, which has no staff there in this file: they"
            " reach nobody of theirs (staff linked by an invite code are not counted)"
        )
    today = today_in(ZoneInfo(dep.deployment.timezone))
    for promise in dep.promises:
        when = (
            "ended: staff can no longer publish updates"
            if has_ended(promise, today)
            else ("running" if has_started(promise, today) else "upcoming")
        )
        print(
            f"  Promise {promise.id}: {promise.title} ({promise.start} – {promise.end}, {when}), "
            f"{len(promise.commitments)} commitments"
        )
    return 0


def cmd_doctor(ctx: Context) -> int:
    """One PASS/FAIL line per check; exit status 0 only if all passed."""
    from bot.doctor import run_checks

    try:
        settings = ctx.settings
    except SettingsError as exc:
        for line in exc.lines:
            print(f"FAIL  settings: {line}")
        print("Settings could not be read, so nothing else was checked.")
        return 1
    ctx.configure_logging(settings.smtp_password, fmt="plain")
    checks = asyncio.run(run_checks(settings))
    for check in checks:
        print(f"{'PASS' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
    failed = [check.name for check in checks if not check.ok]
    if failed:
        print(f"{len(failed)} of {len(checks)} checks failed: {', '.join(failed)}.")
        return 1
    print(f"All {len(checks)} checks passed.")
    return 0
