"""The access policy as one table: every kind of member against every kind of question.

Each row names who may; everyone else may not. Loosening any rule (a partner of another
actor, a kommunpolis of another station, a station admin exporting every station at once)
flips a cell of this table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import cast

import pytest
from telegram import Chat, Message, Update, User

from bot.context import AppContext
from bot.domain import access
from bot.domain.deployment import Role
from bot.domain.models import Staff
from bot.handlers.access import member_of, staff_member


@dataclass(frozen=True)
class M:
    role: str
    actor_id: str
    stations: tuple[str, ...]
    source: str = "invite"
    id: int = 0


MEMBERS = {
    "national admin": M(Role.ADMIN, "drift", (), "deployment", 1),
    "station admin": M(Role.ADMIN, "drift", ("jakobsberg", "barkarby"), "invite", 2),
    "kommunpolis": M(Role.KOMMUNPOLIS, "polisen-jarfalla", ("jakobsberg",), "deployment", 3),
    "kommunpolis elsewhere": M(Role.KOMMUNPOLIS, "polisen-alingsas", ("floda",), "deployment", 4),
    "partner": M(Role.PARTNER, "jarfalla-kommun", ("jakobsberg",), "invite", 5),
    "partner of another actor": M(Role.PARTNER, "vasttrafik", ("jakobsberg",), "invite", 6),
    "partner elsewhere": M(Role.PARTNER, "jarfalla-kommun", ("floda",), "invite", 7),
}

Check = Callable[[M], bool]

#: question -> (the check, who may). A case "at jakobsberg for jarfalla-kommun" is a report
#: there that the routing gave to jarfalla-kommun (and the station's kommunpolis).
TABLE: dict[str, tuple[Check, set[str]]] = {
    "open a case at jakobsberg for jarfalla-kommun": (
        lambda m: access.may_open(m, "jakobsberg", ["polisen-jarfalla", "jarfalla-kommun"]),
        {"national admin", "station admin", "kommunpolis", "partner"},
    ),
    "open a case at floda for jarfalla-kommun": (
        lambda m: access.may_open(m, "floda", ["polisen-alingsas", "jarfalla-kommun"]),
        {"national admin", "kommunpolis elsewhere", "partner elsewhere"},
    ),
    "open a case at jakobsberg forwarded to vasttrafik": (
        lambda m: access.may_open(m, "jakobsberg", ["polisen-jarfalla", "vasttrafik"]),
        {"national admin", "station admin", "kommunpolis", "partner of another actor"},
    ),
    "get the card of a case at jakobsberg for jarfalla-kommun": (
        lambda m: access.receives_card(m, "jakobsberg", ["polisen-jarfalla", "jarfalla-kommun"]),
        {"kommunpolis", "partner"},  # admins hear of a case only when it is escalated
    ),
    "hear of an unacknowledged case at jakobsberg": (
        lambda m: access.hears_escalation(m, "jakobsberg", ["polisen-jarfalla"]),
        {"national admin", "station admin"},
    ),
    "hear of an unacknowledged case at floda": (
        lambda m: access.hears_escalation(m, "floda", ["polisen-alingsas"]),
        {"national admin"},
    ),
    "hear an admin alert about jakobsberg": (
        lambda m: access.hears_admin_alerts(m, ["jakobsberg"]),
        {"national admin", "station admin"},
    ),
    "hear an admin alert about floda": (
        lambda m: access.hears_admin_alerts(m, ["floda"]),
        {"national admin"},
    ),
    "be the kommunpolis of jakobsberg": (
        lambda m: access.is_kommunpolis_at(m, "jakobsberg"),
        {"kommunpolis"},
    ),
    "see statistics": (
        access.may_see_stats,
        {"national admin", "station admin", "kommunpolis", "kommunpolis elsewhere"},
    ),
    "list the staff": (
        access.may_list_staff,
        {"national admin", "station admin", "kommunpolis", "kommunpolis elsewhere"},
    ),
    "start an export": (access.may_start_export, {"national admin", "station admin"}),
    "export every station at once": (
        lambda m: access.may_export(m, None),
        {"national admin"},
    ),
    "export jakobsberg": (
        lambda m: access.may_export(m, "jakobsberg"),
        {"national admin", "station admin"},
    ),
    "export floda": (lambda m: access.may_export(m, "floda"), {"national admin"}),
    "update a commitment of jarfalla-kommun at jakobsberg": (
        lambda m: access.may_report_on(m, ["jakobsberg", "barkarby"], ["jarfalla-kommun"]),
        {"national admin", "station admin", "kommunpolis", "partner"},
    ),
    "update a commitment of polisen-alingsas at floda": (
        lambda m: access.may_report_on(m, ["floda"], ["polisen-alingsas"]),
        {"national admin", "kommunpolis elsewhere"},
    ),
    "invite a partner of drift at jakobsberg": (
        lambda m: access.may_grant(m, Role.PARTNER, "drift", ["jakobsberg"]),
        {"national admin", "station admin"},
    ),
    "invite a partner of jarfalla-kommun at jakobsberg": (
        lambda m: access.may_grant(m, Role.PARTNER, "jarfalla-kommun", ["jakobsberg"]),
        {"national admin"},  # a station admin only for their own actor
    ),
    "invite an admin of every station": (
        lambda m: access.may_grant(m, Role.ADMIN, "drift", []),
        {"national admin"},
    ),
    "revoke the invited partner": (
        lambda m: access.may_revoke(m, MEMBERS["partner"]),
        {"national admin"},
    ),
    "act in jakobsberg's group chat": (
        lambda m: bool(access.stations_in_group(m.role, m.stations, ("jakobsberg",))),
        {"national admin", "station admin", "kommunpolis", "partner", "partner of another actor"},
    ),
}


def test_every_row_names_known_members() -> None:
    for question, (_, allowed) in TABLE.items():
        assert allowed <= set(MEMBERS), question


@pytest.mark.parametrize("who", list(MEMBERS))
@pytest.mark.parametrize("question", list(TABLE))
def test_who_may_what(who: str, question: str) -> None:
    check, allowed = TABLE[question]
    assert check(MEMBERS[who]) is (who in allowed)


@pytest.mark.parametrize(
    ("who", "stations", "actors"),
    [
        ("national admin", ["jakobsberg", "floda"], ["polisen-jarfalla", "vasttrafik"]),
        ("station admin", ["jakobsberg", "barkarby"], ["polisen-jarfalla", "vasttrafik"]),
        ("kommunpolis", ["jakobsberg"], ["polisen-jarfalla", "vasttrafik"]),
        ("partner", ["jakobsberg"], ["jarfalla-kommun"]),
    ],
)
def test_whose_open_cases_a_list_shows(who: str, stations: list[str], actors: list[str]) -> None:
    every_station, every_actor = ["jakobsberg", "floda"], ["polisen-jarfalla", "vasttrafik"]
    assert access.case_list_scope(MEMBERS[who], every_station, every_actor) == (stations, actors)


def test_station_scope_and_who_needs_a_station() -> None:
    assert access.station_scope(MEMBERS["national admin"]) is None
    assert access.station_scope(MEMBERS["station admin"]) == frozenset({"jakobsberg", "barkarby"})
    assert access.station_scope(MEMBERS["partner"]) == frozenset({"jakobsberg"})
    assert not access.needs_station(Role.ADMIN)
    assert access.needs_station(Role.KOMMUNPOLIS)
    assert access.needs_station("partner")


# ---------------------------------------------------------------------- once per update
class CountingDesk:
    """The one place the handlers read a staff row from (Desk.member), counted."""

    def __init__(self) -> None:
        self.reads: list[int | None] = []

    async def member(self, telegram_id: int | None) -> Staff | None:
        self.reads.append(telegram_id)
        return Staff(
            1,
            telegram_id,
            "Officer",
            Role.KOMMUNPOLIS,
            "polisen",
            ("floda",),
            None,
            "deployment",
            True,
        )


async def test_the_staff_member_is_read_once_per_update() -> None:
    """The gate, the guards and the feature all ask who sent an update: one read. (The
    Application builds one context per update; a new update's context reads again.)"""
    desk = CountingDesk()
    officer = User(id=4242, first_name="Officer", is_bot=False)
    message = Message(
        1, dt.datetime(2026, 1, 1, tzinfo=dt.UTC), Chat(4242, "private"), officer, text="hej"
    )
    update = Update(1, message=message)

    def new_context() -> AppContext:
        services = SimpleNamespace(desk=desk, deployment=None)
        return cast(AppContext, SimpleNamespace(staff_read=None, services=services))

    context = new_context()
    first = await staff_member(update, context)
    assert await staff_member(update, context) is first
    assert await member_of(update, context) is first  # a private chat: not narrowed
    assert desk.reads == [4242]
    await staff_member(update, new_context())
    assert desk.reads == [4242, 4242]
