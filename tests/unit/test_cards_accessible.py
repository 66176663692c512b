"""Every card the bot can produce is readable without colours, images or layout (JIS X 8341-3 minded): the
accessibility walk over every example card of every card module — and the walk really rejects what it must."""

from __future__ import annotations

from typing import Any

import pytest

from cards.base import card, execute, heading, literal, paragraph
from cards.poll_results import share_bar
from tests.cardcheck.accessibility import accessibility_problems
from tests.cardcheck.discovery import card_module_names, examples_of


@pytest.mark.parametrize("module_name", card_module_names())
def test_every_example_card_is_accessible(module_name: str) -> None:
    found = {
        name: [str(problem) for problem in accessibility_problems(example)]
        for name, example in examples_of(module_name).items()
    }
    assert not {name: problems for name, problems in found.items() if problems}


def _messages(content: dict[str, Any]) -> list[str]:
    return [str(problem) for problem in accessibility_problems(content)]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([{"type": "TextBlock", "text": "●", "color": "Good"}], "colour (good) only"),
        ([paragraph("回答 2人"), share_bar(50)], "colour only"),  # a bar with no figures before it
        ([{"type": "Container", "style": "attention", "items": []}], "colour only"),
        ([{"type": "Image", "url": "https://example.org/x.png"}], "without altText"),
        ([{"type": "Chart.Pie", "title": "結果", "data": [{"legend": "はい", "value": 3}]}], "not also written"),
        ([{"type": "Chart.Pie", "data": [{"legend": "はい", "value": 3}]}], "without a title"),
        ([{"type": "TextBlock", "text": "見出し", "size": "Large", "weight": "Bolder"}], "not marked"),
        ([literal("質問?", size="Large", weight="Bolder")], "no marked heading before it"),
        ([{"type": "Input.Text", "id": "q"}], "without a label"),
        ([{"type": "ActionSet", "actions": [execute("✓", "x")]}], "no words in its title"),
    ],
)
def test_the_walk_rejects_what_it_must(body: list[dict[str, Any]], expected: str) -> None:
    messages = _messages(card(body))
    assert any(expected in message for message in messages), messages


def test_the_walk_accepts_what_says_it_in_words() -> None:
    fine = card(
        [
            heading("クイック投票"),
            literal("質問?", size="Large", weight="Bolder"),
            {"type": "TextBlock", "text": "あなたの回答: 和食", "color": "Good"},
            paragraph("1人(50%)"),
            share_bar(50),
            {"type": "Image", "url": "https://example.org/x.png", "altText": "ロゴ"},
            {"type": "Chart.Pie", "title": "結果", "data": [{"legend": "はい", "value": 3}]},
            paragraph("はい 3"),
            {"type": "Input.Toggle", "id": "t", "title": "匿名にする"},
        ],
        [execute("✓ 和食", "x")],
    )
    assert _messages(fine) == []
