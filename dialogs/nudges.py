"""Nudges in the conversation: the 「ナッジ」 commands, the create/edit dialog and the list card's buttons.

The dialog checks every field on submit and re-shows the form with what to fix under each field; nothing is
stored until the whole form is valid. Buttons name a nudge by id: an id that is unknown, or belongs to another
chat, is answered with a notice and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.i18n import t
from bot.nudges.schedule import Kind, Schedule
from bot.nudges.service import Draft, NudgeService, Origin
from bot.nudges.store import Nudge
from bot.nudges.templates import template
from bot.numbers import whole_number
from bot.roles import is_team_owner
from bot.routes import InvokeBody, Notify, Outcome, Refresh, RouteTable, Say
from bot.text import has_controls, scalar_text, visible_lines, without_controls
from bot.turn import Turn
from cards.dialog import task_form, task_message
from cards.nudges import CREATE, EDIT, FIELDS, NEW_FORM, TEXT_MAX, confirmation_card, entry_card, form_card, list_card
from cards.nudges import moment as format_moment
from dialogs.common import user_key
from dialogs.forms import form_date, form_time
from dialogs.nudges_jobs import nudge_service


def register(routes: RouteTable) -> None:
    routes.command("ナッジ", "nudge", description_key="nudges.command.nudge")(show_entry)
    routes.command("ナッジ 一覧", "nudge list", description_key="nudges.command.list")(show_list)
    routes.command("ナッジ 停止", "nudge snooze", description_key="nudges.command.snooze")(snooze)
    routes.verb("nudge.list")(refresh_list)
    routes.verb("nudge.snooze")(snooze)
    routes.verb("nudge.pause")(pause)
    routes.verb("nudge.resume")(resume)
    routes.verb("nudge.delete")(delete)
    for name in (CREATE, EDIT):
        routes.dialog(name, fetch=open_form, submit=submit_form)


# ---- form data ------------------------------------------------------------------------------------------------


def _day(value: Any) -> int | None:
    day = whole_number(str(value or ""))
    return day if day in range(1, 32) else None


def _weekdays(value: Any) -> tuple[int, ...]:
    """The multi-select's "0,3" as (0, 3); () when any part is not a weekday number."""
    days = [whole_number(part) for part in str(value or "").split(",") if part.strip()]
    if not all(day in range(7) for day in days):
        return ()
    return tuple(sorted({day for day in days if day is not None}))


def parse_form(data: Mapping[str, Any], lang: str, now: datetime) -> tuple[Draft | None, dict[str, str]]:
    """A checked nudge, or the message for each field to fix. `now` is aware, in the bot's time zone."""
    errors: dict[str, str] = {}
    raw = scalar_text(data.get("text")) or ""
    text = visible_lines(raw)  # only spaces or zero-width characters is no text
    if has_controls(raw):
        errors["text"] = t("nudges.error.control", lang)
    elif not text:
        errors["text"] = t("nudges.error.text_empty", lang)
    elif len(text) > TEXT_MAX:
        errors["text"] = t("nudges.error.text_long", lang, max=TEXT_MAX, length=len(text))
    at = form_time(data.get("time"))
    if at is None:
        errors["time"] = t("nudges.error.time", lang)
    kind = next((k for k in Kind if k.value == data.get("kind")), None)
    weekdays, day, on = _weekdays(data.get("weekdays")), _day(data.get("day")), form_date(data.get("date"))
    if kind is None:
        errors["kind"] = t("nudges.error.kind", lang)
    elif kind is Kind.WEEKLY and not weekdays:
        errors["weekdays"] = t("nudges.error.weekdays", lang)
    elif kind is Kind.MONTHLY and day is None:
        errors["day"] = t("nudges.error.day", lang)
    elif kind is Kind.ONCE and on is None:
        errors["date"] = t("nudges.error.date", lang)
    elif kind is Kind.ONCE and on is not None and at is not None and datetime.combine(on, at, now.tzinfo) <= now:
        errors["date"] = t("nudges.error.past", lang)
    if errors or kind is None or at is None:
        return None, errors
    schedule = Schedule(
        kind=kind,
        at=at,
        weekdays=weekdays if kind is Kind.WEEKLY else (),
        day=day if kind is Kind.MONTHLY else None,
        on=on if kind is Kind.ONCE else None,
        working_days_only=str(data.get("working_days")).lower() == "true",
    )
    return Draft(text, schedule), {}


def form_values(text: str, schedule: Schedule) -> dict[str, str]:
    """The form's input values for a nudge (to edit it) or a template (to start from it)."""
    values = {"text": text, "kind": schedule.kind.value, "time": schedule.at.strftime("%H:%M")}
    values["working_days"] = "true" if schedule.working_days_only else "false"
    values["weekdays"] = ",".join(str(d) for d in schedule.weekdays)
    if schedule.day is not None:
        values["day"] = str(schedule.day)
    if schedule.on is not None:
        values["date"] = schedule.on.isoformat()
    return values


def _form(
    turn: Turn, service: NudgeService, values: Mapping[str, str], errors: Mapping[str, str] | None = None
) -> InvokeBody:
    nudge_id = turn.data.get("nudge_id") if isinstance(turn.data.get("nudge_id"), str) else None
    dialog, title = (EDIT, "nudges.dialog.edit") if nudge_id else (CREATE, "nudges.dialog.create")
    # Control characters (NUL…) can't be seen to be deleted: the re-shown form drops them, the error says why.
    values = {name: without_controls(value) for name, value in values.items()}
    card = form_card(turn.lang, values, errors, dialog=dialog, nudge_id=nudge_id, quiet=service.quiet)
    return InvokeBody(task_form(card, t(title, turn.lang), height="large"))


# ---- finding the nudge a button names -------------------------------------------------------------------------
async def _changeable(turn: Turn, service: NudgeService, *, muting: bool = False) -> Nudge | Notify:
    """The nudge a button names, if this user may change it: its creator, an admin, or — to mute (pause) or
    unmute it in a channel — an owner of the team."""
    nudge = await service.find(turn.data.get("nudge_id"), turn.place.conversation_id, turn.place.tenant_id)
    if nudge is None:
        return Notify(t("nudges.unknown", turn.lang))
    if service.may_change(nudge, user_key(turn)):
        return nudge
    if muting and await is_team_owner(turn.services.sender.connector, turn.place, turn.actor):
        return nudge
    return Notify(t("nudges.not_allowed", turn.lang))


# ---- commands and buttons -------------------------------------------------------------------------------------
async def show_entry(turn: Turn) -> Outcome:
    return Say(card=entry_card(turn.lang, personal=turn.place.conversation_type == "personal"))


async def _list(turn: Turn, service: NudgeService) -> dict[str, Any]:
    return list_card(
        turn.lang, await service.in_conversation(turn.place.conversation_id, turn.place.tenant_id), service.tz
    )


async def show_list(turn: Turn) -> Outcome:
    return Say(card=await _list(turn, nudge_service(turn.services)))


async def refresh_list(turn: Turn) -> Outcome:
    return Refresh(await _list(turn, nudge_service(turn.services)), shared=True)


async def snooze(turn: Turn) -> Outcome:
    """Only a 1:1 chat can be snoozed: a channel's nudges are shared, so one member can't silence them."""
    if turn.place.conversation_type != "personal":
        return Notify(t("nudges.snooze_personal_only", turn.lang))
    service = nudge_service(turn.services)
    until = await service.snooze(user_key(turn), turn.place.tenant_id, datetime.now(UTC))
    return Notify(t("nudges.snoozed", turn.lang, until=format_moment(until, turn.lang, service.tz)))


async def _set_paused(turn: Turn, paused: bool) -> Outcome:
    service = nudge_service(turn.services)
    nudge = await _changeable(turn, service, muting=True)
    if isinstance(nudge, Notify):
        return nudge
    await service.set_paused(nudge, paused, datetime.now(UTC))
    return Refresh(await _list(turn, service), shared=True)


async def pause(turn: Turn) -> Outcome:
    return await _set_paused(turn, True)


async def resume(turn: Turn) -> Outcome:
    return await _set_paused(turn, False)


async def delete(turn: Turn) -> Outcome:
    service = nudge_service(turn.services)
    nudge = await _changeable(turn, service)
    if isinstance(nudge, Notify):
        return nudge
    await service.delete(nudge)
    return Refresh(await _list(turn, service), shared=True)


# ---- the dialog -----------------------------------------------------------------------------------------------
async def open_form(turn: Turn) -> Outcome:
    service = nudge_service(turn.services)
    if "nudge_id" not in turn.data:
        return _form(turn, service, NEW_FORM)
    nudge = await _changeable(turn, service)
    if isinstance(nudge, Notify):
        return InvokeBody(task_message(nudge.text))
    return _form(turn, service, form_values(nudge.text, nudge.schedule))


async def submit_form(turn: Turn) -> Outcome | list[Outcome]:
    service = nudge_service(turn.services)
    editing: Nudge | None = None
    if "nudge_id" in turn.data:
        found = await _changeable(turn, service)
        if isinstance(found, Notify):
            return InvokeBody(task_message(found.text))
        editing = found
    values = {name: text for name in FIELDS if (text := scalar_text(turn.data.get(name))) is not None}
    if turn.data.get("apply_template"):
        chosen = template(values.get("template", ""))
        if chosen is not None:
            values |= form_values(t(f"nudges.template.{chosen.key}.text", turn.lang), chosen.schedule)
        return _form(turn, service, values)
    now = datetime.now(service.tz)
    draft, errors = parse_form(turn.data, turn.lang, now)
    if draft is None:
        return _form(turn, service, values, errors)
    if editing is None:
        origin = Origin(
            user_key=user_key(turn),
            tenant_id=turn.place.tenant_id,
            conversation_id=turn.place.conversation_id,
            conversation_type=turn.place.conversation_type,
            lang=turn.lang,
        )
        saved: Nudge | None = await service.create(origin, draft, now)
    else:
        saved = await service.edit(editing, draft, now)
    if saved is None:
        return InvokeBody(task_message(t("nudges.unknown", turn.lang)))
    card = confirmation_card(turn.lang, saved, service.tz, updated=editing is not None)
    return [InvokeBody(task_message(t("nudges.saved", turn.lang))), Say(card=card)]
