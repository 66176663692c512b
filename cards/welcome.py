"""The one card a conversation gets when the bot is installed: what the running features offer, and where to
start."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import t
from cards.base import Card, card, execute, heading, paragraph
from cards.introductions import EXAMPLE_OFFERS, offer_list


def welcome_card(lang: str, introductions: Sequence[str]) -> Card:
    """`introductions`: catalog keys of what the running features offer (`Feature.introduction`)."""
    return card(
        [
            heading(t("welcome.title", lang)),
            paragraph(t("welcome.body", lang)),
            *offer_list(introductions, lang),
            paragraph(t("welcome.hint", lang), subtle=True),
        ],
        [execute(t("help.button", lang), "help")],
        lang,
    )


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): every builder here, in both languages; a bot with no features."""
    return [welcome_card("ja", EXAMPLE_OFFERS), welcome_card("en", EXAMPLE_OFFERS), welcome_card("ja", ())]
