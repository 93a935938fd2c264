"""The generated national deployment (bench/national_deployment.py) is a valid deployment
file: the deployment model's validation and cross-reference checks pass, with placeholders
only."""

from __future__ import annotations

from bench.national_deployment import FIRST_TELEGRAM_ID, generate, sized
from bot.config import parse_deployment
from bot.domain.access import is_kommunpolis_at
from bot.domain.routing import unstaffed_routes


def test_generated_deployment_validates() -> None:
    sizes = sized(20)
    dep = parse_deployment(generate(sizes), "national.toml")  # raises on any problem
    assert len(dep.stations) == sizes.stations == 20
    assert len({s.kommun for s in dep.stations}) == sizes.kommuner
    assert len(dep.staff) == sizes.staff
    assert len(dep.promises) == sizes.promises
    assert dep.routing
    for station in dep.stations:
        assert any(is_kommunpolis_at(m, station.id) for m in dep.staff)
    assert unstaffed_routes(dep) == []
    for member in dep.staff:
        assert "platshållare" in member.name
        assert member.telegram_id is None or member.telegram_id >= FIRST_TELEGRAM_ID
        assert member.email is None or member.email.endswith("@example.org")
