"""Every example card draws in the official renderer in Chromium: something visible, and no renderer errors
(what `make cards` draws into docs/cards/, checked here without rewriting the pictures)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser

from tests.cardcheck.gallery import CardGallery, gallery_cards


@pytest.fixture(scope="module")
def gallery(browser: Browser) -> Iterator[CardGallery]:
    page = browser.new_page()
    yield CardGallery(page)
    page.close()


def test_every_example_card_draws_without_errors(gallery: CardGallery) -> None:
    renders = [gallery.render(name, card) for name, card in gallery_cards()]
    assert len(renders) > 50
    broken = {render.name: render.problems for render in renders if render.problems}
    assert not broken, f"cards that draw badly: {broken}"


@pytest.mark.parametrize(
    ("card", "problem"),
    [
        ({"type": "AdaptiveCard", "version": "1.5", "body": []}, "nothing visible"),
        ({"type": "AdaptiveCard", "version": "1.5", "body": [{"type": "TextBlok", "text": "x"}]}, "TextBlok"),
    ],
)
def test_an_empty_or_broken_card_is_reported(gallery: CardGallery, card: dict[str, Any], problem: str) -> None:
    assert any(problem in found for found in gallery.render("bad", card).problems)
