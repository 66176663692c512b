"""What the running features offer, one line each, as the welcome and help cards list it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.i18n import t
from cards.base import Card, card, paragraph

EXAMPLE_OFFERS = ("tips.introduction", "nudges.introduction", "polls.introduction")  # for the cards' examples()


def offer_list(introductions: Sequence[str], lang: str) -> list[dict[str, Any]]:
    """A bulleted line per feature (`Feature.introduction` catalog keys), in feature order."""
    return [{**paragraph(t("offer.item", lang, text=t(key, lang))), "spacing": "Small"} for key in introductions]


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): the list alone, both languages."""
    return [card(offer_list(EXAMPLE_OFFERS, lang), lang=lang) for lang in ("ja", "en")]
