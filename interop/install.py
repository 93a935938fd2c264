"""What the interop checks need: LibreOffice, GDAL, a Swedish locale and the Open311 client.

Debian packages are installed only when missing, and only as root (else the command to run
is printed). The Open311 client is the one in pyproject's `dev` extra, installed into this
interpreter's environment when it cannot be imported.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent
#: A program the checks run, and the Debian package it comes from.
PROGRAMS = {"soffice": "libreoffice-calc-nogui", "ogrinfo": "gdal-bin", "ogr2ogr": "gdal-bin"}
LOCALE = "sv_SE.UTF-8"
#: The Open311 client library (PyPI), as imported; its requirement is read from pyproject.
CLIENT = "georeport"


def _normal(name: str) -> str:
    return name.lower().replace("utf-8", "utf8")


def has_locale(name: str = LOCALE) -> bool:
    found = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False)
    return _normal(name) in {_normal(line.strip()) for line in found.stdout.splitlines()}


def _apt(packages: list[str]) -> str | None:
    """Install Debian packages; None, or why it failed."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"interop: apt-get install {' '.join(packages)}", flush=True)
    steps = [
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
    ]
    for step in steps:
        done = subprocess.run(step, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:]
            return f"{' '.join(step)} failed: {' '.join(tail)}"
    return None


def _generate_locale() -> str | None:
    """Enable sv_SE.UTF-8 in /etc/locale.gen and run locale-gen; None, or why it failed."""
    print(f"interop: generating the {LOCALE} locale", flush=True)
    config = Path("/etc/locale.gen")
    if config.exists() and shutil.which("locale-gen"):
        text = config.read_text()
        line = f"{LOCALE} UTF-8"
        enabled = re.sub(rf"^#\s*{re.escape(line)}\s*$", line, text, flags=re.M)
        if not re.search(rf"^{re.escape(line)}\s*$", enabled, flags=re.M):
            enabled += f"\n{line}\n"
        if enabled != text:
            config.write_text(enabled)
        argv = ["locale-gen"]
    else:
        argv = ["localedef", "-i", "sv_SE", "-f", "UTF-8", LOCALE]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not has_locale():
        return f"{' '.join(argv)} did not give {LOCALE}: {done.stderr.strip()[-200:]}"
    return None


def ensure_system() -> list[str]:
    """Install the missing Debian packages and the locale; the problems left (none: [])."""
    packages = sorted({p for prog, p in PROGRAMS.items() if shutil.which(prog) is None})
    locale_missing = not has_locale()
    if locale_missing and not Path("/usr/share/i18n/locales/sv_SE").exists():
        packages.append("locales")
    if not packages and not locale_missing:
        return []
    if os.geteuid() != 0:
        wanted = " ".join(packages) or "(none)"
        return [
            f"not root: install by hand: apt-get install --no-install-recommends {wanted};"
            f" and enable {LOCALE} in /etc/locale.gen, then locale-gen"
        ]
    problems: list[str] = []
    if packages and (error := _apt(packages)):
        problems.append(error)
    if locale_missing and not problems and (error := _generate_locale()):
        problems.append(error)
    missing = [prog for prog in PROGRAMS if shutil.which(prog) is None]
    if missing:
        problems.append(f"still missing after the install: {', '.join(missing)}")
    return problems


def _client_requirement() -> str:
    """The client's requirement as pyproject's dev extra gives it (else its bare name)."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    for requirement in project.get("optional-dependencies", {}).get("dev", []):
        if re.match(rf"{CLIENT}\b", requirement, flags=re.I):
            return str(requirement)
    return CLIENT


def client() -> ModuleType:
    """The Open311 client module, installed with pip into this environment when missing."""
    try:
        return importlib.import_module(CLIENT)
    except ImportError:
        pass
    requirement = _client_requirement()
    print(f"interop: pip install {requirement}", flush=True)
    argv = [sys.executable, "-m", "pip", "install", "--quiet", requirement]
    subprocess.run(argv, check=True)
    importlib.invalidate_caches()
    return importlib.import_module(CLIENT)


def versions() -> dict[str, str]:
    """The versions of the tools used, for the record."""

    def first_line(argv: list[str]) -> str:
        if shutil.which(argv[0]) is None:
            return "not installed"
        out = subprocess.run(argv, capture_output=True, text=True, check=False).stdout
        return out.strip().splitlines()[0] if out.strip() else "?"

    try:
        from importlib.metadata import version

        client_version = f"{CLIENT} {version(CLIENT)}"
    except Exception:
        client_version = f"{CLIENT} not installed"
    return {
        "LibreOffice": first_line(["soffice", "--version"]),
        "GDAL": first_line(["ogrinfo", "--version"]),
        "Open311 client": client_version,
        "Python": sys.version.split()[0],
    }
