"""Database commands: migrate, backup and restore."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from bot.cli.context import CliError, Context


def cmd_migrate(ctx: Context) -> int:
    """Create or upgrade the schema of --database (default TRYGG_DATABASE)."""
    path = Path(ctx.args.database) if ctx.args.database else ctx.settings.database
    version, applied = asyncio.run(ctx.migrate(path))
    if applied:
        print(f"{path}: migrated to schema version {version} (applied {applied})")
    else:
        print(f"{path}: schema version {version}, up to date")
    return 0


def cmd_backup(ctx: Context) -> int:
    """An online, consistent copy of the database, safe while the bot runs."""
    from storage.backup import backup

    settings = ctx.settings
    given: str = ctx.args.path
    target = Path(given)
    if given.endswith(("/", os.sep)) and not target.is_dir():
        raise CliError(f"Folder {given} does not exist: create it first (mkdir -p {given})")
    snapshot = backup(settings.database, target)
    print(
        f"Backup of {settings.database} written to {snapshot.path}: schema {snapshot.schema}, "
        f"{snapshot.cases} cases, {snapshot.size:,} bytes, integrity ok."
    )
    print(f"Photos are not in the backup: copy {settings.media_dir} as well.")
    return 0


def cmd_restore(ctx: Context) -> int:
    """Replace the database with a backup; refused while the bot runs."""
    from storage.backup import restore

    settings = ctx.settings
    snapshot, kept = restore(Path(ctx.args.path), settings.database)
    print(
        f"Restored {ctx.args.path} into {settings.database}: schema {snapshot.schema}, "
        f"{snapshot.cases} cases, integrity ok."
    )
    if kept is not None:
        print(f"The database it replaced is kept as {kept}.")
    return 0
