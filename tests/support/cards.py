"""Reading what the bot posted, the way a person reads it: card texts, not JSON paths."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any


def card_of(activity: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return attachment["content"]
    return None


def texts(node: Any) -> list[str]:
    """Every string a user would read on a card (TextBlock texts, fact titles/values, action titles); not the
    fallbacks (for older clients) nor the refresh action (Teams runs it, nobody presses it)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"text", "title", "value"} and isinstance(value, str):
                found.append(value)
            elif key not in {"fallback", "refresh"}:
                found.extend(texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(texts(item))
    return found


def visible_text(activity: dict[str, Any]) -> str:
    """The text of a posted message, plus its card's texts."""
    card = card_of(activity)
    return "\n".join([activity.get("text") or "", *(texts(card) if card else [])])


# `[text](url)`: what Teams turns into a link in a message's text, a TextBlock or a Fact.
MARKDOWN_LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")


def _elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every object in a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from _elements(item)


def markdown_texts(activity: dict[str, Any]) -> list[str]:
    """What Teams renders as Markdown in a posted message: its text, and on its card every TextBlock's text and
    every Fact's title and value. (A RichTextBlock's TextRuns are shown as written: `literal_texts`.)"""
    found = [activity["text"]] if activity.get("text") else []
    for element in _elements(card_of(activity)):
        if element.get("type") == "TextBlock":
            found.append(str(element.get("text", "")))
        elif element.get("type") == "FactSet":
            found += [str(fact.get(key, "")) for fact in element.get("facts", []) for key in ("title", "value")]
    return found


def literal_texts(activity: dict[str, Any]) -> list[str]:
    """The TextRuns of a posted card: text Teams shows exactly as written."""
    return [str(e.get("text", "")) for e in _elements(card_of(activity)) if e.get("type") == "TextRun"]
