"""A plain notice card: one line that tells the user what happened or what to fix."""

from __future__ import annotations

from cards.base import Card, card, paragraph


def notice_card(text: str, lang: str) -> Card:
    return card([paragraph(text)], lang=lang)
