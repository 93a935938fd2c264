"""The pictures in the guides: every image a doc links exists, and the screenshots the
browser test writes (tests/test_web_done_when.py, `make screenshots`) are exactly the ones
under docs/img that the guides show, so none is missing, stale or unused."""

from __future__ import annotations

import re
from pathlib import Path

from tests.test_web_done_when import SCREENSHOTS

DOCS = Path(__file__).resolve().parent.parent / "docs"
#: A Markdown image: ![alt](path), the path up to a space or ")".
IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)")


def images(doc: Path) -> list[tuple[str, str]]:
    """The (alt text, path) of each image `doc` links."""
    return IMAGE.findall(doc.read_text(encoding="utf-8"))


def test_the_pattern_finds_images_and_only_images() -> None:
    text = 'Se ![Översikten](img/a.png "titel") och [en länk](admin.md) och ![](img/b.png).'
    assert IMAGE.findall(text) == [("Översikten", "img/a.png"), ("", "img/b.png")]


def test_every_image_a_doc_links_exists_and_has_an_alt_text() -> None:
    linked = [(doc, alt, path) for doc in sorted(DOCS.glob("*.md")) for alt, path in images(doc)]
    assert linked, "no doc links an image"
    missing = [
        f"{doc.name}: {path}" for doc, _, path in linked if not (doc.parent / path).is_file()
    ]
    assert missing == []
    assert [f"{doc.name}: {path}" for doc, alt, path in linked if not alt.strip()] == []


def test_the_docs_show_exactly_the_screenshots_the_browser_test_takes() -> None:
    shown = {
        (doc.parent / path).resolve()
        for doc in DOCS.glob("*.md")
        for _, path in images(doc)
        if path.startswith("img/")
    }
    taken = {(DOCS / "img" / f"{name}.png").resolve() for name in SCREENSHOTS}
    assert shown == taken
    assert {p.resolve() for p in (DOCS / "img").glob("*.png")} == taken  # no stale picture
    for guide in ("kommunpolis.md", "admin.md"):
        assert images(DOCS / guide), f"{guide} shows no screenshot"
