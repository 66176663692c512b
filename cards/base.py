"""Shared pieces of every card: the Adaptive Card envelope, text blocks, actions and the size guard.

Teams renders bot cards up to schema 1.5, drops messages over ~100 KB (UTF-16) and Microsoft advises staying
under 80 KB, so every card goes through `guard_size` before it leaves the bot.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from bot.numbers import whole_number

Card = dict[str, Any]
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"
MAX_BYTES = 80 * 1024
WARN_BYTES = 20 * 1024
CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"

log = logging.getLogger(__name__)


class CardTooLarge(ValueError):
    """A card that Teams would refuse or truncate."""


def utf16_size(card: Card) -> int:
    """The size Teams counts: the JSON text encoded as UTF-16."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-16-le"))


def guard_size(card: Card) -> Card:
    """Reject a card over 80 KB (UTF-16) and warn above 20 KB; return it unchanged otherwise."""
    size = utf16_size(card)
    if size > MAX_BYTES:
        raise CardTooLarge(f"card is {size} bytes as UTF-16; the limit is {MAX_BYTES}")
    if size > WARN_BYTES:
        log.warning("large card: %d bytes as UTF-16", size)
    return card


def card(
    body: list[dict[str, Any]],
    actions: list[dict[str, Any]] | None = None,
    lang: str = "ja",
    *,
    refresh: dict[str, Any] | None = None,
) -> Card:
    """An Adaptive Card 1.5 envelope, size-checked; `refresh` asks Teams to fetch each viewer's own version."""
    content: Card = {"type": "AdaptiveCard", "$schema": SCHEMA, "version": VERSION, "lang": lang, "body": body}
    if actions:
        content["actions"] = actions
    if refresh:
        content["refresh"] = refresh
    return guard_size(content)


HEADING_RUN = {"size": "Large", "weight": "Bolder"}


def heading(text: str) -> dict[str, Any]:
    return {"type": "TextBlock", "text": text, **HEADING_RUN, "wrap": True, "style": "heading"}


def subheading(text: str) -> dict[str, Any]:
    """A section title inside a card: bold, a size below the card's title, marked as a heading for screen readers
    (a heading's default style is the card title's size)."""
    return {"type": "TextBlock", "text": text, "size": "Medium", "weight": "Bolder", "wrap": True, "style": "heading"}


def label(text: str) -> dict[str, Any]:
    """What kind of card this is, small, marked as the card's heading (the title below it is typed by a person and
    shown as written: a TextRun, which can't be marked as a heading)."""
    return {**subheading(text), "size": "Default", "isSubtle": True}


def paragraph(text: str, *, subtle: bool = False) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "TextBlock", "text": text, "wrap": True}
    if subtle:
        block["isSubtle"] = True
    return block


def literal(text: str, **run: Any) -> dict[str, Any]:
    """Text a person typed, shown exactly as typed: a RichTextBlock's TextRun (`run`: its size, weight, color…).

    Teams reads a TextBlock, a Fact and a message's text as Markdown: typed there, `[再ログイン](https://…)` is
    a link under the bot's name, `**…**` bold, `<at>…</at>` a mention. A TextRun is never Markdown ("Markdown
    is not supported", Adaptive Cards schema 1.2+; renderers set it as plain text), and no escaping is needed.
    """
    return {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": text, **run}]}


def field_error(message: str | None) -> list[dict[str, Any]]:
    """What to fix, shown under a form field in the attention colour; nothing when the field is fine."""
    return [{"type": "TextBlock", "text": message, "color": "Attention", "wrap": True}] if message else []


def number_value(typed: str) -> dict[str, int]:
    """An Input.Number's `value` for what was typed, when it is a number the input can show (else none)."""
    number = whole_number(typed)
    return {} if number is None else {"value": number}


def facts(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return {"type": "FactSet", "facts": [{"title": title, "value": value} for title, value in pairs]}


BAR_HEIGHT = "4px"  # the least a styled column takes; Teams adds its padding around it


def share_bar(share: int) -> dict[str, Any]:
    """A horizontal bar `share` % full: an accent column beside a plain one, their widths in proportion
    (decoration under figures written as text; drawn the same by every client, unlike Teams' charts)."""
    parts = [("accent", share), ("emphasis", 100 - share)]
    columns = [
        {"type": "Column", "width": str(width), "style": style, "minHeight": BAR_HEIGHT, "spacing": "None", "items": []}
        for style, width in parts
        if width > 0
    ]
    return {"type": "ColumnSet", "columns": columns, "spacing": "Small"}


def marked(title: str, chosen: bool) -> str:
    """A button's title with ✓ before it when it is the person's choice (a sign, not a colour, shows it)."""
    return f"✓ {title}" if chosen else title


def execute(title: str, verb: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Action.Execute (Universal Actions) with the Action.Submit fallback older Teams clients need.

    The fallback carries the verb in its data so both paths reach the same route.
    """
    payload = dict(data or {})
    return {
        "type": "Action.Execute",
        "title": title,
        "verb": verb,
        "data": payload,
        "fallback": {"type": "Action.Submit", "title": title, "data": {**payload, "verb": verb}},
    }


def attachment(content: Card) -> dict[str, Any]:
    """Wrap a card as a Bot Framework message attachment."""
    return {"contentType": CONTENT_TYPE, "content": content}


def card_message(content: Card) -> dict[str, Any]:
    """A message activity carrying one card (what the bot posts)."""
    return {"type": "message", "attachments": [attachment(content)]}
