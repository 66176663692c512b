"""The broadcast cards as a Teams user reads them: what each builder shows, in both languages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.i18n import t
from cards.broadcast_forms import Choices, compose_form


def elements(node: Any) -> Iterator[dict[str, Any]]:
    """Every object of a card, depth first."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from elements(value)
    elif isinstance(node, list):
        for item in node:
            yield from elements(item)


CHOICES = Choices(
    teams=[("19:a@thread.tacv2", "総務部")], channels=[("19:a@thread.tacv2|19:a@thread.tacv2", "総務部 / 一般")]
)


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_date_and_time_inputs_hint_in_the_readers_language(lang: str) -> None:
    """Without a placeholder the renderer shows its own English "Select a date..." / "Select a time..."."""
    form = compose_form(lang, {}, choices=CHOICES)
    dates = [e for e in elements(form) if e.get("type") == "Input.Date"]
    times = [e for e in elements(form) if e.get("type") == "Input.Time"]
    assert {e["id"] for e in dates} == {"deadline_date", "send_date"}
    assert {e["id"] for e in times} == {"deadline_time", "send_time"}
    assert all(e.get("placeholder") == t("form.date_placeholder", lang) for e in dates)
    assert all(e.get("placeholder") == t("form.time_placeholder", lang) for e in times)
    if lang == "ja":
        assert t("form.date_placeholder", lang) == "日付を選択(例: 2026/12/04)"
