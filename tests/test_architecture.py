"""The shape of the code: a pure domain, nothing created on import."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO

FORBIDDEN = ("telegram", "aiosqlite", "storage", "aiohttp")


def test_domain_imports_neither_telegram_nor_storage() -> None:
    modules = sorted(
        "bot.domain." + p.stem
        for p in (REPO / "bot" / "domain").glob("*.py")
        if p.stem != "__init__"
    )
    assert modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        f"bad = sorted(n for n in sys.modules if n.split('.')[0] in {FORBIDDEN!r})\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert result.stdout.strip() == ""


def test_importing_everything_creates_no_files(tmp_path: object) -> None:
    code = (
        "import os, pkgutil, importlib, bot, storage\n"
        "for pkg in (bot, storage):\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + '.'):\n"
        "        if info.name not in ('bot.__main__',):\n"
        "            importlib.import_module(info.name)\n"
        "print(sorted(os.listdir('.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path), check=True
    )
    assert result.stdout.strip() == "[]"
