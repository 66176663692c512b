"""Reading what a poll form, a vote button or the repeat form sent: a checked value, or what to fix."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from bot.i18n import t
from bot.numbers import whole_number
from bot.polls.model import REMIND_BEFORE_MINUTES, Draft, Visibility
from bot.polls.validate import check
from bot.text import lines_normalized, scalar_text, visible
from bot.timetext import parse_clock, parse_date


def form_text(data: Mapping[str, Any], name: str) -> str:
    """A form or card value as text; "" when missing or of a type no input sends (a list, an object…)."""
    return scalar_text(data.get(name)) or ""


def parse_form(data: Mapping[str, Any], lang: str, now: datetime) -> tuple[Draft | None, dict[str, str]]:
    """A checked poll, or the message for each field to fix. `now` is aware, in the bot's time zone."""
    question = visible(form_text(data, "question"))
    options = [line for line in map(visible, lines_normalized(form_text(data, "options")).split("\n")) if line]
    multi = form_text(data, "multi").lower() == "true"
    errors: dict[str, str] = {}
    raw_max = form_text(data, "max_choices").strip()
    max_choices = whole_number(raw_max)
    if raw_max and max_choices is None:
        errors["max_choices"] = t("polls.error.max_choices", lang, count=len(options))
    day, at = parse_date(data.get("date")), parse_clock(data.get("time"))
    deadline = None
    typed_day, typed_time = form_text(data, "date").strip(), form_text(data, "time").strip()
    if typed_day and day is None:
        errors["deadline"] = t("polls.error.date", lang)
    elif typed_time and not typed_day:
        errors["deadline"] = t("polls.error.date_missing", lang)  # a time alone is no deadline
    if typed_time and at is None:
        errors["time"] = t("polls.error.time", lang)
    if day is not None:
        deadline = datetime.combine(day, at or time(17, 0), tzinfo=now.tzinfo)
    remind = form_text(data, "remind").strip()
    remind_before = whole_number(remind)
    if remind not in {"", "none"} and remind_before not in REMIND_BEFORE_MINUTES:
        errors["remind"] = t("polls.error.remind", lang)
    for field, (key, params) in check(
        question,
        options,
        now=now,
        multi=multi,
        max_choices=max_choices,
        deadline=deadline,
        remind_before=remind_before,
    ).items():
        errors.setdefault(field, t(key, lang, **params))
    if errors:
        return None, errors
    visibility = next((v for v in Visibility if v.value == data.get("visibility")), Visibility.LIVE)
    return Draft(
        question=question,
        options=tuple(options),
        multi=multi,
        max_choices=max_choices if multi else None,
        anonymous=form_text(data, "anonymous").lower() == "true",
        visibility=visibility,
        deadline=deadline,
        remind_before=remind_before,
    ), {}


def chosen_options(data: Mapping[str, Any]) -> tuple[int, ...] | None:
    """The options a click names: `choice` (a single-select button) or `choices` ("0,2", a multi-select form;
    nothing ticked is `()`, whether the client sends "" or leaves the input out); None for anything else (a list,
    an object, null, a fraction…)."""
    if "choice" in data:
        choice = scalar_text(data["choice"])
        raw = None if choice is None else [choice]
    else:
        choices = scalar_text(data.get("choices", ""))
        raw = None if choices is None else choices.split(",")
    if raw is None:
        return None
    numbers = [whole_number(item) for item in raw if item.strip()]
    if None in numbers or ("choice" in data and not numbers):
        return None
    return tuple(sorted({number for number in numbers if number is not None}))


def parse_recurrence(data: Mapping[str, Any]) -> dict[str, Any] | str | None:
    """The repeat form: None (stop), a recurrence, or "invalid". A monthly day of 29–31 falls on the month's last
    day in shorter months (see `bot.recurrence`)."""
    kind = scalar_text(data.get("repeat_kind", "none"))
    if kind == "none":
        return None
    at = parse_clock(scalar_text(data.get("repeat_at")))
    weekday, day = whole_number(form_text(data, "repeat_weekday")), whole_number(form_text(data, "repeat_day"))
    if kind is None or at is None or kind not in {"weekly", "monthly"}:
        return "invalid"
    if kind == "weekly":
        return {"kind": kind, "at": f"{at:%H:%M}", "weekday": weekday} if weekday in range(7) else "invalid"
    return {"kind": kind, "at": f"{at:%H:%M}", "day": day} if day in range(1, 32) else "invalid"
