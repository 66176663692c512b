"""The card gallery: every example card of every `cards/*.py` module, drawn by the official Adaptive Cards renderer
(npm `adaptivecards`, the one the card checks use) in headless Chromium, so people can look at what the bot sends.

    python -m tests.cardcheck.gallery      # `make cards`: docs/cards/<module>-<example>-<lang>.png, ja and en

A render that draws nothing, or that the renderer reports problems for, fails (`make cards` exits 1; the test in
tests/browser/test_card_gallery.py checks every render without writing the pictures). Teams-only chart elements
are drawn as labelled boxes listing their data: the gallery shows where Teams draws a chart, not the chart.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from tests.cardcheck.discovery import card_module_names, examples_of
from tests.cardcheck.node import ensure_node_tools
from tests.cardcheck.schema import chart_types
from tests.support.chromium import ChromiumUnavailable, launch

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
GALLERY = ROOT / "docs" / "cards"


def gallery_cards() -> Iterator[tuple[str, dict[str, Any]]]:
    """(picture name, card) for every example card, e.g. ("polls-3-ja", {...})."""
    for module_name in card_module_names():
        short = module_name.removeprefix("cards.")
        for index, card in enumerate(examples_of(module_name).values()):
            yield f"{short}-{index}-{card.get('lang', 'ja')}", card


@dataclass
class Render:
    name: str
    problems: list[str] = field(default_factory=list)


class CardGallery:
    """One page that draws cards one after another (a fresh page per card would cost a second each)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self._page_errors: list[str] = []
        page.on("pageerror", lambda error: self._page_errors.append(f"page error: {error}"))
        renderer = ensure_node_tools() / "node_modules" / "adaptivecards" / "dist"
        page.goto((HERE / "gallery.html").as_uri())
        page.add_style_tag(path=renderer / "adaptivecards.css")
        page.add_script_tag(path=renderer / "adaptivecards.min.js")
        page.add_script_tag(path=HERE / "gallery.js")
        self._charts = chart_types()

    def render(self, name: str, card: dict[str, Any]) -> Render:
        """Draw `card`; its problems are what a person would notice: nothing drawn, renderer errors."""
        self._page_errors.clear()
        result = self.page.evaluate("([card, charts]) => renderCard(card, charts)", [card, self._charts])
        problems = [*result["problems"], *self._page_errors]
        if result["height"] < 10 or not result["text"]:
            problems.append(f"nothing visible (height {result['height']:.0f} px, text {result['text']!r})")
        return Render(name, problems)

    def picture(self, path: Path) -> None:
        self.page.locator("#card").screenshot(path=path)


def write_gallery(page: Page, folder: Path = GALLERY) -> list[Render]:
    """Replace the folder's pictures with one per example card; return every render (with its problems)."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    gallery = CardGallery(page)
    renders = []
    for name, card in gallery_cards():
        renders.append(gallery.render(name, card))
        gallery.picture(folder / f"{name}.png")
    return renders


def main() -> int:
    started = time.monotonic()
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            renders = write_gallery(browser.new_page())
            browser.close()
    except ChromiumUnavailable as error:
        print(f"cards: Chromium is not available: {error}", file=sys.stderr)
        return 1
    broken = [render for render in renders if render.problems]
    for render in broken:
        print(f"cards: {render.name}: " + "; ".join(render.problems), file=sys.stderr)
    elapsed = time.monotonic() - started
    folder = GALLERY.relative_to(ROOT)
    print(f"cards: {len(renders)} cards drawn into {folder}/ in {elapsed:.1f} s, {len(broken)} broken")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
