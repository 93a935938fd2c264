"""The period of /statistik and `trygghetsbot stats` in words when it has no first or last
day (issue 18 review): 'sedan start', not 'Period … – …'."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from bot.cli import main
from bot.domain.deployment import Deployment
from bot.domain.stats import Period, named_period
from bot.i18n import Catalogs
from bot.services import Services
from bot.settings import Settings
from tests.test_stats import seeded  # noqa: F401 (a fixture)

OCT_1, NOV_1 = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
LABELS = {
    "sv": ("sedan start", "från 1 okt. 2026", "till och med 31 okt. 2026"),
    "en": ("since the start", "from Oct 1, 2026", "through Oct 31, 2026"),
}


@pytest.mark.parametrize("lang", sorted(LABELS))
async def test_an_open_period_in_words(
    seeded: Settings,  # noqa: F811
    deployment: Deployment,
    catalogs: Catalogs,
    lang: str,
) -> None:
    services = await Services.open(seeded, deployment, catalogs)
    try:
        stats = services.stats
        stats.lang = lang
        everything, since, through = LABELS[lang]
        assert stats.period_label(named_period("all", stats.today())) == everything
        assert stats.period_label(Period(OCT_1, None)) == since
        assert stats.period_label(Period(None, NOV_1)) == through
        bounded = stats.period_label(Period(OCT_1, NOV_1))
        assert (
            bounded
            == {"sv": "1 okt. 2026 – 31 okt. 2026", "en": "Oct 1, 2026 – Oct 31, 2026"}[lang]
        )
        report = await stats.report(Period(None, None))
        title = stats.text(report).split("\n")[0]
        assert (
            title
            == {"sv": "<b>Statistik sedan start</b>", "en": "<b>Statistics since the start</b>"}[
                lang
            ]
        )
        assert "…" not in stats.text(report)
    finally:
        await services.close()


def test_the_stats_command_for_all_time(
    seeded: Settings,  # noqa: F811
    capsys: pytest.CaptureFixture[str],
) -> None:
    os.environ["TRYGG_DATABASE"] = str(seeded.database)
    try:
        assert main(["stats", "--period", "all"]) == 0
        everything = capsys.readouterr().out
        assert main(["stats", "--since", "2026-10-01"]) == 0
        since = capsys.readouterr().out
    finally:
        del os.environ["TRYGG_DATABASE"]
    assert "\nPeriod sedan start: " in everything
    assert "\nPeriod från 1 okt. 2026: " in since
    assert "…" not in everything + since
