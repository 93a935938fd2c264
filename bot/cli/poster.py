"""`trygghetsbot poster`: a station's A4 poster with a QR code that begins a report there."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from bot.cli.context import CliError, Context
from bot.cli.stations import one_station


def cmd_poster(ctx: Context) -> int:
    """Write the poster of `--station` to `--out` (an existing file only with --force)."""
    from bot.services.poster import station_poster

    args = ctx.args
    station = ctx.deployment.station(one_station(ctx, args.station))
    username = ctx.settings.bot_username.removeprefix("@")
    if not username:
        raise CliError(ctx.say("cli.poster_username"))
    out = Path(args.out)
    if not args.force and out.exists():
        raise CliError(ctx.say("cli.export_exists", path=str(out)))
    pdf = station_poster(ctx.deployment, ctx.catalogs, station, username)
    _write(ctx, out, pdf, replace=args.force)
    print(ctx.say("cli.poster_done", station=station.name, path=str(out)))
    return 0


def _write(ctx: Context, out: Path, content: bytes, *, replace: bool) -> None:
    """The whole file, or nothing: written beside `out`, then put in place; without
    `replace`, a file that appeared at `out` meanwhile is kept."""
    from bot.services.export.atomic import put_new, umask

    try:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", dir=out.parent)
    except OSError as exc:
        raise CliError(ctx.say("cli.write_failed", path=str(out), error=exc.strerror)) from None
    partial = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(content)
        os.chmod(partial, 0o666 & ~umask())  # as a file the user creates
        if replace:
            os.replace(partial, out)
        else:
            put_new(partial, out)
    except FileExistsError:
        raise CliError(ctx.say("cli.export_exists", path=str(out))) from None
    except OSError as exc:
        raise CliError(ctx.say("cli.write_failed", path=str(out), error=exc.strerror)) from None
    finally:
        partial.unlink(missing_ok=True)
