"""The help card, built from the route table's commands and the running features' introductions, so it never
drifts from what the bot understands and never promises what isn't there."""

from __future__ import annotations

from collections.abc import Sequence

from bot.i18n import t
from cards.base import Card, card, facts, heading, paragraph, subheading
from cards.introductions import EXAMPLE_OFFERS, offer_list


def help_card(lang: str, commands: Sequence[tuple[str, str]], introductions: Sequence[str] = ()) -> Card:
    """`commands` are (command as the user types it, catalog key of its description) pairs; `introductions` the
    catalog keys of what the running features offer (`Feature.introduction`)."""
    offers = [subheading(t("help.offers", lang)), *offer_list(introductions, lang)] if introductions else []
    return card(
        [
            heading(t("help.title", lang)),
            *offers,
            subheading(t("help.commands", lang)),
            paragraph(t("help.intro", lang)),
            facts([(name, t(description_key, lang)) for name, description_key in commands]),
            paragraph(t("help.more", lang), subtle=True),
        ],
        lang=lang,
    )


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): both languages, and a long command list with long names."""
    commands = [("ヘルプ / help / 使い方 / ?", "help.command.help"), ("言語 / language", "help.command.language")]
    many = commands * 10 + [("とても長いコマンド名" * 10, "help.command.help")]
    return [
        help_card("ja", commands, EXAMPLE_OFFERS),
        help_card("en", commands, EXAMPLE_OFFERS),
        help_card("ja", many),
        help_card("en", []),
    ]
