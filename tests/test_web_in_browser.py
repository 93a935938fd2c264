"""The web pages in a real browser (Debian's chromium through Playwright, tests.browser):
the sign-in path a staff member takes, from /webb in the emulator to the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from bot.domain.deployment import Deployment
from bot.i18n import Catalogs
from tests.web import POLIS_JKB, browser_sign_in, live_site

if TYPE_CHECKING:
    from playwright.async_api import Page

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_an_officer_signs_in_from_a_webb_link_in_the_browser(
    page: Page, tmp_path: Path, deployment: Deployment, catalogs: Catalogs
) -> None:
    async with live_site(tmp_path, deployment, catalogs) as site:
        await browser_sign_in(page, site, POLIS_JKB)
        heading = page.get_by_role("heading", level=1)
        assert await heading.inner_text() == catalogs.text("sv", "web.nav_cases")  # the menu's
        assert await page.get_by_role("button", name=catalogs.text("sv", "web.sign_out")).count()
