"""The rules a poll must meet before anything is stored, as catalog keys per form field (the dialog and the
one-line form translate them into the user's language)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.polls.model import MAX_OPTIONS, MIN_OPTIONS, OPTION_MAX, QUESTION_MAX
from bot.text import has_controls, text_key, visible

Errors = dict[str, tuple[str, dict[str, object]]]


def check(
    question: str,
    options: Sequence[str],
    *,
    now: datetime,
    multi: bool = False,
    max_choices: int | None = None,
    deadline: datetime | None = None,
    remind_before: int | None = None,
) -> Errors:
    """Every problem, by field: `question`, `options`, `max_choices`, `deadline`, `remind`. Empty means valid.

    A reminder `remind_before` minutes before the deadline must still be ahead of `now` (one in the past would
    fire at once, @mentioning everyone seconds after the poll is posted).

    Texts count as a reader sees them (`bot.text`): only spaces or zero-width characters is empty, options that
    differ only in width, case or invisible characters are duplicates, and control characters such as NUL (which
    the database can't store) are refused."""
    errors: Errors = {}
    if has_controls(question):
        errors["question"] = ("polls.error.control", {})
    elif not visible(question):
        errors["question"] = ("polls.error.question_empty", {})
    elif len(question) > QUESTION_MAX:
        errors["question"] = ("polls.error.question_long", {"max": QUESTION_MAX, "length": len(question)})
    longest = max(options, key=len, default="")
    if any(has_controls(option) for option in options):
        errors["options"] = ("polls.error.control", {})
    elif any(not visible(option) for option in options):
        errors["options"] = ("polls.error.option_empty", {})
    elif len(options) < MIN_OPTIONS:
        errors["options"] = ("polls.error.too_few", {"min": MIN_OPTIONS, "count": len(options)})
    elif len(options) > MAX_OPTIONS:
        errors["options"] = ("polls.error.too_many", {"max": MAX_OPTIONS, "count": len(options)})
    elif len(longest) > OPTION_MAX:
        errors["options"] = ("polls.error.option_long", {"max": OPTION_MAX, "length": len(longest)})
    elif len({text_key(option) for option in options}) != len(options):
        errors["options"] = ("polls.error.duplicate", {})
    if multi and max_choices is not None and not 1 <= max_choices <= max(len(options), 1):
        errors["max_choices"] = ("polls.error.max_choices", {"count": len(options)})
    if deadline is not None and deadline <= now:
        errors["deadline"] = ("polls.error.past", {})
    elif deadline is not None and remind_before and deadline - timedelta(minutes=remind_before) <= now:
        errors["remind"] = ("polls.error.remind_too_late", {})
    return errors
