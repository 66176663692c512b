"""Teams dialog (task module) answers: show a form, show a message, or close.

Returned as the body of a task/fetch or task/submit invoke (and of message extension actions).
"""

from __future__ import annotations

from typing import Any

from cards.base import Card, attachment


def task_form(card: Card, title: str, *, width: str | int = "medium", height: str | int = "medium") -> dict[str, Any]:
    """Open (or keep open, e.g. with validation errors) a dialog showing `card`."""
    return {
        "task": {
            "type": "continue",
            "value": {"title": title, "width": width, "height": height, "card": attachment(card)},
        }
    }


def task_message(text: str) -> dict[str, Any]:
    """Close the form and show a short message in the dialog frame."""
    return {"task": {"type": "message", "value": text}}
