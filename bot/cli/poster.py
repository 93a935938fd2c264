"""`trygghetsbot poster`: a station's A4 poster with a QR code that begins a report there."""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

from bot.cli.context import CliError, Context, say
from bot.cli.stations import one_station


def cmd_poster(ctx: Context) -> int:
    """Write the poster of `--station` to `--out` (an existing file only with --force)."""
    from telegram.helpers import create_deep_linked_url

    from bot.domain.deeplinks import station_payload
    from bot.services.poster import PosterText, render

    args = ctx.args
    station = ctx.deployment.station(one_station(ctx, args.station))
    username = ctx.settings.bot_username.removeprefix("@")
    if not username:
        raise CliError(ctx.say("cli.poster_username"))
    out = Path(args.out)
    if not args.force and out.exists():
        raise CliError(ctx.say("cli.export_exists", path=str(out)))
    url = create_deep_linked_url(username, station_payload(station.id))
    languages = ctx.deployment.deployment.languages
    lang = ctx.deployment.deployment.default_language

    def line(in_lang: str, key: str) -> str:
        return _plain(say(ctx.catalogs, in_lang, key, station=station.name))

    text = PosterText(
        lang=lang,
        title=line(lang, "poster.title"),
        call=line(lang, "poster.call"),
        emergency=line(lang, "poster.emergency"),
        scan=line(lang, "poster.scan"),
        others=tuple((other, line(other, "poster.line")) for other in languages if other != lang),
    )
    pdf = render(text, url, title=f"Trygghetsboten – {station.name}", created=_now())
    _write(ctx, out, pdf, replace=args.force)
    print(ctx.say("cli.poster_done", station=station.name, path=str(out)))
    return 0


def _plain(text: str) -> str:
    """Catalog text for the PDF: without the bidi isolation marks around parameters (the PDF
    lays out each line by the Unicode bidi algorithm itself; its fonts have no such glyphs)."""
    return text.replace("\u2068", "").replace("\u2069", "")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


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
