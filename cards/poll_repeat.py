"""The creator's repeat section: what the poll does now in one line, and only the fields the chosen repeat needs.

「毎週にする」 and 「毎月にする」 are Action.ToggleVisibility buttons: the client shows the weekday (or the day of the
month), the time and that repeat's save button at once, with no round trip; until one is pressed the section is
one line and two buttons. Each save button says which repeat it saves (`repeat_kind` in its data).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from bot.i18n import t
from bot.polls.model import Poll
from bot.timetext import clock_text, parse_clock, weekday_text
from cards.base import Card, card, execute, paragraph, subheading
from cards.poll_results import example_poll

REPEAT = "poll.repeat"
KINDS = ("weekly", "monthly")
TIME = "repeat_time"


def describe_repeat(recurrence: dict[str, Any] | None, lang: str) -> str:
    """毎週月曜 9:00 / 毎月1日 9:00, or that the poll is not repeated."""
    at = parse_clock(str((recurrence or {}).get("at", "")))
    if not recurrence or at is None:
        return t("polls.repeat.off", lang)
    if recurrence.get("kind") == "weekly":
        when = t("polls.repeat.weekly_at", lang, weekday=weekday_text(int(recurrence["weekday"]), lang))
    else:
        when = t("polls.repeat.monthly_at", lang, day=int(recurrence["day"]))
    return t("polls.repeat.on", lang, when=when, time=clock_text(at))


def _show(*shown: str) -> list[dict[str, Any]]:
    """ToggleVisibility targets: these parts shown, every other part of the section hidden."""
    parts = [*(f"repeat_{kind}_fields" for kind in KINDS), *(f"repeat_{kind}_save" for kind in KINDS), TIME]
    return [{"elementId": part, "isVisible": part in shown} for part in parts]


def _part(part_id: str, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Container", "id": part_id, "isVisible": False, "items": list(items)}


def repeat_section(poll: Poll, lang: str, zone: str) -> list[dict[str, Any]]:
    """The section of the creator's card; `zone` names the time zone the time is read in."""
    current = poll.recurrence or {}
    ids = {"poll_id": poll.poll_id}
    toggles: list[dict[str, Any]] = [
        {
            "type": "Action.ToggleVisibility",
            "title": t(f"polls.button.repeat_{kind}", lang),
            "targetElements": _show(f"repeat_{kind}_fields", f"repeat_{kind}_save", TIME),
        }
        for kind in KINDS
    ]
    if current:
        toggles.append(execute(t("polls.button.repeat_stop", lang), REPEAT, {**ids, "repeat_kind": "none"}))
    weekday = {
        "type": "Input.ChoiceSet",
        "id": "repeat_weekday",
        "label": t("polls.repeat.weekday", lang),
        "value": str(current.get("weekday", 0)),
        "choices": [{"title": weekday_text(d, lang), "value": str(d)} for d in range(7)],
    }
    day = {
        "type": "Input.Number",
        "id": "repeat_day",
        "label": t("polls.repeat.day", lang),
        "placeholder": t("polls.repeat.day_placeholder", lang),
        "min": 1,
        "max": 28,
        "value": int(current.get("day", 1)),
    }
    time = {
        "type": "Input.Time",
        "id": "repeat_at",
        "label": t("polls.repeat.at", lang, zone=zone),
        "placeholder": t("form.time_placeholder", lang),
        "value": str(current.get("at", "09:00")),
    }

    def save(kind: str) -> dict[str, Any]:
        button = execute(t("polls.button.repeat", lang), REPEAT, {**ids, "repeat_kind": kind})
        return {"type": "ActionSet", "actions": [{**button, "style": "positive"}]}

    return [
        {**subheading(t("polls.repeat.title", lang)), "separator": True},
        paragraph(describe_repeat(poll.recurrence, lang)),
        {"type": "ActionSet", "actions": toggles},
        _part("repeat_weekly_fields", [weekday]),
        _part("repeat_monthly_fields", [day]),
        _part(TIME, [time]),
        _part("repeat_weekly_save", [save("weekly")]),
        _part("repeat_monthly_save", [save("monthly")]),
    ]


def examples() -> list[Card]:
    """Not repeated, weekly, monthly; both languages."""
    weekly = {"kind": "weekly", "weekday": 0, "at": "09:00"}
    monthly = {"kind": "monthly", "day": 1, "at": "8:30"}
    return [
        card(repeat_section(example_poll(lang, recurrence=repeat), lang, t("polls.zone.tokyo", lang)), lang=lang)
        for lang in ("ja", "en")
        for repeat in (None, weekly, monthly)
    ]
