"""The one-line form: `poll 今日のランチ? / 和食 / 洋食 / 中華` (also with full-width ／)."""

from __future__ import annotations

import re

from bot.text import visible

_SEPARATOR = re.compile(r"[/／]")


def split_oneliner(text: str) -> tuple[str, list[str]]:
    """The question and the options as a reader sees them (`bot.text.visible`); parts with nothing visible (only
    spaces or zero-width characters) are dropped. The checks live in `bot.polls.validate`."""
    parts = [visible(part) for part in _SEPARATOR.split(text)]
    question, *options = parts or [""]
    return question, [option for option in options if option]
