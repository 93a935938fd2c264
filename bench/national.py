"""National scale (issue 17, item 6): one bot for all of Sweden, on a generated deployment
(bench/national_deployment.py: 290 kommuner, 600 stations, 3,000 staff, 300 promises; in
quick mode the same proportions at 60 stations).

- check-config: `trygghetsbot check-config FILE` as an operator runs it (a new process),
  target under 5 s; the reference is the same command on the bundled 6-station file.
- start-up: build_application, initialize, post_init (database, staff synced from the file,
  the outbox worker) and start, against the in-process emulator, target under 5 s; the
  reference is the generated 6-station file. The start-up check of staff chats is off (it
  runs in the background and does not delay start-up). Correctness: the bot started and
  answered /start.
- routing per update: `route` and `pick_staff` for a new report (who gets the case), the
  cost per call in the 600-station file over the cost in the 6-station file, for reports
  at 6 of its stations (the same work: the file's size must not add to it); target at most
  2. For information, reports at every station in turn: the same work per report, but 600
  stations' entries no longer stay in the CPU's caches (the 6-station file's do), which
  made 5 µs into 15 µs (×3.2) in the run of 2026-12-02. tests/test_directory.py counts
  what a report reads: none of the deployment's lists, at 6 and at 600 stations.
- station menu per update: a resident's press of "home station" (the station chooser's
  first keyboard: letters, or at 6 stations the stations) and of the page of the kommun with
  the most stations, in turn, through the real bot, emulator included: CPU time per update
  (the process's, as bot and emulator share it) at 600 stations over 6; target at most 2.
- station buttons: the most station buttons the chooser shows in one keyboard (the real bot's
  pages, and every page of it as bot/handlers/chooser renders it); target at most 20.
- keyboards: the largest keyboard the deployment file can make (station menus, a name
  search's matches, categories, forwarding to another actor, an admin's commitments to
  update, an admin's export stations); Telegram refuses more than 100 buttons.
The last four are speed/size figures: they fail a full run only.
"""

from __future__ import annotations

import asyncio
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench import staff_keyboards
from bench.emulator import bench_settings
from bench.national_deployment import generate, sized
from bench.report import Figure, at_most, holds, info
from bot.app import ALLOWED_UPDATES, build_application
from bot.config import parse_deployment
from bot.domain import callbacks
from bot.domain.deployment import Deployment
from bot.domain.models import CaseKind
from bot.domain.routing import pick_staff, route
from bot.domain.stations import SEARCH_MAX, StationIndex, View
from bot.emulator import Emulator
from bot.emulator.inprocess import EmulatorRequest, InProcessBot
from bot.handlers.chooser import PICK, chooser_rows
from bot.handlers.start import FOLLOWED_PAGE
from bot.settings import bundled_deployment_path

log = logging.getLogger(__name__)

NAME = "national"
SMALL = 6
MAX_SECONDS = 5.0
MAX_STATION_BUTTONS = 20
TELEGRAM_MAX_BUTTONS = 100
MENU_PRESSES = 20  # under the resident's 30 messages a minute, with /start
RESIDENT = 40_000_001


def check_config_seconds(path: Path) -> tuple[float, int]:
    """Seconds and exit status of `trygghetsbot check-config path` in a new process."""
    command = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
    started = time.perf_counter()
    done = subprocess.run(
        [*command, "check-config", str(path)], capture_output=True, text=True, check=False
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        log.warning("national: check-config %s: %s", path, done.stderr[-500:])
    return seconds, done.returncode


async def start_and_menu(deployment: Deployment, presses: int) -> tuple[float, bool, float, int]:
    """Start-up seconds; whether /start was answered; CPU seconds per station-chooser update
    (a press of "home station", then of the kommun with the most stations, in turn); the
    most station buttons these showed."""
    index = StationIndex(deployment.stations)
    kommun = max(index.kommuner.values(), key=lambda k: len(k.stations))
    page = callbacks.menu(PICK, f"home.{View('S', kommun.key).code}")
    async with Emulator() as emulator:
        world = emulator.world
        world.user(RESIDENT, "Invånare")
        with tempfile.TemporaryDirectory(prefix="bench-national-") as tmp:
            settings = bench_settings(
                emulator.token, emulator.base_url, emulator.file_url, Path(tmp)
            )
            started = time.perf_counter()
            request = EmulatorRequest(world, emulator.token)
            app = build_application(settings, deployment, request=request)
            async with InProcessBot(app, world, list(ALLOWED_UPDATES), wait_outbox=False):
                startup = time.perf_counter() - started
                world.send_text(RESIDENT, "/start")
                await world.wait_idle(timeout=30)
                answered = bool(world.received(RESIDENT))
                if not answered:
                    return startup, False, 0.0, 0
                anchor = world.received(RESIDENT)[-1].id
                times, buttons = [], 0
                for n in range(presses):
                    opening = n % 2 == 0  # the menu's first keyboard, then a kommun's page
                    shown = len(world.received(RESIDENT))
                    data = callbacks.menu("homes") if opening else page
                    began = time.process_time()  # CPU: the in-process drain's waits are not
                    world.press(RESIDENT, anchor, data, forge=True)
                    await world.wait_idle(timeout=30)
                    times.append(time.process_time() - began)
                    if opening and len(world.received(RESIDENT)) <= shown:
                        raise RuntimeError("the bot did not show the home-station menu")
                    if opening:
                        anchor = world.received(RESIDENT)[-1].id
                    elif len(world.received(RESIDENT)) != shown:  # a page turns in place
                        raise RuntimeError("the bot refused the home-station menu's page")
                    message = world.received(RESIDENT)[-1]
                    buttons = max(buttons, sum(1 for b in message.inline_buttons if is_home(b)))
    return startup, answered, statistics.median(times), buttons


def is_home(button: dict[str, object]) -> bool:
    """A station's button in the home-station menu."""
    cb = callbacks.parse(str(button.get("callback_data", "")))
    return cb is not None and cb.action == "home"


def chooser_sizes(deployment: Deployment, nav: int) -> tuple[int, int]:
    """The most station buttons, and the most buttons, in any keyboard of the station
    chooser (every letter, kommun and page), as bot/handlers/chooser renders it; `nav`:
    the step's own buttons under it (the intake's back and cancel)."""
    index = StationIndex(deployment.stations)
    todo: list[View | None] = [None]
    seen: set[View] = set()
    most_stations = most = 0
    while todo:
        rows = chooser_rows(index, todo.pop(), str, ("home", callbacks.MENU), str)
        data = [callbacks.parse(d) for row in rows for _, d in row]
        most = max(most, len(data) + nav)
        most_stations = max(most_stations, sum(1 for cb in data if cb and cb.action == "home"))
        for _, code in (b for row in rows for b in row):
            view = index.parse(code)
            if view is not None and view not in seen:
                seen.add(view)
                todo.append(view)
    return most_stations, most


def routing_seconds(deployment: Deployment, calls: int, spread: int | None = None) -> float:
    """Seconds per new report's routing: the actors, then the staff who get the card, for
    reports at the first `spread` stations (all of them when None)."""
    stations = [s.id for s in deployment.stations][:spread]
    categories = [c.id for c in deployment.categories]
    route(deployment, stations[0], CaseKind.REPORT, categories[0])  # warm
    started = time.perf_counter()
    for n in range(calls):
        station = stations[(n * 7919) % len(stations)]
        actors = route(deployment, station, CaseKind.REPORT, categories[n % len(categories)])
        pick_staff(deployment.staff_at(station), station, actors)  # as submit: the station's staff
    return (time.perf_counter() - started) / calls


def largest_keyboards(deployment: Deployment) -> dict[str, int]:
    """Buttons in the largest keyboard of each kind that the deployment file can make, as
    the handlers build them (bot/handlers)."""
    stations = deployment.stations
    index = StationIndex(stations)
    queries = {s.name[:n] for s in stations for n in (1, 2)} | {s.kommun for s in stations}
    search = min(SEARCH_MAX, max(len(index.match(q)) for q in queries))
    return {
        "station menu": chooser_sizes(deployment, 0)[1],
        "intake station step": chooser_sizes(deployment, 2)[1],  # with back and cancel
        "station name search": search + 1,
        "categories": len(deployment.categories) + 2,
        # their largest page, as bot/handlers build them (bench/staff_keyboards.py)
        **staff_keyboards.largest(deployment),
        "/prenumerationer": min(len(stations), FOLLOWED_PAGE) + 2,  # a page, its turns
    }


async def measure(
    deployment: Deployment, presses: int
) -> tuple[float, bool, float, int, float, float]:
    startup, answered, menu, buttons = await start_and_menu(deployment, presses)
    same = routing_seconds(deployment, 2_000, SMALL)  # as many stations as the small file
    routing = routing_seconds(deployment, 2_000)
    return startup, answered, menu, buttons, same, routing


def seconds_figure(name: str, size: str, seconds: float, reference: float) -> Figure:
    return Figure(
        NAME,
        name,
        size,
        f"{seconds:.2f} s",
        f"{reference:.2f} s",
        seconds / reference,
        f"≤ {MAX_SECONDS:g} s",
        seconds <= MAX_SECONDS,
    )


async def _run(quick: bool) -> list[Figure]:
    large = sized(60 if quick else 600)
    size = f"{large.stations} stations"
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory(prefix="bench-national-file-") as tmp:
        path = Path(tmp) / "national.toml"
        path.write_text(generate(large), encoding="utf-8")
        national = parse_deployment(path.read_text(encoding="utf-8"), str(path))
        small = parse_deployment(generate(sized(SMALL)), "small.toml")
        ours, status = check_config_seconds(path)
        reference, _ = check_config_seconds(bundled_deployment_path())
    log.info("national: check-config %.2f s (bundled %.2f s)", ours, reference)
    figures.append(
        holds(
            NAME,
            "generated file passes check-config",
            size,
            f"exit {status}",
            "exit 0",
            status == 0,
        )
    )
    figures.append(seconds_figure("check-config time", size, ours, reference))

    s_start, s_ok, s_menu, s_buttons, s_routing, _ = await measure(small, MENU_PRESSES)
    n_start, n_ok, n_menu, n_buttons, n_same, n_routing = await measure(national, MENU_PRESSES)
    walked, in_all = chooser_sizes(national, 0)  # every page, not only those the bot showed
    n_buttons = max(n_buttons, walked)
    log.info(
        "national: start-up %.2f s vs %.2f s; menu %.1f vs %.1f ms; routing %.0f vs %.0f µs",
        n_start,
        s_start,
        n_menu * 1e3,
        s_menu * 1e3,
        n_routing * 1e6,
        s_routing * 1e6,
    )
    both = f"{SMALL} → {large.stations} stations"
    figures += [
        holds(
            NAME,
            "bot starts and answers /start",
            size,
            "yes" if n_ok and s_ok else "no",
            "yes",
            n_ok and s_ok,
        ),
        seconds_figure("start-up (build + post_init)", size, n_start, s_start),
        at_most(
            NAME,
            "routing per report, at 6 of the stations",
            both,
            f"{n_same * 1e6:.0f} µs",
            f"{s_routing * 1e6:.0f} µs",
            n_same / s_routing,
            2,
        ),
        info(
            NAME,
            "routing per report, every station in turn",
            both,
            f"{n_routing * 1e6:.0f} µs",
            f"{s_routing * 1e6:.0f} µs",
            n_routing / s_routing,
        ),
        at_most(
            NAME,
            "station menu per update",
            both,
            f"{n_menu * 1e3:.1f} ms",
            f"{s_menu * 1e3:.1f} ms",
            n_menu / s_menu,
            2,
        ),
    ]
    figures.append(
        Figure(
            NAME,
            "station buttons in a station menu",
            size,
            f"{n_buttons} ({in_all} buttons in all)",
            f"{s_buttons} at {SMALL} stations",
            None,
            f"≤ {MAX_STATION_BUTTONS}",
            n_buttons <= MAX_STATION_BUTTONS,
        )
    )
    keyboards = largest_keyboards(national)
    for kind, count in keyboards.items():
        log.info("national: largest %s keyboard: %d buttons", kind, count)
    over = [kind for kind, count in keyboards.items() if count > TELEGRAM_MAX_BUTTONS]
    kind, count = max(keyboards.items(), key=lambda item: item[1])
    figures.append(
        Figure(
            NAME,
            "largest keyboard from the file",
            size,
            f"{count} ({kind})",
            f"{len(over)} of {len(keyboards)} kinds over 100",
            None,
            f"≤ {TELEGRAM_MAX_BUTTONS}",
            not over,
        )
    )
    return figures


def run(deployment: Deployment, quick: bool) -> list[Figure]:
    """`deployment` (the bundled file) is not used: this benchmark makes its own."""
    del deployment
    return asyncio.run(_run(quick))


__all__: Sequence[str] = ("run",)
