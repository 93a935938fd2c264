"""`python -m bench [--quick] [--only NAME] [--out docs/benchmarks.md]`: the benchmarks.

Every performance figure is a ratio against a reference measured in the same run. Full mode
exits 1 when any target is missed; quick mode (CI) exits 1 only on a correctness failure
(429s, duplicates, lost messages, wrong row counts, a crash), so that a noisy CI machine
cannot fail the build on speed while the harness itself cannot rot.

The correctness figures (kind CORRECTNESS; they fail both modes), per benchmark:
- export: at each size and way of running it (as shipped, `--jobs 1`; in quick mode also
  `--jobs 2` at 100,000 rows, where the CLI forks), every row in the CSV, the number of
  processes that wrote it, peak memory under 150 MB; sqlite3's reference has the same rows.
- broadcast: at each rate and size, no 429, no duplicate, no follower left out. The restart
  check (1,000 followers at 200/s in quick mode; 3,000 and 10,000 in the full run) stops the
  bot a third of the way through and starts a new one: the update queued to every follower,
  the restart in the middle, no 429, at most 200 messages in any one second, every follower
  once except one who blocked the bot (none, and the chat marked inactive), nothing pending.
  With residents writing meanwhile (bench/burst.py's Writers, in the 30/s broadcast to the
  most followers): every resident finished their report (quick: their errand).
- burst: N new residents sending /start at once (50 in quick mode; 200 and 2,000): no 429,
  every resident answered, none twice.
- storage: none (speed only).
- intake: every simulated resident completes a report (the echo bot's finish too), and both
  processors complete every report.
- national: the generated national deployment passes check-config; the bot starts with it
  and answers /start.
- any benchmark that raises: "benchmark finished" fails.
The scale tests that used to run in pytest (3,000 followers with a restart, a 100,000-row
export under its memory bound) are these checks; tests/ keeps small versions of them.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from bench import broadcast, burst, export, intake, national, store
from bench.report import (
    Figure,
    Kind,
    crashed,
    machine,
    now,
    results_block,
    text_table,
    update_document,
)
from bot.config import load_deployment
from bot.domain.deployment import Deployment
from bot.logs import configure_logging
from bot.settings import bundled_deployment_path

Benchmark = Callable[[Deployment, bool], list[Figure]]

#: In the order they run (and the order of the work: export first).
BENCHMARKS: dict[str, Benchmark] = {
    "export": export.run,
    "broadcast": broadcast.run,
    "burst": burst.run,
    "storage": store.run,
    "intake": intake.run,
    "national": national.run,
}

log = logging.getLogger("bench")


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for CI (< 2 min)")
    parser.add_argument(
        "--only",
        action="append",
        choices=list(BENCHMARKS),
        metavar="NAME",
        help=f"run only this benchmark (repeatable): {', '.join(BENCHMARKS)}",
    )
    parser.add_argument("--out", type=Path, help="also write the results as Markdown here")
    parser.add_argument("--log-level", default="INFO", help="progress on stderr (default INFO)")
    return parser.parse_args(argv)


def failed(figures: Sequence[Figure], quick: bool) -> list[Figure]:
    """The figures that fail the run: correctness always, performance in full mode."""
    return [f for f in figures if f.passed is False and (f.kind is Kind.CORRECTNESS or not quick)]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse(argv)
    # The benchmarks set everything they need; nothing from the developer's environment.
    for name in [n for n in os.environ if n.startswith("TRYGG_")]:
        del os.environ[name]
    os.environ["PTB_TIMEDELTA"] = "true"
    configure_logging("WARNING", [])  # the bot's own start-up lines, hundreds of times: no
    log.setLevel(args.log_level.upper())
    logging.getLogger("bot.services.desk").setLevel(logging.ERROR)  # "no SMTP host" on every start
    deployment = load_deployment(bundled_deployment_path())
    command = "python -m bench" + "".join(f" {a}" for a in (argv or sys.argv[1:]))
    started_at = now()
    figures: list[Figure] = []
    durations: dict[str, float] = {}
    for name in args.only or list(BENCHMARKS):
        log.info("%s: starting (%s)", name, "quick" if args.quick else "full")
        started = time.perf_counter()
        try:
            figures += BENCHMARKS[name](deployment, args.quick)
        except Exception as exc:
            log.exception("%s: failed", name)
            figures.append(crashed(name, f"{type(exc).__name__}: {exc}"))
        durations[name] = time.perf_counter() - started
        log.info("%s: done in %.0f s", name, durations[name])
    bad = failed(figures, args.quick)
    total = sum(durations.values())
    lines = [
        text_table(figures),
        "",
        "Durations: "
        + ", ".join(f"{n} {s:.0f} s" for n, s in durations.items())
        + f"; total {total:.0f} s",
        f"{'Quick' if args.quick else 'Full'} run: "
        + (f"{len(bad)} failing figure(s)" if bad else "no failing figure")
        + (" (speed does not fail a quick run)" if args.quick else ""),
    ]
    print("\n".join(lines))  # noqa: T201 - the table is the program's output
    if args.out is not None:
        block = results_block(
            figures,
            command=command,
            started_at=started_at,
            machine=machine(),
            durations=durations,
            quick=args.quick,
        )
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else None
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(update_document(old, block, args.quick), encoding="utf-8")
        log.info("Results written to %s", args.out)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
