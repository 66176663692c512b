"""Nudge cards: the entry card, the dialog form, the list with its buttons, the posted nudge, the confirmation."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.nudges.model import Nudge
from bot.nudges.templates import TEMPLATES
from bot.recurrence import QUIET_HOURS, Kind, QuietHours, Schedule
from bot.timetext import clock_text, date_text, moment_text, weekday_text
from cards.base import Card, card, execute, facts, field_error, heading, literal, number_value, paragraph, subheading

TEXT_MAX = 500  # characters of a nudge's message; the dialog refuses longer ones
LIST_PREVIEW = 120  # characters of a nudge's message shown on the list card
CREATE, EDIT = "nudge.create", "nudge.edit"
FIELDS = ("template", "text", "kind", "time", "weekdays", "day", "date", "working_days")
KINDS = (Kind.DAILY, Kind.WEEKLY, Kind.MONTHLY, Kind.ONCE)  # what the form offers
NEW_FORM: Mapping[str, str] = {"kind": Kind.WEEKLY.value, "time": "09:00", "weekdays": "0", "working_days": "true"}


def _dialog_button(title: str, dialog: str, **data: Any) -> dict[str, Any]:
    """Action.Submit that opens a Teams dialog (task/fetch) named `dialog`."""
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"msteams": {"type": "task/fetch"}, "dialog": dialog, **data},
    }


def describe(schedule: Schedule, lang: str) -> str:
    """The schedule in words, its conditions in one bracket: 毎週 月・金 9:00(開庁日のみ),
    11月28日(土) 9:00(1回だけ)."""
    at = clock_text(schedule.at)
    if schedule.kind is Kind.WEEKLY:
        names = t("nudges.weekday.separator", lang).join(weekday_text(d, lang) for d in schedule.weekdays)
        text = t("nudges.schedule.weekly", lang, weekdays=names, time=at)
    elif schedule.kind is Kind.MONTHLY:
        text = t("nudges.schedule.monthly", lang, day=schedule.day, time=at)
    elif schedule.kind is Kind.ONCE:
        text = t("nudges.schedule.once", lang, date=date_text(schedule.on or date.min, lang), time=at)
    else:
        text = t("nudges.schedule.daily", lang, time=at)
    conditions = [t("nudges.schedule.once_only", lang)] if schedule.kind is Kind.ONCE else []
    if schedule.working_days_only:
        conditions.append(t("nudges.schedule.working_days", lang))
    if not conditions:
        return text
    listed = t("nudges.schedule.condition_separator", lang).join(conditions)
    return t("nudges.schedule.with_conditions", lang, schedule=text, conditions=listed)


def _status(nudge: Nudge, lang: str, tz: ZoneInfo) -> str:
    if nudge.paused:
        return t("nudges.status.paused", lang)
    if nudge.next_run_at is None:
        return t("nudges.status.over", lang)
    return t("nudges.status.next", lang, when=moment_text(nudge.next_run_at, lang, tz))


def entry_card(lang: str, *, personal: bool) -> Card:
    actions = [
        _dialog_button(t("nudges.button.new", lang), CREATE),
        execute(t("nudges.button.list", lang), "nudge.list"),
    ]
    if personal:
        actions.append(execute(t("nudges.button.snooze", lang), "nudge.snooze"))
    return card([heading(t("nudges.entry.title", lang)), paragraph(t("nudges.entry.body", lang))], actions, lang)


def _choices(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"title": title, "value": value} for title, value in pairs]


def _kind_part(kind: Kind, shown: Kind, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "Container", "id": f"kind_{kind.value}", "isVisible": kind is shown, "items": items}


def _save_part(kind: Kind, shown: Kind, lang: str, dialog: str, ids: Mapping[str, str]) -> dict[str, Any]:
    """The save button of one repeat: it says which repeat the form is saved as (`kind` in its data)."""
    save = {
        "type": "Action.Submit",
        "title": t("nudges.button.save", lang),
        "style": "positive",
        "data": {"dialog": dialog, "kind": kind.value, **ids},
    }
    return {
        "type": "Container",
        "id": f"save_{kind.value}",
        "isVisible": kind is shown,
        "items": [{"type": "ActionSet", "actions": [save]}],
    }


def _kind_toggles(lang: str) -> dict[str, Any]:
    """毎日 / 毎週 / 毎月 / 1回だけ: each shows its own fields and save button, and hides the others', in the client
    (Action.ToggleVisibility), so the form never shows 曜日, 日 and 日付 at once."""
    parts = [f"{part}_{kind.value}" for kind in KINDS for part in ("kind", "save")]

    def toggle(kind: Kind) -> dict[str, Any]:
        shown = {f"kind_{kind.value}", f"save_{kind.value}"}
        return {
            "type": "Action.ToggleVisibility",
            "title": t(f"nudges.kind.{kind.value}", lang),
            "targetElements": [{"elementId": part, "isVisible": part in shown} for part in parts],
        }

    return {"type": "ActionSet", "actions": [toggle(kind) for kind in KINDS]}


def form_card(
    lang: str,
    values: Mapping[str, str] = NEW_FORM,
    errors: Mapping[str, str] | None = None,
    *,
    dialog: str = CREATE,
    nudge_id: str | None = None,
    quiet: QuietHours = QUIET_HOURS,
) -> Card:
    """The dialog's form, filled with `values` (as the inputs send them) and each error under its field. Only the
    chosen repeat's own field shows (`_kind_toggles`); the template fills the form through the bot, since cards
    can't set an input's value on the client (Adaptive Cards 1.5, the highest Teams renders for bots)."""
    errors = errors or {}
    ids = {"nudge_id": nudge_id} if nudge_id else {}
    shown = next((kind for kind in KINDS if kind.value == values.get("kind")), Kind.WEEKLY)

    def field(element: dict[str, Any], name: str) -> list[dict[str, Any]]:
        return [element, *field_error(errors.get(name))]

    template = {
        "type": "Input.ChoiceSet",
        "id": "template",
        "label": t("nudges.form.template", lang),
        "placeholder": t("nudges.form.template_placeholder", lang),
        "value": values.get("template", ""),
        "choices": _choices([(t(f"nudges.template.{x.key}.title", lang), x.key) for x in TEMPLATES]),
    }
    apply = {
        "type": "Action.Submit",
        "title": t("nudges.button.apply_template", lang),
        "data": {"dialog": dialog, "apply_template": True, **ids},
    }
    text = {
        "type": "Input.Text",
        "id": "text",
        "label": t("nudges.form.text", lang),
        "placeholder": t("nudges.form.text_placeholder", lang),
        "isMultiline": True,
        "maxLength": TEXT_MAX,
        "value": values.get("text", ""),
    }
    weekdays = {
        "type": "Input.ChoiceSet",
        "id": "weekdays",
        "label": t("nudges.form.weekdays", lang),
        "isMultiSelect": True,
        "value": values.get("weekdays", ""),
        "choices": _choices([(weekday_text(d, lang), str(d)) for d in range(7)]),
    }
    day = {
        "type": "Input.Number",
        "id": "day",
        "label": t("nudges.form.day", lang),
        "placeholder": t("nudges.form.day_placeholder", lang),
        "min": 1,
        "max": 31,
        **number_value(values.get("day", "")),
    }
    date_input = {
        "type": "Input.Date",
        "id": "date",
        "label": t("nudges.form.date", lang),
        "placeholder": t("form.date_placeholder", lang),
        "value": values.get("date", ""),
    }
    time_input = {
        "type": "Input.Time",
        "id": "time",
        "label": t("nudges.form.time", lang),
        "placeholder": t("form.time_placeholder", lang),
        "value": values.get("time", ""),
    }
    working_days = {
        "type": "Input.Toggle",
        "id": "working_days",
        "title": t("nudges.form.working_days", lang),
        "valueOn": "true",
        "valueOff": "false",
        "value": values.get("working_days", "false"),
    }
    repeats = {
        Kind.DAILY: [],
        Kind.WEEKLY: field(weekdays, "weekdays"),
        Kind.MONTHLY: field(day, "day"),
        Kind.ONCE: field(date_input, "date"),
    }
    start, end = quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M")
    body: list[dict[str, Any]] = [
        template,
        {"type": "ActionSet", "actions": [apply]},
        *field(text, "text"),
        {**subheading(t("nudges.form.kind", lang)), "size": "Default"},
        _kind_toggles(lang),
        *field_error(errors.get("kind")),
        *(
            _kind_part(
                kind, shown, [{**subheading(t(f"nudges.form.kind_{kind.value}", lang)), "size": "Default"}, *items]
            )
            for kind, items in repeats.items()
        ),
        *field(time_input, "time"),
        working_days,
        paragraph(t("nudges.form.quiet_hours", lang, start=start, end=end), subtle=True),
        *(_save_part(kind, shown, lang, dialog, ids) for kind in KINDS),
    ]
    return card(body, lang=lang)


DELETE, DELETE_CONFIRMED = "nudge.delete", "nudge.delete_confirmed"


def _preview(nudge: Nudge) -> str:
    return nudge.text if len(nudge.text) <= LIST_PREVIEW else nudge.text[:LIST_PREVIEW] + "…"


def _list_buttons(nudge: Nudge, lang: str, *, confirming: bool) -> list[dict[str, Any]]:
    """Pause/resume, edit, delete — or, once 削除 was pressed, the question and its two answers."""
    ids = {"nudge_id": nudge.nudge_id}
    if confirming:
        delete = execute(t("nudges.button.delete_confirmed", lang), DELETE_CONFIRMED, ids)
        return [
            paragraph(t("nudges.delete.question", lang)),
            {
                "type": "ActionSet",
                "actions": [
                    {**delete, "style": "destructive"},
                    execute(t("nudges.button.cancel", lang), "nudge.list"),
                ],
            },
        ]
    toggle = (
        execute(t("nudges.button.resume", lang), "nudge.resume", ids)
        if nudge.paused
        else execute(t("nudges.button.pause", lang), "nudge.pause", ids)
    )
    delete = {**execute(t("nudges.button.delete", lang), DELETE, ids), "style": "destructive"}
    edit = _dialog_button(t("nudges.button.edit", lang), EDIT, **ids)
    return [{"type": "ActionSet", "actions": [toggle, edit, delete]}]


def _list_item(nudge: Nudge, lang: str, tz: ZoneInfo, *, confirming: bool = False) -> dict[str, Any]:
    return {
        "type": "Container",
        "separator": True,
        "items": [
            literal(_preview(nudge)),
            paragraph(f"{describe(nudge.schedule, lang)} · {_status(nudge, lang, tz)}", subtle=True),
            *_list_buttons(nudge, lang, confirming=confirming),
        ],
    }


def list_card(
    lang: str,
    nudges: Sequence[Nudge],
    tz: ZoneInfo,
    *,
    confirming: str | None = None,
    deleted: Nudge | None = None,
) -> Card:
    """The conversation's nudges with their buttons; `confirming` (a nudge id) asks before deleting it, `deleted`
    says which nudge is gone."""
    body = [heading(t("nudges.list.title", lang))]
    if deleted is not None:
        body.append(literal(t("nudges.deleted", lang, text=_preview(deleted))))
    items = [_list_item(nudge, lang, tz, confirming=nudge.nudge_id == confirming) for nudge in nudges]
    body += items or [paragraph(t("nudges.list.empty", lang))]
    return card(body, [_dialog_button(t("nudges.button.new", lang), CREATE)], lang)


def nudge_card(nudge: Nudge) -> Card:
    """The posted nudge: the team lead's words, the schedule, and (in a 1:1 chat) a way to snooze."""
    lang = nudge.lang
    body = [
        literal(nudge.text),
        paragraph(t("nudges.card.footer", lang, schedule=describe(nudge.schedule, lang)), subtle=True),
    ]
    actions = (
        [execute(t("nudges.button.snooze", lang), "nudge.snooze")] if nudge.conversation_type == "personal" else []
    )
    return card(body, actions, lang)


def confirmation_card(lang: str, nudge: Nudge, tz: ZoneInfo, *, updated: bool = False) -> Card:
    title = t("nudges.confirm.updated" if updated else "nudges.confirm.created", lang)
    pairs = [
        (t("nudges.confirm.schedule", lang), describe(nudge.schedule, lang)),
        (t("nudges.confirm.status", lang), _status(nudge, lang, tz)),
    ]
    return card(
        [heading(title), literal(nudge.text), facts(pairs)],
        [execute(t("nudges.button.list", lang), "nudge.list")],
        lang,
    )


def examples() -> list[Card]:
    """Representative cards from every builder, in both languages, for the card validator."""
    tz = ZoneInfo("Asia/Tokyo")
    sample = Nudge(
        nudge_id="0" * 32,
        tenant_id="tenant",
        conversation_id="19:general@thread.tacv2",
        place_id="19:general@thread.tacv2",
        conversation_type="channel",
        creator_key="creator",
        lang="ja",
        text="今週の学びを1つ共有しましょう。",
        kind=Kind.WEEKLY.value,
        at_time="16:00",
        weekdays=[4],
        day_of_month=None,
        on_date=None,
        working_days_only=True,
        paused=False,
        next_run_at=datetime(2026, 12, 4, 7, 0, tzinfo=UTC),
    )
    monthly = replace(sample, nudge_id="1" * 32, kind="monthly", day_of_month=31, paused=True)
    once = replace(sample, nudge_id="2" * 32, kind="once", on_date=date(2026, 12, 24), next_run_at=None)
    errors = ("kind", "time", "weekdays", "day", "date")
    cards: list[Card] = []
    for lang in ("ja", "en"):
        personal = replace(sample, conversation_type="personal", lang=lang)
        prefilled = {"text": sample.text, "kind": "monthly", "time": "09:30", "day": "31", "working_days": "true"}
        cards += [
            entry_card(lang, personal=True),
            entry_card(lang, personal=False),
            form_card(lang),
            form_card(lang, prefilled, dialog=EDIT, nudge_id=sample.nudge_id),
            form_card(lang, {"text": "", "time": "25:61"}, {key: t(f"nudges.error.{key}", lang) for key in errors}),
            list_card(lang, [sample, monthly, once], tz),
            list_card(lang, [sample, monthly], tz, confirming=monthly.nudge_id),
            list_card(lang, [sample], tz, deleted=once),
            list_card(lang, [], tz),
            nudge_card(sample),
            nudge_card(personal),
            confirmation_card(lang, sample, tz),
            confirmation_card(lang, monthly, tz, updated=True),
        ]
    return cards
