"""Table-driven: routing (station x category -> recipients) and the case lifecycle."""

from __future__ import annotations

import pytest

from bot.domain.deployment import Deployment
from bot.domain.lifecycle import TRANSITIONS, Action, IllegalTransition, Status, apply
from bot.domain.models import CaseKind
from bot.domain.routing import group_chat, pick_staff, route

REPORT, IDEA = CaseKind.REPORT, CaseKind.IDEA


@pytest.mark.parametrize(
    ("station", "kind", "category", "actors"),
    [
        ("jakobsberg", REPORT, "belysning", ["polisen-jarfalla", "jarfalla-kommun"]),
        ("jakobsberg", REPORT, "perrong", ["polisen-jarfalla", "trafikverket"]),
        ("jakobsberg", REPORT, "passage", ["polisen-jarfalla", "jarfalla-kommun", "trafikverket"]),
        ("jakobsberg", REPORT, "ordning", ["polisen-jarfalla"]),
        ("jakobsberg", IDEA, None, ["polisen-jarfalla"]),
        ("floda", REPORT, "belysning", ["polisen-alingsas", "lerum-kommun"]),
        ("lerum", REPORT, "narvaro", ["polisen-alingsas", "lerum-kommun", "vasttrafik"]),
        (
            "herrljunga",
            REPORT,
            "klotter",
            ["polisen-alingsas", "herrljunga-kommun", "trafikverket"],
        ),
        ("vargarda", REPORT, "perrong", ["polisen-alingsas", "trafikverket"]),
        ("alingsas", REPORT, "annat", ["polisen-alingsas"]),
        ("alingsas", IDEA, None, ["polisen-alingsas"]),
    ],
)
def test_route(
    deployment: Deployment, station: str, kind: CaseKind, category: str | None, actors: list[str]
) -> None:
    assert route(deployment, station, kind, category) == actors


@pytest.mark.parametrize(
    ("station", "category", "staff_ids"),
    [
        ("jakobsberg", "belysning", {100000001, 100000002}),  # kommunpolis + kommun partner
        ("jakobsberg", "perrong", {100000001}),  # Trafikverket has no staff at Jakobsberg
        ("floda", "narvaro", {100000003, 100000004}),  # kommunpolis + Västtrafik
        ("floda", "belysning", {100000003}),
        ("alingsas", "perrong", {100000003, None}),  # + Trafikverket by e-mail only
    ],
)
def test_staff_who_get_the_card(
    deployment: Deployment, station: str, category: str, staff_ids: set[int | None]
) -> None:
    actors = route(deployment, station, REPORT, category)
    chosen = pick_staff(deployment.staff, station, actors)
    assert {s.telegram_id for s in chosen} == staff_ids
    assert all(s.role.value != "admin" for s in chosen)


def test_group_chat_only_for_reports(deployment: Deployment) -> None:
    station = deployment.stations[0].model_copy(update={"group_chat_id": -100123})
    dep = deployment.model_copy(update={"stations": [station, *deployment.stations[1:]]})
    assert group_chat(dep, station.id, REPORT) == -100123
    assert group_chat(dep, station.id, IDEA) is None


LEGAL = {
    (Status.NEW, Action.ACKNOWLEDGE): Status.ACKNOWLEDGED,
    (Status.NEW, Action.START): Status.IN_PROGRESS,
    (Status.NEW, Action.REJECT): Status.NOT_ACTIONABLE,
    (Status.NEW, Action.FORWARD): Status.NEW,
    (Status.NEW, Action.ASK): Status.NEW,
    (Status.NEW, Action.LINK): Status.NEW,
    (Status.ACKNOWLEDGED, Action.START): Status.IN_PROGRESS,
    (Status.ACKNOWLEDGED, Action.RESOLVE): Status.RESOLVED,
    (Status.ACKNOWLEDGED, Action.REJECT): Status.NOT_ACTIONABLE,
    (Status.ACKNOWLEDGED, Action.FORWARD): Status.ACKNOWLEDGED,
    (Status.ACKNOWLEDGED, Action.ASK): Status.ACKNOWLEDGED,
    (Status.ACKNOWLEDGED, Action.LINK): Status.ACKNOWLEDGED,
    (Status.IN_PROGRESS, Action.RESOLVE): Status.RESOLVED,
    (Status.IN_PROGRESS, Action.REJECT): Status.NOT_ACTIONABLE,
    (Status.IN_PROGRESS, Action.FORWARD): Status.IN_PROGRESS,
    (Status.IN_PROGRESS, Action.ASK): Status.IN_PROGRESS,
    (Status.IN_PROGRESS, Action.LINK): Status.IN_PROGRESS,
    (Status.RESOLVED, Action.REOPEN): Status.IN_PROGRESS,
    (Status.RESOLVED, Action.LINK): Status.RESOLVED,
    (Status.NOT_ACTIONABLE, Action.REOPEN): Status.IN_PROGRESS,
    (Status.NOT_ACTIONABLE, Action.LINK): Status.NOT_ACTIONABLE,
}


@pytest.mark.parametrize(("status", "action"), [(s, a) for s in Status for a in Action])
def test_every_transition(status: Status, action: Action) -> None:
    expected = LEGAL.get((status, action))
    if expected is None:
        with pytest.raises(IllegalTransition):
            apply(status, action)
    else:
        assert apply(status, action) is expected


def test_table_has_nothing_untested() -> None:
    assert TRANSITIONS == LEGAL
