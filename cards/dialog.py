"""Teams dialog (task module) answers: show a form, show a message, or close.

Returned as the body of a task/fetch or task/submit invoke (and of message extension actions).
"""

from __future__ import annotations

from typing import Any

from cards.base import Card, attachment, paragraph
from cards.base import card as adaptive_card


def task_form(card: Card, title: str, *, width: str | int = "medium", height: str | int = "medium") -> dict[str, Any]:
    """Open (or keep open, e.g. with validation errors) a dialog showing `card`."""
    return {
        "task": {
            "type": "continue",
            "value": {"title": title, "width": width, "height": height, "card": attachment(card)},
        }
    }


def open_dialog(title: str, dialog: str, **data: Any) -> dict[str, Any]:
    """A card button that opens dialog `dialog` (task/fetch); `data` reaches its fetch handler."""
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"msteams": {"type": "task/fetch"}, "dialog": dialog, **data},
    }


def task_message(text: str) -> dict[str, Any]:
    """Close the form and show a short message in the dialog frame."""
    return {"task": {"type": "message", "value": text}}


def examples() -> list[Card]:
    """For the card validator (tests/cardcheck): the cards inside `task_form` — a representative form (with a
    validation error shown, long Japanese labels) in both languages. `task_message` carries no card."""
    forms = [
        task_form(_form("ja", "タイトル(必須)", "入力してください。" * 20, "送信"), "フォーム"),
        task_form(_form("en", "Title (required)", "Please enter a title.", "Submit"), "Form", width=600, height=400),
    ]
    return [form["task"]["value"]["card"]["content"] for form in forms]


def _form(lang: str, label: str, error: str, submit: str) -> Card:
    title = {"type": "Input.Text", "id": "title", "label": label, "isRequired": True, "errorMessage": error}
    return adaptive_card(
        [
            {**title, "maxLength": 200},
            paragraph(error, subtle=True),
        ],
        [{"type": "Action.Submit", "title": submit, "data": {"dialog": "example"}}],
        lang,
    )
