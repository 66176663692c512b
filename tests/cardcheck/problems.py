"""One finding about a card, readable on its own: which check, where in the card JSON, and what is wrong."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    check: str  # "schema", "renderer" or "teams"
    path: str  # e.g. "body[2].items[0].type"; "(card)" for the card as a whole
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message} [{self.check}]"


def join(at: str, key: str) -> str:
    """Extend a JSON path: join("body[2]", "items") == "body[2].items"."""
    return f"{at}.{key}" if at else key


def format_path(steps: Iterable[str | int]) -> str:
    at = ""
    for step in steps:
        at = f"{at}[{step}]" if isinstance(step, int) else join(at, step)
    return at or "(card)"
