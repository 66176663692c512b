"""Every card the bot can produce: each module in `cards/` (but `base`) exposes `examples()`, a list of
representative cards built through its real builders (both languages, edge-case data)."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any

import cards

SHARED = {"base"}


def card_module_names() -> list[str]:
    """The card modules, found without importing them (so one broken module cannot hide the others)."""
    return sorted(f"cards.{info.name}" for info in pkgutil.iter_modules(cards.__path__) if info.name not in SHARED)


class MissingExamples(AssertionError):
    """A card module without `examples()`: its cards would never be validated."""


def examples_of(module_name: str) -> dict[str, dict[str, Any]]:
    """The module's example cards by name, e.g. {"cards.welcome.examples()[1]": {...}}."""
    module = importlib.import_module(module_name)
    examples = getattr(module, "examples", None)
    if not callable(examples):
        raise MissingExamples(
            f"{module_name} has no examples(): every card module must return representative cards built by its "
            "builders (both languages, edge-case data) so the card validator checks them (docs/ARCHITECTURE.md)"
        )
    built = examples()
    if not built:
        raise MissingExamples(f"{module_name}.examples() returned no cards")
    return {f"{module_name}.examples()[{index}]": example for index, example in enumerate(built)}
