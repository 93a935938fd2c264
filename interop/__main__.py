"""`python -m interop [--record docs/interop.md] [--keep DIR]`: PASS/FAIL per check."""

from __future__ import annotations

import argparse
import logging
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

from interop import install, record
from interop.api import check_open311
from interop.checks import Check, attempt
from interop.exports import Exporter
from interop.gis import check_geojson
from interop.seed import seed
from interop.sheets import check_csv, check_xlsx

NAMES = ("csv", "xlsx", "geojson", "open311")


def _setup(check: Check) -> None:
    for problem in install.ensure_system():
        check.expect(False, problem)
    check.note(f"locale {install.LOCALE}: {'yes' if install.has_locale() else 'no'}")


def run(work: Path, only: Sequence[str]) -> list[Check]:
    client: list[ModuleType] = []
    checks = [
        attempt("setup: LibreOffice, GDAL and the sv_SE.UTF-8 locale", _setup),
        attempt(
            f"setup: the Open311 client ({install.CLIENT}, from PyPI)",
            lambda c: client.append(install.client()),
        ),
    ]
    for check in checks:
        print("\n".join(check.lines()), flush=True)
    seeded = seed(work)
    exporter = Exporter(seeded)
    bodies = {
        "csv": (
            "1. CSV (default dialect) opened by LibreOffice Calc under sv_SE.UTF-8",
            lambda c: check_csv(c, exporter, work),
        ),
        "xlsx": (
            "2. XLSX opened by LibreOffice Calc under sv_SE.UTF-8",
            lambda c: check_xlsx(c, exporter, work),
        ),
        "geojson": (
            "3. GeoJSON read by GDAL (ogrinfo, ogr2ogr to GeoPackage)",
            lambda c: check_geojson(c, exporter, work),
        ),
        "open311": (
            "4. Open311 client against a live trygghetsbot api, XML and JSON",
            lambda c: check_open311(c, client[0], seeded, work),
        ),
    }
    for name in only:
        title, body = bodies[name]
        check = attempt(title, body)
        print("\n".join(check.lines()), flush=True)
        checks.append(check)
    return checks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m interop", description=__doc__)
    parser.add_argument(
        "--record", type=Path, help="write the run into this file (docs/interop.md)"
    )
    parser.add_argument("--keep", type=Path, help="keep the files in this folder")
    parser.add_argument("--only", action="append", choices=NAMES, help="run only these checks")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the seeding's warnings are not the checks'
    only = [name for name in NAMES if name in (args.only or NAMES)]
    if args.keep:
        shutil.rmtree(args.keep, ignore_errors=True)
        args.keep.mkdir(parents=True)
        checks = run(args.keep.resolve(), only)
    else:
        with tempfile.TemporaryDirectory(prefix="interop-") as tmp:
            checks = run(Path(tmp), only)
    print()
    for check in checks:
        print(check.lines()[0])
    failed = sum(not c.passed for c in checks)
    print(f"interop: {len(checks) - failed} passed, {failed} failed")
    if args.record:
        versions = install.versions()
        record.write(args.record, record.render(checks, versions, install.REPO))
        print(f"interop: run recorded in {args.record}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
