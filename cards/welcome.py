"""The one card a conversation gets when the bot is installed."""

from __future__ import annotations

from bot.i18n import t
from cards.base import Card, card, execute, heading, paragraph


def welcome_card(lang: str) -> Card:
    return card(
        [
            heading(t("welcome.title", lang)),
            paragraph(t("welcome.body", lang)),
            paragraph(t("welcome.hint", lang), subtle=True),
        ],
        [execute(t("help.button", lang), "help")],
        lang,
    )


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): every builder here, in both languages."""
    return [welcome_card("ja"), welcome_card("en")]
