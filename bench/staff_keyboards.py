"""The staff keyboards a deployment can make long, page by page, as the handlers build them
(issue 17, item 6): forwarding a case to another actor, an admin's commitments for
/uppdatera, and /export's stations. bench/national.py counts their largest page;
tests/test_staff_paging.py checks every page and that every item can be reached."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from bot.domain.access import may_export
from bot.domain.deployment import Deployment, Role, StaffMember
from bot.domain.exports import ExportChoice
from bot.domain.forwarding import forward_targets
from bot.handlers.admin import station_rows
from bot.handlers.common import Button
from bot.handlers.desk import forward_rows
from bot.handlers.updates import choice_rows
from bot.services.admin import ExportScope
from bot.services.updates import Updates, choices_for

Rows = list[list[Button]]
#: A reference of the longest kind the deployment's station codes make.
REFERENCE = "AAA-99999"


def key(name: str) -> str:
    """Labels do not matter for counting: the catalog key stands for its text."""
    return name


def pages(build: Callable[[int], Rows | None]) -> Iterator[Rows]:
    """Every page a builder makes, from the first until it says there is no such page."""
    number = 0
    while (rows := build(number)) is not None:
        yield rows
        number += 1


def buttons(rows: Rows) -> int:
    return sum(len(row) for row in rows)


def forward_pages(deployment: Deployment, station_id: str) -> Iterator[Rows]:
    """The forward list of a case at this station that no actor is on yet (the longest)."""
    near, far = forward_targets(deployment, station_id, ())
    yield from pages(lambda n: forward_rows(key, REFERENCE, near, far, n))


def update_pages(deployment: Deployment, member: StaffMember) -> Iterator[Rows]:
    """A staff member's commitments for /uppdatera."""
    choices = choices_for(deployment, member)
    own = sum(1 for c in choices if Updates.own(member, c))
    yield from pages(lambda n: choice_rows(key, choices, own, n))


def export_scope(deployment: Deployment, member: StaffMember) -> ExportScope:
    """What an admin may export, as bot.services.admin decides it (access.may_export)."""
    ids = [s.id for s in deployment.stations]
    return ExportScope([s for s in ids if may_export(member, s)], may_export(member, None))


def export_pages(deployment: Deployment, member: StaffMember) -> Iterator[Rows]:
    """An admin's stations to export."""
    ids = [s.id for s in deployment.stations]
    scope = export_scope(deployment, member)
    name = {s.id: s.name for s in deployment.stations}.__getitem__

    def encode(choice: ExportChoice) -> str:
        return choice.encode(ids)

    yield from pages(lambda n: station_rows(key, scope, name, encode, n))


def largest(deployment: Deployment) -> dict[str, int]:
    """Buttons on the largest page of each of the three lists, over the deployment's
    stations (forwarding) and admins (/uppdatera and /export)."""
    admins = [m for m in deployment.staff if m.role is Role.ADMIN]
    forward = max(
        buttons(rows) for s in deployment.stations for rows in forward_pages(deployment, s.id)
    )
    updates = max((buttons(r) for m in admins for r in update_pages(deployment, m)), default=0)
    export = max((buttons(r) for m in admins for r in export_pages(deployment, m)), default=0)
    return {
        "forward to actor": forward,
        "admin /uppdatera": updates,
        "admin /export station": export,
    }
