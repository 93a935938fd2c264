"""Export: `trygghetsbot export --format csv` against `sqlite3 -csv` on the same database.

The figure with a target measures the CSV as shipped, the default: for Swedish Excel (BOM,
';', Swedish headings, labels instead of codes, local times to the minute, decimal commas;
bot/services/export/excel.py). That is the file admins get, and the one with the most work
per row: a target met by it is met by the rest. `--dialect rfc4180` (codes and ISO times, the
form `sqlite3 -csv` is closest to, and the export's only form before issue 18) is run too,
with the processes as shipped, for information.

Both run as child processes on the same file and write a file next to it. The reference reads
the same rows in one SELECT (REFERENCE_SQL). Ours runs as shipped, two processes on a machine
with two cores or more (and with `--jobs 2` on one core, from PARALLEL_MIN_ROWS on), and again
with `--jobs 1`. Peak memory is the sum of the peaks of the export's processes. Run at two
sizes, 10x apart, for the cost growth: 5,000 and 50,000 rows in quick mode, 100,000 and a
million in the full run. Quick mode adds one `--jobs 2` export of CHECK_ROWS (100,000) rows,
for its correctness figures only.

Correctness figures, for each way of running it: every row written (the CSV's lines), the
number of processes that wrote it (two from PARALLEL_MIN_ROWS on, where asked), and the peak
memory under MEMORY_LIMIT_MB: a bound, not a speed, so it fails a quick run too. At 100,000
rows (both modes) this is what tests/test_export.py checked at that size before; the test
keeps the same checks on 5,000 rows, with the two processes forced.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bench.report import Figure, Kind, at_least, growth, info, must_be, skipped
from bot.domain.deployment import Deployment
from bot.domain.intake import TIMES
from bot.services.export import PARALLEL_MIN_ROWS, default_jobs
from storage import Database

log = logging.getLogger(__name__)

NAME = "export"
MEMORY_LIMIT_MB = 150
TARGET_ROWS = 1_000_000  # the size the speed target is set for
#: Quick mode's correctness check (`two_processes`): from here the CLI writes in two processes.
CHECK_ROWS = max(100_000, PARALLEL_MIN_ROWS)

#: The rows an export is made of, in one SELECT for `sqlite3 -csv`: the case columns, and a
#: subquery each for photos, supporters and the routed actors in routing order. Of the forms
#: tried this was the fastest for sqlite3 (joining grouped subqueries instead: 13.0 s against
#: 12.0 s for a million cases). The export itself reads the same rows in batches
#: (storage/export.py), which is faster from Python but not from the sqlite3 shell.
REFERENCE_SQL = """
SELECT c.reference, c.kind, c.station_id, c.category, c.status, c.created_at,
       c.acknowledged_at, c.resolved_at, c.times, c.lat, c.lon, c.place_text, c.description,
       (SELECT COUNT(*) FROM case_photos p WHERE p.case_id = c.id) AS photos,
       (SELECT COUNT(*) FROM case_supporters s WHERE s.case_id = c.id) AS supporters,
       c.commitment_id,
       (SELECT group_concat(actor_id, ';') FROM
            (SELECT actor_id FROM case_actors a WHERE a.case_id = c.id ORDER BY a.rowid)) AS actors,
       c.language, c.resident_id
FROM cases c ORDER BY c.id;
"""

#: Run in the child: the real CLI command (argv: out, then any options), then the peak resident
#: set size of its processes in kB and how many processes wrote the file, on stderr. VmHWM for
#: its own, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec,
#: so a big parent would show as a big export. Its forked workers' peaks come from
#: RUSAGE_CHILDREN, which gives the largest one: counted once per worker (a worker that ran
#: shows there; none did if it is 0). A worker's peak includes the pages it shares with the
#: parent, so the sum is on the high side.
CHILD = """\
import resource, sys
from bot.cli import main
from bot.services.export import default_jobs
code = main(["export", "--format", "csv", "--force", "--out", *sys.argv[1:]])
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
jobs = int(sys.argv[-1]) if "--jobs" in sys.argv else default_jobs()
workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("maxrss", peak + (jobs - 1) * workers if workers else peak, file=sys.stderr)
print("processes", jobs if workers else 1, file=sys.stderr)
sys.exit(code)
"""

_SENTENCES = (
    "Lamporna vid trappan upp till perrongen har varit trasiga i flera veckor.",
    "Det är mörkt i gångtunneln under spåren efter klockan nio på kvällen.",
    "Buskarna vid cykelparkeringen skymmer sikten mot busshållplatsen.",
    "Gruppen som samlas vid entrén på helgkvällarna gör att många går en omväg.",
    "Klotter på väggarna i väntsalen har inte tagits bort sedan i somras.",
    "Det ligger glas och skräp vid infarten till pendelparkeringen.",
    "Hissen till perrong två står ofta still och då finns ingen annan väg.",
    "Det saknas personal på stationen sent på kvällen och ingen svarar i porttelefonen.",
    "Skylten med tidtabellen är sönder och det är svårt att se när tåget går.",
    "+46 är inte en formel men börjar med plus, och det ska exporteras som text.",
    "=SUMMA(A1:A9) skrev någon i rutan, en cell som börjar som en formel.",
)
_PLACES = (
    "Vid trappan upp till perrong 1",
    "Gångtunneln mot centrum",
    "@perrongen, norra änden",
    "Cykelparkeringen bakom kiosken",
    "Busshållplats läge C",
    "-1 planet i parkeringshuset",
)
_STATUSES = ("new", "acknowledged", "in_progress", "resolved", "not_actionable")


@dataclass(frozen=True)
class Run:
    seconds: float
    lines: int
    peak_mb: float = 0.0
    processes: int = 1


def _iso(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


def _case_rows(
    count: int, deployment: Deployment, residents: int, rng: random.Random
) -> Iterator[tuple[object, ...]]:
    """Cases as the intake path writes them, spread over two years and six stations."""
    stations = deployment.stations
    categories = [c.id for c in deployment.categories]
    commitments = [c.id for p in deployment.promises for c in p.commitments]
    numbers = dict.fromkeys((s.id for s in stations), 0)
    start = 1_735_689_600.0  # 2025-01-01 UTC
    step = 2 * 365 * 86_400 / count
    for n in range(count):
        station = stations[n % len(stations)]
        numbers[station.id] += 1
        created = start + n * step + rng.random() * step
        status = rng.choice(_STATUSES)
        report = rng.random() < 0.8
        pinned = report and rng.random() < 0.5
        description = " ".join(rng.sample(_SENTENCES, 3))[:200]
        yield (
            n + 1,
            f"{station.code}-{numbers[station.id]:04d}",
            station.id,
            numbers[station.id],
            "report" if report else "idea",
            rng.choice(categories) if report else None,
            status,
            rng.randrange(1, residents + 1) if rng.random() < 0.9 else None,  # some erased
            rng.choice(_PLACES) if report else None,
            59.42 + rng.random() / 100 if pinned else None,
            17.83 + rng.random() / 100 if pinned else None,
            json.dumps(sorted(rng.sample(TIMES, rng.randint(1, 3)), key=TIMES.index)),
            description,
            rng.choice(("sv", "sv", "sv", "en", "fi", "ar")),
            _iso(created),
            _iso(created + 3600 * rng.random() * 48) if status != "new" else None,
            _iso(created + 86_400 * 7 * rng.random())
            if status in ("resolved", "not_actionable")
            else None,
            rng.choice(commitments) if rng.random() < 0.1 else None,
        )


def _actors_at(deployment: Deployment, station: str) -> list[str]:
    actors: list[str] = []
    for route in deployment.routing:
        if station in route.stations or "*" in route.stations:
            actors += [a for a in route.actors if a not in actors]
    return actors or ["polisen"]


def seed(path: Path, count: int, deployment: Deployment, seed_value: int = 7) -> None:
    """A migrated database with `count` cases and their photos, supporters and routed actors."""

    async def migrate() -> None:
        await (await Database.open(path)).close()

    asyncio.run(migrate())
    rng = random.Random(seed_value)
    residents = max(1, count // 4)
    now = "2025-01-01T00:00:00+00:00"
    routed = {s.id: _actors_at(deployment, s.id) for s in deployment.stations}
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA synchronous = OFF")
        with conn:
            conn.executemany(
                "INSERT INTO residents (id, chat_id, language, created_at, last_seen_at)"
                " VALUES (?, ?, 'sv', ?, ?)",
                ((i, 5_000_000 + i, now, now) for i in range(1, residents + 1)),
            )
            conn.executemany(
                "INSERT INTO cases (id, reference, station_id, number, kind, category, status,"
                " resident_id, place_text, lat, lon, times, description, language, created_at,"
                " acknowledged_at, resolved_at, commitment_id)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                _case_rows(count, deployment, residents, rng),
            )
            # One to three of the station's routed actors per case, in routing order.
            conn.execute("CREATE TEMP TABLE routed (station_id TEXT, position INT, actor TEXT)")
            conn.executemany(
                "INSERT INTO routed VALUES (?, ?, ?)",
                [(s, n, a) for s, actors in routed.items() for n, a in enumerate(actors)],
            )
            conn.execute(
                "INSERT INTO case_actors (case_id, actor_id) SELECT c.id, r.actor"
                " FROM cases c JOIN routed r ON r.station_id = c.station_id"
                " AND r.position <= c.id % 3 ORDER BY c.id, r.position"
            )
            conn.executemany(
                "INSERT INTO case_photos (case_id, path, created_at) VALUES (?, ?, ?)",
                (
                    (case_id, f"{case_id:08x}{k}.jpg", now)
                    for case_id in range(1, count + 1, 10)
                    for k in range(1 + case_id % 3)
                ),
            )
            conn.executemany(
                "INSERT OR IGNORE INTO case_supporters (case_id, resident_id, created_at)"
                " VALUES (?, ?, ?)",
                (
                    (case_id, rng.randrange(1, residents + 1), now)
                    for case_id in range(1, count + 1, 20)
                    for _ in range(1 + case_id % 4)
                ),
            )
    finally:
        conn.close()


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return lines


def run_ours(database: Path, out: Path, *options: str) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
    env |= {"TRYGG_DATABASE": str(database), "TRYGG_LOG_LEVEL": "WARNING"}
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(out), *options],
        capture_output=True,
        text=True,
        env=env,
        cwd=database.parent,  # no .env file of the developer's
        check=False,
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"trygghetsbot export failed: {result.stderr.strip()[-300:]}")
    peak_kb = int(result.stderr.split("maxrss")[-1].split()[0])
    processes = int(result.stderr.split("processes")[-1].split()[0])
    return Run(seconds, _count_lines(out), peak_kb / 1024, processes)


def run_reference(sqlite: str, database: Path, out: Path) -> Run:
    query = REFERENCE_SQL
    started = time.perf_counter()
    with out.open("wb") as handle:
        result = subprocess.run(
            [sqlite, "-readonly", "-csv", "-header", str(database), query],
            stdout=handle,
            stderr=subprocess.PIPE,
            check=False,
        )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"sqlite3 -csv failed: {result.stderr.decode()[-300:]}")
    return Run(seconds, _count_lines(out))


def checks(run: Run, count: int, mode: str, processes: int) -> list[Figure]:
    """The correctness figures of one export: every row, the processes, the memory bound."""
    size = f"{count:,} rows"
    return [
        must_be(NAME, f"CSV rows written, {mode}", size, run.lines - 1, count),
        must_be(NAME, f"processes that wrote it, {mode}", size, run.processes, processes),
        Figure(
            NAME,
            f"peak memory vs limit, {mode}",
            size,
            f"{run.peak_mb:.0f} MB",
            f"{MEMORY_LIMIT_MB} MB",
            run.peak_mb / MEMORY_LIMIT_MB,
            "< 1",
            run.peak_mb < MEMORY_LIMIT_MB,
            Kind.CORRECTNESS,  # a bound, not a speed: it fails a quick run too
        ),
    ]


def two_processes(count: int, deployment: Deployment, work: Path) -> list[Figure]:
    """Quick mode's check at the size where the CLI forks: `--jobs 2`, once, no timing."""
    database = work / f"export-{count}.sqlite3"
    seed(database, count, deployment)
    ours = run_ours(database, work / "ours.csv", "--jobs", "2")
    log.info("export (--jobs 2): %d rows, peak %.0f MB", count, ours.peak_mb)
    for path in work.iterdir():
        path.unlink()
    return checks(ours, count, "2 processes (--jobs 2)", 2)


def measure(
    count: int, deployment: Deployment, work: Path, sqlite: str | None, rounds: int
) -> tuple[list[Figure], float]:
    """Figures at one size, and our seconds per row as shipped (for the cost growth).

    The commands take turns, `rounds` times; each keeps its best time, the usual way to see
    through other load on the machine.
    """
    size = f"{count:,} rows"
    database = work / f"export-{count}.sqlite3"
    started = time.perf_counter()
    seed(database, count, deployment)
    log.info("export: seeded %d cases in %.1f s", count, time.perf_counter() - started)
    jobs = default_jobs()  # the CLI's, used from PARALLEL_MIN_ROWS on
    big = count >= PARALLEL_MIN_ROWS
    parallel = jobs > 1 and big
    #: Each way of running it, with its options and the processes that should write the file.
    modes: dict[str, tuple[tuple[str, ...], int]] = {
        f"{jobs} processes" if parallel else "1 process, as shipped": ((), jobs if big else 1),
        "1 process": (("--jobs", "1"), 1),
    }
    if big and not parallel:  # one core: the two-process export is still checked
        modes["2 processes (--jobs 2)"] = (("--jobs", "2"), 2)
    modes["rfc4180, as shipped"] = (("--dialect", "rfc4180"), jobs if big else 1)
    best: dict[str, Run] = {}
    ref: Run | None = None
    for _ in range(rounds):
        if sqlite is not None:
            got = run_reference(sqlite, database, work / "reference.csv")
            log.info("export: sqlite3 -csv %.2f s", got.seconds)
            ref = got if ref is None or got.seconds < ref.seconds else ref
        for mode, (options, _) in modes.items():
            mine = run_ours(database, work / "ours.csv", *options)
            log.info("export (%s): %.2f s, peak %.0f MB", mode, mine.seconds, mine.peak_mb)
            if mode not in best or mine.seconds < best[mode].seconds:
                best[mode] = mine
    figures: list[Figure] = []
    for n, (mode, ours) in enumerate(best.items()):
        shipped = n == 0
        figures += checks(ours, count, mode, modes[mode][1])
        if ref is None:
            figures.append(skipped(NAME, f"speed vs sqlite3 -csv, {mode}", size, "no sqlite3"))
            continue
        # The target is the issue's: at a million rows. At 100,000 the interpreter's start
        # (about 0.5 s) is half the reference's time, so that size is shown for information.
        judged = shipped and count >= TARGET_ROWS
        speed = (
            NAME,
            f"speed vs sqlite3 -csv, {mode}" + ("" if judged else " (information)"),
            size,
            f"{ours.seconds:.2f} s",
            f"{ref.seconds:.2f} s",
            ref.seconds / ours.seconds,
        )
        figures.append(at_least(*speed, 0.5) if judged else info(*speed))
    if ref is not None:
        figures.append(must_be(NAME, "sqlite3 -csv rows (same rows)", size, ref.lines - 1, count))
    for path in work.iterdir():
        path.unlink()
    return figures, next(iter(best.values())).seconds / count


def run(deployment: Deployment, quick: bool) -> list[Figure]:
    small, large = (5_000, 50_000) if quick else (100_000, 1_000_000)
    rounds = 1 if quick else 3
    sqlite = shutil.which("sqlite3")
    figures: list[Figure] = []
    costs: list[float] = []
    with tempfile.TemporaryDirectory(prefix="bench-export-") as tmp:
        for count in (small, large):
            at_size, cost = measure(count, deployment, Path(tmp), sqlite, rounds)
            figures += at_size
            costs.append(cost)
        if quick:  # the full run's small size is this one
            figures += two_processes(CHECK_ROWS, deployment, Path(tmp))
    figures.append(growth(NAME, "time per row", f"{small:,}", f"{large:,}", costs[1] / costs[0]))
    return figures
