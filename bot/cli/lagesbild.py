"""`trygghetsbot lagesbild`: a station's or kommun's monthly lägesbild as a PDF."""

from __future__ import annotations

import asyncio
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.cli.context import CliError, Context
from bot.cli.promises import MONTH
from bot.cli.stations import one_station
from storage import Database


def cmd_lagesbild(ctx: Context) -> int:
    """Build the month's lägesbild of --station or --kommun and write it to --out as a PDF."""
    from bot.domain.promises import today_in
    from bot.domain.trygghet import month_of
    from bot.i18n import month_name
    from bot.services.lagesbild import Lagesbild, Lagesbilder, kommun_scope, station_scope

    args = ctx.args
    deployment = ctx.deployment
    lang = deployment.deployment.default_language
    if args.kommun is not None:
        scope = kommun_scope(deployment, args.kommun)
        if scope is None:
            known = ", ".join(sorted({s.kommun for s in deployment.stations}))
            raise CliError(ctx.say("lagesbild.cli.unknown_kommun", name=args.kommun, known=known))
    else:
        scope = station_scope(deployment, one_station(ctx, args.station))
        assert scope is not None  # one_station gives a known id
    month = args.month.strip()
    if not MONTH.fullmatch(month):
        raise CliError(ctx.say("lagesbild.cli.bad_month", value=args.month))
    today = today_in(ZoneInfo(deployment.deployment.timezone))
    if month > month_of(today):
        raise CliError(ctx.say("lagesbild.cli.future_month", value=month))
    out = Path(args.out)
    asyncio.run(ctx.migrate())

    async def build(db: Database) -> tuple[Lagesbild, bytes]:
        lagesbilder = Lagesbilder(deployment, ctx.catalogs, db)
        report = await lagesbilder.build(scope, month)
        return report, await asyncio.to_thread(lagesbilder.pdf, report, lang)

    report, pdf = ctx.with_database(build)
    try:
        out.write_bytes(pdf)
    except OSError as exc:
        error = exc.strerror or str(exc)
        raise CliError(ctx.say("lagesbild.cli.write_failed", path=out, error=error)) from None
    print(
        ctx.say(
            "lagesbild.cli.written",
            area=report.scope.name,
            month=month_name(report.start, lang),
            path=out,
        )
    )
    return 0
