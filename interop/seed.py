"""A small database of cases written the way the bot writes them (Services, as the tests do).

The texts carry what breaks files: å ä ö, a `;`, a double quote, a line break, a text that
looks like a formula, and a decimal number. Some cases are acknowledged or closed by the
placeholder kommunpolis of the bundled deployment file, so the Open311 API publishes them.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from pathlib import Path

from bot.config import load_deployment
from bot.domain.intake import Draft
from bot.domain.lifecycle import Action
from bot.i18n import Catalogs, available_languages
from bot.services import Services
from bot.settings import Settings, bundled_deployment_path

REPO = Path(__file__).resolve().parent.parent
#: The placeholder kommunpolis of floda (Alingsås LPO) and of jakobsberg (Järfälla).
POLIS_FLODA = 100000003
POLIS_JAKOBSBERG = 100000001

#: A cell with every character a CSV reader must get right.
TRICKY = 'Lampan vid cykelstället är trasig; det är "kolsvart" på kvällen.\nGäller även trappan.'
#: Starts like a spreadsheet formula: it must stay text.
FORMULA = "=SUMMA(A1:A3) stod det på skylten vid hissen"
RESOLUTION = "Lampan är bytt och trappan har fått ny belysning."


@dataclass(frozen=True)
class Seeded:
    database: Path
    media: Path
    #: reference -> description, of every case
    cases: dict[str, str]
    #: the references the Open311 API publishes (taken in by an officer, not set aside)
    published: frozenset[str]
    tricky: str  # the reference of the case whose description is TRICKY
    formula: str  # the reference of the case whose description is FORMULA


def subprocess_env(seeded: Seeded) -> dict[str, str]:
    """The environment for a `trygghetsbot` child: no developer TRYGG_ setting, this data."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRYGG_")}
    return env | {
        # This checkout's code, whatever checkout the environment's editable install names.
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [env.get("PYTHONPATH")])]),
        "TRYGG_DATABASE": str(seeded.database),
        "TRYGG_MEDIA_DIR": str(seeded.media),
        "TRYGG_LOG_LEVEL": "INFO",
        "PTB_TIMEDELTA": "true",
    }


def report(
    station: str,
    category: str,
    description: str,
    *,
    place: str | None = None,
    pin: tuple[float, float] | None = None,
    times: list[str] | None = None,
) -> Draft:
    """A resident's report as the bot's intake writes it: at night unless `times` says."""
    lat, lon = pin if pin else (None, None)
    return Draft(
        kind="report",
        station=station,
        category=category,
        place_text=place,
        lat=lat,
        lon=lon,
        times=times or ["night"],
        description=description,
    )


async def _seed(work: Path) -> Seeded:
    deployment = load_deployment(bundled_deployment_path())
    catalogs = Catalogs.load(available_languages())
    settings = Settings(database=work / "interop.sqlite3", media_dir=work / "media")
    services = await Services.open(settings, deployment, catalogs)
    drafts = {
        "tricky": (
            1,
            report(
                "floda",
                "belysning",
                TRICKY,
                place="Trappan upp till perrongen",
                pin=(57.80974, 12.36142),
                times=["evening", "night"],
            ),
        ),
        "formula": (2, report("jakobsberg", "perrong", FORMULA, pin=(59.42412, 17.83307))),
        "idea": (
            1,
            Draft(kind="idea", station="floda", description="Fler bänkar på perrongen, tack."),
        ),
        "klotter": (
            3,
            report(
                "jakobsberg",
                "klotter",
                "Klotter på väggarna i gångtunneln, både färg och ristningar.",
                place="Gångtunneln; norra änden",
                pin=(59.42301, 17.83155),
                times=["morning"],
            ),
        ),
        "new": (
            2,
            report(
                "jakobsberg",
                "belysning",
                "Ingen har tagit emot den här än: den visas inte i Open311.",
                place="Busshållplats läge C",
            ),
        ),
        "rejected": (
            3,
            report(
                "floda",
                "annat",
                "Något som inte hör hit, ärendet läggs åt sidan.",
                place="Perrongen",
                times=["day"],
            ),
        ),
    }
    try:
        refs: dict[str, str] = {}
        cases: dict[str, str] = {}
        for name, (chat, draft) in drafts.items():
            case = await services.submit(chat, draft, "sv")
            refs[name] = case.reference
            cases[case.reference] = draft.description or ""
        floda = await services.desk.member(POLIS_FLODA)
        jakobsberg = await services.desk.member(POLIS_JAKOBSBERG)
        await services.desk.act(floda, refs["tricky"], Action.ACKNOWLEDGE)
        await services.desk.act(floda, refs["tricky"], Action.RESOLVE, RESOLUTION)
        await services.desk.act(floda, refs["idea"], Action.ACKNOWLEDGE)
        await services.desk.act(floda, refs["rejected"], Action.REJECT, "Inte för oss.")
        for name in ("formula", "klotter"):
            await services.desk.act(jakobsberg, refs[name], Action.ACKNOWLEDGE)
        await services.desk.act(jakobsberg, refs["klotter"], Action.START)
    finally:
        await services.close()
    published = frozenset(refs[n] for n in ("tricky", "formula", "idea", "klotter"))
    return Seeded(
        settings.database,
        settings.media_dir,
        cases,
        published,
        refs["tricky"],
        refs["formula"],
    )


def seed(work: Path) -> Seeded:
    return asyncio.run(_seed(work))
