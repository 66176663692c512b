"""Validate Adaptive Cards the way Teams will see them: JSON schema 1.5 (+ Teams charts), the official JS
renderer's parser, and the Teams rules. Import `assert_valid_card` from `tests.cardcheck` in any test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tests.cardcheck.problems import Problem
from tests.cardcheck.renderer import renderer_problems
from tests.cardcheck.rules import rule_problems
from tests.cardcheck.schema import schema_problems

Card = dict[str, Any]


def card_problems(card: Card) -> list[Problem]:
    """Every problem of one card (empty when Teams will render it)."""
    return validate_many({"card": card})["card"]


def validate_many(cards: Mapping[str, Card]) -> dict[str, list[Problem]]:
    """Problems per named card; the renderer sees all of them in one round trip."""
    names = list(cards)
    rendered = renderer_problems([cards[name] for name in names])
    return {
        name: [*schema_problems(cards[name]), *rule_problems(cards[name]), *renderer]
        for name, renderer in zip(names, rendered, strict=True)
    }


def report(problems: Mapping[str, list[Problem]]) -> str:
    """A readable report of the cards that have problems ("" when all are valid)."""
    return "\n".join(
        f"{name}:\n" + "\n".join(f"  - {problem}" for problem in found) for name, found in problems.items() if found
    )


def assert_valid_card(card: Card, name: str = "card") -> None:
    """Fail with every problem of `card` listed by element path, e.g. `body[2].items[0].type: unknown type …`.

    Accepts the card content or a Bot Framework attachment wrapping it.
    """
    if card.get("contentType") == "application/vnd.microsoft.card.adaptive":
        card = card["content"]
    text = report(validate_many({name: card}))
    assert not text, f"invalid Adaptive Card\n{text}"
