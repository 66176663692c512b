"""Reading what the bot posted, the way a person reads it: card texts, not JSON paths."""

from __future__ import annotations

from typing import Any


def card_of(activity: dict[str, Any]) -> dict[str, Any] | None:
    for attachment in activity.get("attachments") or []:
        if attachment.get("contentType") == "application/vnd.microsoft.card.adaptive":
            return attachment["content"]
    return None


def texts(node: Any) -> list[str]:
    """Every string a user would read on a card (TextBlock texts, fact titles/values, action titles)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"text", "title", "value"} and isinstance(value, str):
                found.append(value)
            elif key != "fallback":
                found.extend(texts(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(texts(item))
    return found


def visible_text(activity: dict[str, Any]) -> str:
    """The text of a posted message, plus its card's texts."""
    card = card_of(activity)
    return "\n".join([activity.get("text") or "", *(texts(card) if card else [])])
