"""Browser tests: Playwright (async API) driving Debian's chromium, and axe-core on the page.

The browser is the one `make browsers` installs (`apt-get install chromium`); Playwright never
downloads its own (`playwright install` is not run anywhere). Without chromium the browser
tests skip on a developer's machine and fail under CI.

One browser per xdist worker, started by the first test that needs it: a session fixture on
the session's event loop. So every browser test, and every async fixture it uses, runs on that
loop: mark the test module `pytestmark = pytest.mark.asyncio(loop_scope="session")` and its
async fixtures `@pytest_asyncio.fixture(loop_scope="session")`, or Playwright's connection,
bound to the session loop, is used from another loop and hangs.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import pytest
import pytest_asyncio

if TYPE_CHECKING:
    from playwright.async_api import Browser, Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# A wait for an element or an event that does not come fails after this long, not after
# Playwright's 30 s.
TIMEOUT_MS = 10_000


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium; the test skips without it, or fails under CI (`make browsers`)."""
    path = shutil.which("chromium")
    if path is None:
        message = "chromium is not installed (as root: make browsers)"
        if under_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        # Root (CI) needs --no-sandbox; a container's small /dev/shm crashes tabs without the
        # other flag.
        launched = await playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
def page_errors() -> list[str]:
    """The uncaught script errors of `page`; the test fails if any is left at its end."""
    return []


@pytest_asyncio.fixture(loop_scope="session")
async def page(browser: Browser, page_errors: list[str]) -> AsyncIterator[Page]:
    """A page in a fresh context (no cookies, no storage) that accepts downloads."""
    context = await browser.new_context(accept_downloads=True)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        opened = await context.new_page()
        opened.on("pageerror", lambda error: page_errors.append(str(error)))
        yield opened
    finally:
        await context.close()
    assert not page_errors, f"uncaught errors in the page: {page_errors}"


class Violation(NamedTuple):
    """One axe-core rule the page breaks, with the elements that break it."""

    rule: str
    impact: str
    help: str
    targets: list[str]


_RUN_AXE = """async (impacts) => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations
        .filter((v) => impacts.includes(v.impact))
        .map((v) => ({
            rule: v.id,
            impact: v.impact,
            help: v.help,
            targets: v.nodes.map((n) => n.target.join(" ")),
        }));
}"""


async def axe_violations(
    page: Page, impacts: Sequence[str] = ("serious", "critical")
) -> list[Violation]:
    """The violations of the given impacts axe-core (vendored) finds on the loaded page."""
    if not await page.evaluate("() => typeof window.axe === 'object'"):
        # Evaluated through the DevTools protocol, not a <script> tag: the page's
        # Content-Security-Policy (no inline script) does not block it.
        await page.evaluate(AXE.read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = await page.evaluate(_RUN_AXE, list(impacts))
    return [Violation(**item) for item in found]
