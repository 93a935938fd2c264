"""The monthly lägesbild of a station or a kommun (Lag 2023:196 § 4): a kartläggning (cases
per category and week, where, times of day, response times per actor, the promise's
commitments and progress, the trygghet trend, "ni sa, vi gjorde") and an analys section,
as a PDF (`trygghetsbot lagesbild`, the monthly mail to admins) and as a web page.

SKELETON (the lead's interface for the helpers): `Scope`, `Lagesbild`, `Lagesbilder.build`
and `Lagesbilder.pdf` keep these names and signatures; the fields of `Lagesbild` and the
bodies are filled in by the lägesbild work."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.deployment import Deployment
from bot.i18n import Catalogs
from storage.database import Database


@dataclass(frozen=True)
class Scope:
    """What a lägesbild covers: one station, or the stations of a kommun (or those of them
    that an admin works at)."""

    kind: str  # "station" or "kommun"
    name: str  # the station's or the kommun's name, as shown
    stations: tuple[str, ...]


def station_scope(deployment: Deployment, station_id: str) -> Scope | None:
    station = deployment.directory.stations.get(station_id)
    return None if station is None else Scope("station", station.name, (station.id,))


def kommun_scope(deployment: Deployment, name: str) -> Scope | None:
    """The kommun's stations (its name in any case); None: no station is in such a kommun."""
    found = [s for s in deployment.stations if s.kommun.casefold() == name.strip().casefold()]
    return Scope("kommun", found[0].kommun, tuple(s.id for s in found)) if found else None


@dataclass(frozen=True)
class Lagesbild:
    scope: Scope
    month: str  # YYYY-MM


class Lagesbilder:
    def __init__(self, deployment: Deployment, catalogs: Catalogs, db: Database) -> None:
        self.deployment = deployment
        self.catalogs = catalogs
        self.db = db

    async def build(self, scope: Scope, month: str) -> Lagesbild:
        """The month's lägesbild of `scope` (month: 'YYYY-MM')."""
        return Lagesbild(scope, month)

    def pdf(self, report: Lagesbild, lang: str = "sv") -> bytes:
        """The lägesbild as a PDF document."""
        from fpdf import FPDF

        doc = FPDF()
        doc.add_page()
        doc.set_font("helvetica", size=14)
        doc.cell(text=f"Lagesbild {report.scope.name} {report.month}")
        return bytes(doc.output())
