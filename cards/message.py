"""A plain notice card: one line that tells the user what happened or what to fix."""

from __future__ import annotations

from cards.base import Card, card, literal


def notice_card(text: str, lang: str) -> Card:
    """`text` as written, never as Markdown: notices repeat what people typed (an unknown command, a category)."""
    return card([literal(text)], lang=lang)


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): short and long (near the 20 KB warning) texts, both languages."""
    return [
        notice_card("表示言語を日本語にしました。", "ja"),
        notice_card("Display language set to English.", "en"),
        notice_card("「オープン&フラット」な働き方を、Teamsの中から。" * 300, "ja"),
        notice_card('**Markdown** _text_ with <angle> & "quotes"\nand a newline', "en"),
    ]
