"""The answer to "export": a short-lived download link, and what the file leaves out."""

from __future__ import annotations

from bot.i18n import t
from cards.base import Card, card, heading, paragraph


def download_card(lang: str, title: str, url: str, note: str | None = None) -> Card:
    """`url` is a signed link valid for ten minutes (bot.links); `note` says what the file does not hold."""
    body = [heading(title), paragraph(t("download.valid", lang))]
    if note:
        body.append(paragraph(note, subtle=True))
    return card(body, [{"type": "Action.OpenUrl", "title": t("download.button", lang), "url": url}], lang)


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): both languages, with and without a note."""
    url = "https://bot.example.org/ideas/export.csv?expires=1&sig=abc"
    return [
        download_card("ja", "アイデアの一覧(CSV)", url, "匿名の投稿者は記録されていません。"),
        download_card("en", "Ideas (CSV)", url),
    ]
