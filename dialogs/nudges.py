"""Nudges in the conversation: the 「ナッジ」 commands, the create/edit dialog and the list card's buttons.

The dialog checks every field on submit and re-shows the form with what to fix under each field; nothing is
stored until the whole form is valid. Buttons name a nudge by id: an id that is unknown, or belongs to another
chat, is answered with a notice and changes nothing. Each nudge's next delivery is the timed work
`nudges.post` of the nudge; its run posts the card (once per occurrence) and plans the next one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field, field_validator

from bot.context import Context
from bot.feature import EVERYWHERE, Feature, command, dialog, timed, verb
from bot.i18n import t
from bot.nudges.model import Nudge
from bot.nudges.service import Draft, NudgeService, Origin
from bot.nudges.tables import nudges
from bot.nudges.templates import template
from bot.numbers import whole_number
from bot.permissions import Refusal, Role
from bot.recurrence import Kind, QuietHours, Schedule
from bot.routes import InvokeBody, Notify, Outcome, Refresh, Say
from bot.settings import EnvSettings, quiet_hours_text
from bot.text import has_controls, scalar_text, visible_lines, without_controls
from bot.timed import DueItem, RetryLater
from bot.timetext import moment_text, parse_clock, parse_date
from bot.turn import Turn
from cards.base import card_message
from cards.dialog import task_form, task_message
from cards.nudges import (
    CREATE,
    DELETE,
    DELETE_CONFIRMED,
    EDIT,
    FIELDS,
    NEW_FORM,
    TEXT_MAX,
    confirmation_card,
    entry_card,
    form_card,
    list_card,
    nudge_card,
)

POST = "nudges.post"


class NudgeSettings(EnvSettings):
    quiet_hours: str = Field(
        "20:00-08:00",
        alias="QUIET_HOURS",
        description="daily window with no nudges, e.g. 20:00-08:00 (Asia/Tokyo); nudges inside it wait for its end",
    )

    @field_validator("quiet_hours")
    @classmethod
    def _window(cls, value: str) -> str:
        return quiet_hours_text(value)


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
    at = parse_clock(data.get("time"))
    if at is None:
        errors["time"] = t("nudges.error.time", lang)
    kind = next((k for k in Kind if k.value == data.get("kind")), None)
    weekdays, day, on = _weekdays(data.get("weekdays")), _day(data.get("day")), parse_date(data.get("date"))
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
    turn: Turn, quiet: QuietHours, values: Mapping[str, str], errors: Mapping[str, str] | None = None
) -> InvokeBody:
    nudge_id = turn.data.get("nudge_id") if isinstance(turn.data.get("nudge_id"), str) else None
    name, title = (EDIT, "nudges.dialog.edit") if nudge_id else (CREATE, "nudges.dialog.create")
    # Control characters (NUL…) can't be seen to be deleted: the re-shown form drops them, the error says why.
    values = {field: without_controls(value) for field, value in values.items()}
    card = form_card(turn.lang, values, errors, dialog=name, nudge_id=nudge_id, quiet=quiet)
    return InvokeBody(task_form(card, t(title, turn.lang), height="large"))


class Nudges(Feature):
    name = "nudges"
    settings = NudgeSettings
    tables = (nudges,)
    introduction = "nudges.introduction"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        quiet = QuietHours.parse(ctx.feature_settings(NudgeSettings).quiet_hours)
        self.service = NudgeService(ctx.engine, ctx.preferences, ctx.tz, quiet=quiet)

    async def start_up(self) -> None:
        """Every nudge with a next delivery has its timed work (re-planned from the table, whatever was lost)."""
        for nudge in await self.service.upcoming():
            await self.ctx.timed.ensure(POST, nudge.nudge_id, nudge.next_run_at)

    # ---- finding the nudge a button names ---------------------------------------------------------------------
    async def _changeable(self, turn: Turn, *, muting: bool = False) -> Nudge:
        """The nudge a button names, if this user may change it: its creator, an admin, or — to mute (pause) or
        unmute it in a channel — an owner of the team."""
        nudge = await self.service.find(
            turn.data.get("nudge_id"), turn.conversation.conversation_id, turn.conversation.tenant_id
        )
        if nudge is None:
            raise Refusal("nudges.unknown")
        roles = Role.CREATOR | Role.ADMIN | (Role.TEAM_OWNER if muting else Role(0))
        await self.ctx.policy.require(turn, roles, owner=nudge.creator_key, refusal="nudges.not_allowed")
        return nudge

    async def _sync(self, nudge: Nudge | None) -> None:
        """The nudge's timed work follows its next delivery (none: a one-off is over, or it was deleted)."""
        if nudge is not None and nudge.next_run_at is not None:
            await self.ctx.timed.plan(POST, nudge.nudge_id, nudge.next_run_at)

    # ---- commands and buttons ---------------------------------------------------------------------------------
    @command("ナッジ", "nudge", help="nudges.command.nudge", offer=EVERYWHERE)
    async def show_entry(self, turn: Turn) -> Outcome:
        return Say(card=entry_card(turn.lang, personal=turn.personal))

    async def _list(self, turn: Turn, **shown: Any) -> dict[str, Any]:
        found = await self.service.in_conversation(turn.conversation.conversation_id, turn.conversation.tenant_id)
        return list_card(turn.lang, found, self.service.tz, **shown)

    @command("ナッジ 一覧", "nudge list", help="nudges.command.list")
    async def show_list(self, turn: Turn) -> Outcome:
        return Say(card=await self._list(turn))

    @verb("nudge.list")
    async def refresh_list(self, turn: Turn) -> Outcome:
        return Refresh(await self._list(turn), shared=True)

    @command("ナッジ 停止", "nudge snooze", help="nudges.command.snooze")
    @verb("nudge.snooze")
    async def snooze(self, turn: Turn) -> Outcome:
        """Only a 1:1 chat can be snoozed: a channel's nudges are shared, so one member can't silence them."""
        if not turn.personal:
            raise Refusal("nudges.snooze_personal_only")
        until = await self.service.snooze(turn.user_key, turn.conversation.tenant_id, self.ctx.clock.now())
        return Notify(t("nudges.snoozed", turn.lang, until=moment_text(until, turn.lang, self.service.tz)))

    async def _set_paused(self, turn: Turn, paused: bool) -> Outcome:
        nudge = await self._changeable(turn, muting=True)
        await self._sync(await self.service.set_paused(nudge, paused, self.ctx.clock.now()))
        return Refresh(await self._list(turn), shared=True)

    @verb("nudge.pause")
    async def pause(self, turn: Turn) -> Outcome:
        return await self._set_paused(turn, True)

    @verb("nudge.resume")
    async def resume(self, turn: Turn) -> Outcome:
        return await self._set_paused(turn, False)

    @verb(DELETE)
    async def ask_to_delete(self, turn: Turn) -> Outcome:
        """削除 asks first, in the clicker's own view of the list (nothing changes for anyone else yet)."""
        nudge = await self._changeable(turn)
        return Refresh(await self._list(turn, confirming=nudge.nudge_id))

    @verb(DELETE_CONFIRMED)
    async def delete(self, turn: Turn) -> Outcome:
        """Deleted: everyone's list drops it and says which nudge went."""
        nudge = await self._changeable(turn)
        await self.service.delete(nudge)
        await self.ctx.timed.cancel(POST, nudge.nudge_id)
        return Refresh(await self._list(turn, deleted=nudge), shared=True)

    # ---- the dialog -------------------------------------------------------------------------------------------
    @dialog(CREATE, "fetch")
    @dialog(EDIT, "fetch")
    async def open_form(self, turn: Turn) -> Outcome:
        if "nudge_id" not in turn.data:
            return _form(turn, self.service.quiet, NEW_FORM)
        nudge = await self._changeable(turn)
        return _form(turn, self.service.quiet, form_values(nudge.text, nudge.schedule))

    @dialog(CREATE, "submit")
    @dialog(EDIT, "submit")
    async def submit_form(self, turn: Turn) -> Outcome | list[Outcome]:
        editing = await self._changeable(turn) if "nudge_id" in turn.data else None
        values = {name: text for name in FIELDS if (text := scalar_text(turn.data.get(name))) is not None}
        if turn.data.get("apply_template"):
            chosen = template(values.get("template", ""))
            if chosen is not None:
                values |= form_values(t(f"nudges.template.{chosen.key}.text", turn.lang), chosen.schedule)
            return _form(turn, self.service.quiet, values)
        now = self.ctx.clock.now().astimezone(self.service.tz)
        draft, errors = parse_form(turn.data, turn.lang, now)
        if draft is None:
            return _form(turn, self.service.quiet, values, errors)
        if editing is None:
            origin = Origin(
                user_key=turn.user_key,
                tenant_id=turn.conversation.tenant_id,
                conversation_id=turn.conversation.conversation_id,
                conversation_type=turn.conversation.conversation_type,
                lang=turn.lang,
            )
            saved: Nudge | None = await self.service.create(origin, draft, now, turn.new_id("nudge"))
        else:
            saved = await self.service.edit(editing, draft, now)
        if saved is None:
            raise Refusal("nudges.unknown")
        await self._sync(saved)
        card = confirmation_card(turn.lang, saved, self.service.tz, updated=editing is not None)
        return [InvokeBody(task_message(t("nudges.saved", turn.lang))), Say(card=card)]

    # ---- the due run ------------------------------------------------------------------------------------------
    @timed(POST)
    async def post_due(self, item: DueItem) -> datetime | None:
        """Post the nudge if its rules allow it now (once per occurrence), and say when it is due next."""
        nudge = await self.service.nudge(item.item)
        if nudge is None:
            return None  # deleted
        now = self.ctx.clock.now()
        due = await self.service.due(nudge, now)
        sent_at = None
        if due.post:
            activity = card_message(nudge_card(nudge))
            delivery = await self.ctx.sender.post(nudge.conversation_id, activity, once=item.key)
            if delivery.transient:
                raise RetryLater(f"nudge not delivered: {delivery.error}")
            sent_at = now if delivery.sent else None
        await self.service.planned(nudge, due.following, sent_at=sent_at)
        return due.following
