"""お知らせ配信: admins tell staff about a policy change and see who got it and who acknowledged it.

In their 1:1 chat, 「お知らせ」 shows an admin their drafts, the broadcasts waiting for their approval and the latest
reports. The dialog takes the content (with やさしい日本語 and English versions), 「確認しました」 with a deadline,
the audience and when; it saves a draft, previews the exact card, or counts the audience. The count arrives as a
card in their chat; from there it is sent, scheduled, or — for everyone, or more than the threshold — sent to a
second admin for approval (二者承認). Delivery is the durable outbox's (`bot.broadcasts.workers`), after every click
has been answered; the report card follows it live, and every delivered card can be corrected or recalled.

Timed work: `broadcasts.resolve` makes the frozen list, `broadcasts.start` starts a scheduled one,
`broadcasts.report` posts the report card, `broadcasts.remind` reminds those who have not acknowledged,
`broadcasts.tell` posts the previews, approval requests and decisions.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from pydantic import Field, field_validator

from bot.anonymity import purpose_key
from bot.broadcasts.audience import resolve
from bot.broadcasts.export import recipients_csv
from bot.broadcasts.model import (
    BODY_MAX,
    COMMENT_MAX,
    DEFAULT_APPROVAL_THRESHOLD,
    DELIVERED,
    EDITABLE,
    TITLE_MAX,
    AudienceKind,
    Broadcast,
    RowState,
    Status,
)
from bot.broadcasts.service import Author, BroadcastService, NotAllowed
from bot.broadcasts.tables import broadcast_acks, broadcast_recipients, broadcasts
from bot.card_updates import CardView
from bot.context import Context
from bot.feature import Feature, HttpRequest, HttpResponse, command, dialog, http, timed, verb
from bot.i18n import DEFAULT_LANGUAGE, t
from bot.links import signed_link, signed_params
from bot.permissions import Refusal, Role
from bot.routes import InvokeBody, Notify, Outcome, Refresh, Say
from bot.settings import EnvSettings, comma_ids
from bot.text import has_controls, scalar_text, visible_lines
from bot.timed import DueItem, RetryLater
from bot.turn import Turn
from cards import broadcast_forms as forms_cards
from cards import broadcasts as cards
from cards.base import card_message
from cards.dialog import task_form, task_message
from cards.download import download_card
from dialogs.broadcasts.delivery import Deliveries
from dialogs.broadcasts.directory import Team, TeamsDirectory
from dialogs.broadcasts.forms import parse_content, parse_form, typed_values

log = logging.getLogger(__name__)
RESOLVE, START, REPORT, REMIND, TELL = (
    "broadcasts.resolve",
    "broadcasts.start",
    "broadcasts.report",
    "broadcasts.remind",
    "broadcasts.tell",
)
EXPORT_ROUTE = "/broadcasts/export.csv"
UNREACHABLE_SHOWN = 30


class BroadcastSettings(EnvSettings):
    approval_threshold: int = Field(
        DEFAULT_APPROVAL_THRESHOLD,
        alias="BROADCAST_APPROVAL_THRESHOLD",
        ge=0,
        description="a broadcast to more people than this (or to everyone) needs a second admin's approval",
    )
    remind_before_hours: float = Field(
        24.0,
        alias="BROADCAST_REMIND_BEFORE_HOURS",
        gt=0,
        description="hours before an acknowledgement deadline when those who have not acknowledged are reminded",
    )
    author_limits: dict[str, frozenset[str]] = Field(
        default_factory=dict,
        alias="BROADCAST_AUTHOR_LIMITS",
        description='JSON: the only audiences some admins may address, e.g. {"<Entra id>": ["team:19:…@thread.tacv2", '
        '"group:<Entra group id>"]}; others are not limited',
    )

    @field_validator("author_limits", mode="before")
    @classmethod
    def _limits(cls, value: Any) -> dict[str, frozenset[str]]:
        found = json.loads(value) if isinstance(value, str) else value
        if not isinstance(found, dict) or not all(isinstance(scopes, list) for scopes in found.values()):
            raise ValueError('must be a JSON object of lists, e.g. {"<Entra id>": ["team:<team id>"]}')
        limits = {}
        for author, scopes in found.items():
            if any(not str(scope).startswith(("team:", "group:")) for scope in scopes):
                raise ValueError(f"{author}: each audience must start with team: or group:")
            limits[str(author).lower()] = comma_ids(scopes)
        return limits


class Broadcasts(Feature):
    name = "broadcasts"
    settings = BroadcastSettings
    tables = (broadcasts, broadcast_recipients, broadcast_acks)

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        own = ctx.feature_settings(BroadcastSettings)
        self.remind_before = timedelta(hours=own.remind_before_hours)
        self.service = BroadcastService(ctx.engine, threshold=own.approval_threshold, limits=own.author_limits)
        self.deliveries = Deliveries(ctx, self.service)
        self.workers = self.service.workers(
            ctx.instance.id, ctx.instance.alive, self.deliveries.handle, self._settled, ctx.clock
        )
        self.export_key = purpose_key(ctx.anonymity_key, "broadcasts-export")
        self._teams: dict[str, Team] = {}  # team names and channels, shared by the directories

    async def start_up(self) -> None:
        """Re-plan from the table (the database is the truth), then start delivering."""
        for broadcast in await self.service.in_status([Status.RESOLVING, Status.SCHEDULED, Status.SENDING]):
            if broadcast.status == Status.RESOLVING:
                await self.ctx.timed.ensure(RESOLVE, broadcast.broadcast_id, broadcast.updated_at)
            elif broadcast.status == Status.SCHEDULED:
                await self.ctx.timed.ensure(START, broadcast.broadcast_id, broadcast.send_at)
        self.workers.start()

    async def shut_down(self) -> None:
        await self.workers.stop()

    # ---- small helpers ---------------------------------------------------------------------------------------
    def _directory(self, tenant_id: str | None, lang: str) -> TeamsDirectory:
        return TeamsDirectory(self.ctx, tenant_id, self._teams, general=t("broadcasts.channel.general", lang))

    async def _admin(self, turn: Turn) -> Author:
        """The admin acting, in their 1:1 chat with the bot (where the bot reports back to them)."""
        await self.ctx.policy.require(turn, Role.ADMIN, refusal="broadcasts.admins_only")
        if not turn.personal:
            raise Refusal("broadcasts.personal_only")
        record = await self.ctx.conversations.get(turn.conversation.conversation_id)
        return Author(
            turn.user_key,
            turn.actor.name,
            turn.lang,
            turn.conversation.conversation_id,
            turn.conversation.tenant_id,
            turn.conversation.service_url,
            record.bot_id if record is not None else "",
        )

    async def _broadcast(self, turn: Turn, *statuses: Status) -> Broadcast:
        """The broadcast the click or dialog names, in this tenant (and in one of `statuses`)."""
        broadcast_id = scalar_text(turn.data.get("broadcast_id"))
        found = await self.service.broadcast(broadcast_id) if broadcast_id and len(broadcast_id) == 32 else None
        if found is None or found.tenant_id != turn.conversation.tenant_id:
            raise Refusal("broadcasts.unknown")
        if statuses and found.status not in statuses:
            raise Refusal("broadcasts.moved_on")
        return found

    def _own(self, turn: Turn, broadcast: Broadcast) -> None:
        if broadcast.author_key != turn.user_key:
            raise Refusal("broadcasts.not_author", name=broadcast.author_name)

    def _now(self) -> datetime:
        return self.ctx.clock.now()

    async def _tell(self, what: str, broadcast: Broadcast, key: str, **payload: Any) -> None:
        """Post a card to someone's 1:1 chat after the click is answered (timed work `broadcasts.tell`)."""
        item = f"{broadcast.broadcast_id}:{what}:{key}"
        await self.ctx.timed.plan(TELL, item, self._now(), {"what": what, **payload})

    # ---- the overview ----------------------------------------------------------------------------------------
    @command("お知らせ", "broadcast", "broadcasts", help="broadcasts.command.broadcast", audience=Role.ADMIN)
    async def overview(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        return Say(card=await self._overview(turn))

    async def _overview(self, turn: Turn) -> dict[str, Any]:
        tenant = turn.conversation.tenant_id
        mine = await self.service.recent(tenant, [*EDITABLE, Status.RESOLVING], 50)
        waiting = await self.service.recent(tenant, [Status.PENDING], 50)
        sent = await self.service.recent(tenant, [Status.SCHEDULED, *DELIVERED, Status.RECALLED], cards.LISTED)
        drafts = [b for b in mine if b.author_key == turn.user_key]
        asked = [b for b in waiting if b.author_key == turn.user_key]  # their own, until a second admin decides
        others = [b for b in waiting if b.author_key != turn.user_key]
        return cards.overview_card(turn.lang, drafts, others, sent, self.ctx.tz, asked=asked)

    # ---- the dialog ------------------------------------------------------------------------------------------
    async def _form(
        self,
        turn: Turn,
        author: Author,
        values: dict[str, str],
        errors: dict[str, str] | None = None,
        broadcast_id: str | None = None,
        note: str | None = None,
    ) -> InvokeBody:
        choices = await self._choices(turn, author)
        shown = forms_cards.compose_form(
            turn.lang, values, errors, choices=choices, broadcast_id=broadcast_id, note=note
        )
        return InvokeBody(task_form(shown, t("broadcasts.dialog.compose", turn.lang), height="large"))

    async def _choices(self, turn: Turn, author: Author) -> forms_cards.Choices:
        scopes = self.service.scopes(author.key)
        kinds = list(AudienceKind)
        if scopes is not None:
            kinds = [k for k in kinds if k != AudienceKind.EVERYONE]
            if not any(scope.startswith("group:") for scope in scopes):
                kinds.remove(AudienceKind.GROUP)
        if self.ctx.graph is None and AudienceKind.GROUP in kinds:
            kinds.remove(AudienceKind.GROUP)  # Entra groups are read through Graph
        teams = (
            None if scopes is None else {scope.removeprefix("team:") for scope in scopes if scope.startswith("team:")}
        )
        return await self._directory(turn.conversation.tenant_id, turn.lang).choices(kinds, teams)

    @dialog(cards.COMPOSE, "fetch")
    async def open_form(self, turn: Turn) -> Outcome:
        """A new broadcast, a draft to continue, or one prefilled by another feature (an adopted idea)."""
        author = await self._admin(turn)
        if turn.data.get("broadcast_id"):
            broadcast = await self._broadcast(turn, *EDITABLE)
            self._own(turn, broadcast)
            return await self._form(turn, author, self._values(broadcast), broadcast_id=broadcast.broadcast_id)
        prefill = {
            name: text[: (BODY_MAX if name == "body" else TITLE_MAX)]
            for name in ("title", "body")
            if (text := scalar_text(turn.data.get(f"prefill_{name}")))
        }
        return await self._form(turn, author, prefill)

    def _values(self, broadcast: Broadcast) -> dict[str, str]:
        return forms_cards.values_of(broadcast, lambda moment: moment.astimezone(self.ctx.tz))

    @dialog(cards.COMPOSE, "submit")
    async def submit_form(self, turn: Turn) -> Outcome:
        """save | preview | review (count the audience) | edit (back to the form) | send_me (the preview card)."""
        author = await self._admin(turn)
        step = scalar_text(turn.data.get("step")) or "save"
        saved = await self._broadcast(turn, *EDITABLE) if turn.data.get("broadcast_id") else None
        if saved is not None:
            self._own(turn, saved)
        saved_id = saved.broadcast_id if saved else None
        if "title" not in turn.data and saved is not None:  # a button of the preview: the saved draft as it is
            return await self._next(turn, author, step, saved)
        if step == "edit":
            return await self._form(turn, author, typed_values(turn.data), broadcast_id=saved_id)
        choices = await self._choices(turn, author)
        parsed, errors = parse_form(
            turn.data, turn.lang, self._now().astimezone(self.ctx.tz), choices, draft=step == "save"
        )
        if parsed is None:
            return await self._form(turn, author, typed_values(turn.data), errors, saved_id)
        try:
            broadcast = await self.service.save(
                author, parsed.content, parsed.audience, parsed.send_at, self._now(), saved
            )
        except NotAllowed as refused:
            errors = {"audience": t(str(refused), turn.lang)}
            return await self._form(turn, author, typed_values(turn.data), errors, saved_id)
        if broadcast is None:
            raise Refusal("broadcasts.moved_on")
        return await self._next(turn, author, step, broadcast)

    async def _next(self, turn: Turn, author: Author, step: str, broadcast: Broadcast) -> Outcome:
        if step == "edit":
            return await self._form(turn, author, self._values(broadcast), broadcast_id=broadcast.broadcast_id)
        if step == "preview":
            shown = forms_cards.preview_form(broadcast, turn.lang)
            return InvokeBody(task_form(shown, t("broadcasts.dialog.preview", turn.lang), height="large"))
        if step == "send_me":
            await self._tell("preview", broadcast, self._now().isoformat(), to=author.chat, lang=turn.lang)
            return InvokeBody(task_message(t("broadcasts.preview.sent", turn.lang)))
        if step == "review":
            values = self._values(broadcast)
            now = self._now().astimezone(self.ctx.tz)
            _, errors = parse_form(values, turn.lang, now, await self._choices(turn, author))
            if errors:  # a draft saved unfinished, or whose times have passed since
                return await self._form(turn, author, values, errors, broadcast.broadcast_id)
            counting = await self.service.review(broadcast, self._now())
            if counting is None:
                raise Refusal("broadcasts.moved_on")
            await self.ctx.timed.plan(RESOLVE, broadcast.broadcast_id, self._now(), {"lang": turn.lang})
            return InvokeBody(task_message(t("broadcasts.review.counting", turn.lang)))
        return InvokeBody(task_message(t("broadcasts.saved", turn.lang)))

    # ---- counting the audience, confirming -------------------------------------------------------------------
    @timed(RESOLVE)
    async def resolve_due(self, item: DueItem) -> None:
        """Make the frozen list (Teams rosters, Graph groups, who has a chat) and show the author its count."""
        broadcast = await self.service.broadcast(item.item)
        if broadcast is None or broadcast.status != Status.RESOLVING:
            return
        lang = broadcast.author_lang
        try:
            recipients, label = await resolve(broadcast.audience, self._directory(broadcast.tenant_id, lang))
        except Exception as error:
            if item.attempts < 3:
                raise RetryLater(f"audience not resolved: {error}") from error
            await self.service.back_to_draft(broadcast, Status.RESOLVING)
            shown = cards.notice(lang, "broadcasts.review.failed", reason=str(error)[:300])
            await self._post(broadcast.author_chat, shown, item.key)
            return
        ready = await self.service.resolved(broadcast, recipients, label, self._now())
        if ready is None:
            return
        directory = self._directory(broadcast.tenant_id, lang)
        shown = cards.confirm_card(ready, lang, can_install=directory.can_install, tz=self.ctx.tz)
        if not recipients:
            shown = cards.notice(lang, "broadcasts.review.nobody")
            await self.service.back_to_draft(ready, Status.READY)
        await self._post(broadcast.author_chat, shown, item.key)

    async def _post(self, conversation: str, shown: dict[str, Any], once: str) -> str | None:
        delivery = await self.ctx.sender.post(conversation, card_message(shown), once=once)
        if delivery.transient:
            raise RetryLater(f"card not posted: {delivery.error}")
        return delivery.activity_id

    @verb("broadcasts.confirm")
    async def confirm(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        broadcast = await self._broadcast(turn, Status.READY)
        self._own(turn, broadcast)
        moved = await self.service.confirm(broadcast, self._now())
        if moved is None:
            raise Refusal("broadcasts.moved_on")
        key, params = await self._moved(moved, turn)
        return Refresh(cards.notice(turn.lang, key, **params))

    async def _moved(self, broadcast: Broadcast, turn: Turn) -> tuple[str, dict[str, Any]]:
        """After a confirmation or approval: ask the approvers, plan the start, or start; and what to say."""
        if broadcast.status == Status.PENDING:
            asked = await self._ask_approvers(broadcast)
            return ("broadcasts.confirm.asked" if asked else "broadcasts.confirm.no_approver"), {"count": asked}
        if broadcast.status == Status.SCHEDULED:
            assert broadcast.send_at is not None
            await self.ctx.timed.plan(START, broadcast.broadcast_id, broadcast.send_at)
            await self._audit(turn, "broadcasts.schedule", broadcast)
            return "broadcasts.confirm.scheduled", {
                "when": cards.moment_text(broadcast.send_at, turn.lang, self.ctx.tz)
            }
        await self._started(broadcast, turn.user_key, turn.actor.name)
        return "broadcasts.confirm.started", {"count": f"{broadcast.recipients:,}"}

    async def _started(self, broadcast: Broadcast, by_key: str, by_name: str) -> None:
        """Sending started: the workers take it from here; the report card and the reminder are planned."""
        self.workers.wake()
        now = self._now()
        await self.ctx.timed.plan(REPORT, broadcast.broadcast_id, now)
        deadline = broadcast.content.deadline
        if broadcast.content.ack and deadline is not None and deadline > now:
            remind_at = max(deadline - self.remind_before, now + (deadline - now) / 2)
            await self.ctx.timed.plan(REMIND, broadcast.broadcast_id, remind_at)
        details = {
            "title": broadcast.content.title,
            "recipients": broadcast.recipients,
            "audience": broadcast.audience.to_json(),
        }
        if broadcast.approver_name:
            details["approved_by"] = broadcast.approver_name
        await self.ctx.audit.record(self.name, "broadcasts.send", by_key, by_name, broadcast.broadcast_id, details)

    async def _audit(self, turn: Turn, action: str, broadcast: Broadcast, **details: Any) -> None:
        await self.ctx.audit.record(
            self.name,
            action,
            turn.user_key,
            turn.actor.name,
            broadcast.broadcast_id,
            {"title": broadcast.content.title, "recipients": broadcast.recipients, **details},
        )

    @timed(START)
    async def start_due(self, item: DueItem) -> None:
        """A scheduled broadcast's time has come (also after a restart: the plan is in the database)."""
        broadcast = await self.service.broadcast(item.item)
        if broadcast is None or broadcast.status != Status.SCHEDULED:
            return
        started = await self.service.start(broadcast, self._now())
        if started is not None:
            await self._started(started, started.author_key, started.author_name)

    # ---- 二者承認 ---------------------------------------------------------------------------------------------
    async def _ask_approvers(self, broadcast: Broadcast) -> int:
        """Post the approval request to every other admin the bot can reach (listed, and in the admin group)."""
        admins = set(self.ctx.settings.admin_aad_object_ids)
        group = self.ctx.settings.admin_group_id
        if group and self.ctx.graph is not None:
            try:
                admins |= {user.id.lower() for user in await self.ctx.graph.transitive_members(group)}
            except Exception as error:  # the listed admins are still asked
                log.warning("admin group not read: %s", error)
        admins.discard(broadcast.author_key.lower())
        chats = await self.ctx.conversations.people(broadcast.tenant_id, admins)
        for chat in chats:
            lang = await self.ctx.languages.language(chat.aad_id, chat.locale)
            await self._tell("approval", broadcast, chat.aad_id, to=chat.conversation_id, lang=lang)
        return len(chats)

    @verb("broadcasts.approval")
    async def approval(self, turn: Turn) -> Outcome:
        """An admin opens a broadcast waiting for approval (from the overview)."""
        await self._admin(turn)
        broadcast = await self._broadcast(turn, Status.PENDING)
        return Refresh(cards.approval_card(broadcast, turn.lang, self.ctx.tz))

    @verb("broadcasts.approve")
    async def approve(self, turn: Turn) -> Outcome:
        return await self._decide(turn, approve=True)

    @verb("broadcasts.reject")
    async def reject(self, turn: Turn) -> Outcome:
        return await self._decide(turn, approve=False)

    async def _decide(self, turn: Turn, *, approve: bool) -> Outcome:
        approver = await self._admin(turn)
        broadcast = await self._broadcast(turn, Status.PENDING)
        raw = scalar_text(turn.data.get("comment")) or ""
        comment = visible_lines(raw)
        if has_controls(raw) or len(comment) > COMMENT_MAX:
            return Notify(t("broadcasts.approval.comment_invalid", turn.lang, max=COMMENT_MAX))
        if not approve and not comment:
            return Notify(t("broadcasts.approval.reason_required", turn.lang))
        try:
            decide = self.service.approve if approve else self.service.reject
            decided = await decide(broadcast, approver, comment, self._now())
        except NotAllowed as refused:
            raise Refusal(str(refused)) from None
        if decided is None:
            raise Refusal("broadcasts.moved_on")
        action = "broadcasts.approve" if approve else "broadcasts.reject"
        await self._audit(turn, action, decided, comment=comment)
        await self._tell("decision", decided, action, to=decided.author_chat, lang=decided.author_lang)
        if not approve:
            return Refresh(cards.notice(turn.lang, "broadcasts.approval.rejected"))
        key, params = await self._moved(decided, turn)
        return Refresh(cards.notice(turn.lang, key, **params))

    @timed(TELL)
    async def tell_due(self, item: DueItem) -> None:
        """A preview, an approval request or a decision, posted to someone's 1:1 chat (once)."""
        broadcast = await self.service.broadcast(item.item.partition(":")[0])
        if broadcast is None:
            return
        what, lang = item.payload["what"], str(item.payload.get("lang") or DEFAULT_LANGUAGE)
        if what == "preview":
            shown = cards.preview_card(broadcast, lang, self.ctx.tz)
        elif what == "approval":
            if broadcast.status != Status.PENDING:
                return
            shown = cards.approval_card(broadcast, lang, self.ctx.tz)
        else:
            shown = cards.decision_card(broadcast, lang, broadcast.status != Status.DRAFT, self.ctx.tz)
        await self._post(str(item.payload["to"]), shown, item.key)

    # ---- drafts ----------------------------------------------------------------------------------------------
    @verb("broadcasts.duplicate")
    async def duplicate(self, turn: Turn) -> Outcome:
        author = await self._admin(turn)
        broadcast = await self._broadcast(turn)
        await self.service.duplicate(broadcast, author, self._now())
        return Refresh(await self._overview(turn))

    @verb("broadcasts.delete")
    async def delete(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        broadcast = await self._broadcast(turn, *EDITABLE)
        self._own(turn, broadcast)
        if not await self.service.delete(broadcast):
            raise Refusal("broadcasts.moved_on")
        return Refresh(await self._overview(turn))

    # ---- delivery: the workers' reports ----------------------------------------------------------------------
    async def _settled(self, broadcast_ids: set[str]) -> None:
        """Rows of these broadcasts were delivered: bring their reports up to date; note the ones now done."""
        for broadcast_id in broadcast_ids:
            broadcast = await self.service.broadcast(broadcast_id)
            if broadcast is None:
                continue
            if broadcast.status == Status.SENDING:
                done = await self.service.finish_if_done(broadcast, self._now())
                if done is not None:
                    tally = await self.service.tally(broadcast_id)
                    details = {"sent": tally.sent, "failed": tally.failed, "not_installed": tally.not_installed}
                    await self.ctx.audit.record(self.name, "broadcasts.delivered", "bot", "", broadcast_id, details)
                    broadcast = done
            self._refresh_report(broadcast)

    def _refresh_report(self, broadcast: Broadcast) -> None:
        if broadcast.report_activity is None:
            return

        async def render() -> CardView:
            current = await self.service.broadcast(broadcast.broadcast_id) or broadcast
            tally = await self.service.tally(broadcast.broadcast_id)
            return CardView(cards.report_card(current, tally, current.author_lang, self._now(), tz=self.ctx.tz))

        self.ctx.cards.request(broadcast.author_chat, broadcast.report_activity, render)

    @timed(REPORT)
    async def report_due(self, item: DueItem) -> None:
        """The author's report card, followed while sending."""
        broadcast = await self.service.broadcast(item.item)
        if broadcast is None or broadcast.report_activity is not None:
            return
        tally = await self.service.tally(broadcast.broadcast_id)
        shown = cards.report_card(broadcast, tally, broadcast.author_lang, self._now(), tz=self.ctx.tz)
        activity = await self._post(broadcast.author_chat, shown, item.key)
        if activity is not None:
            changed = await self.service.report_posted(broadcast, activity)
            if changed is not None:
                self._refresh_report(changed)  # what was delivered while it was being posted

    @verb("broadcasts.report")
    async def report(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        broadcast = await self._broadcast(turn)
        tally = await self.service.tally(broadcast.broadcast_id)
        return Refresh(cards.report_card(broadcast, tally, turn.lang, self._now(), tz=self.ctx.tz))

    @verb("broadcasts.unreachable")
    async def unreachable(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        broadcast = await self._broadcast(turn)
        rows = await self.service.rows(broadcast.broadcast_id, RowState.NOT_INSTALLED, RowState.FAILED)
        return Say(card=cards.unreachable_card(broadcast, rows[:UNREACHABLE_SHOWN], len(rows), turn.lang))

    # ---- correcting and recalling ----------------------------------------------------------------------------
    @dialog(cards.EDIT, "fetch")
    async def open_correction(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        broadcast = await self._broadcast(turn, Status.SCHEDULED, *DELIVERED)
        values = {k: v for k, v in self._values(broadcast).items() if k in forms_cards.CONTENT_FIELDS}
        shown = forms_cards.correction_form(turn.lang, values, broadcast.broadcast_id)
        return InvokeBody(task_form(shown, t("broadcasts.dialog.correct", turn.lang), height="large"))

    @dialog(cards.EDIT, "submit")
    async def correct(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        broadcast = await self._broadcast(turn, Status.SCHEDULED, *DELIVERED)
        content, errors = parse_content(turn.data, turn.lang)
        if content is None:
            values = typed_values(turn.data)
            shown = forms_cards.correction_form(turn.lang, values, broadcast.broadcast_id, errors)
            return InvokeBody(task_form(shown, t("broadcasts.dialog.correct", turn.lang), height="large"))
        corrected = await self.service.edit(broadcast, content, self._now())
        if corrected is None:
            raise Refusal("broadcasts.moved_on")
        await self._audit(turn, "broadcasts.edit", corrected, version=corrected.version)
        self.workers.wake()
        self._refresh_report(corrected)
        return InvokeBody(task_message(t("broadcasts.edit.done", turn.lang)))

    @verb("broadcasts.recall")
    async def recall(self, turn: Turn) -> Outcome:
        """Two clicks: the report asks once more, then every delivered card says the broadcast was recalled."""
        await self._admin(turn)
        broadcast = await self._broadcast(turn, Status.SCHEDULED, *DELIVERED)
        tally = await self.service.tally(broadcast.broadcast_id)
        if scalar_text(turn.data.get("confirm")) != "1":
            return Refresh(
                cards.report_card(broadcast, tally, turn.lang, self._now(), confirm_recall=True, tz=self.ctx.tz)
            )
        recalled = await self.service.recall(broadcast, self._now())
        if recalled is None:
            raise Refusal("broadcasts.moved_on")
        await self.ctx.timed.cancel(START, broadcast.broadcast_id)
        await self.ctx.timed.cancel(REMIND, broadcast.broadcast_id)
        await self._audit(turn, "broadcasts.recall", recalled, delivered=tally.sent)
        self.workers.wake()
        tally = await self.service.tally(broadcast.broadcast_id)
        return Refresh(cards.report_card(recalled, tally, turn.lang, self._now(), tz=self.ctx.tz))

    # ---- recipients: acknowledge, read another version -------------------------------------------------------
    async def _received(self, turn: Turn) -> tuple[Broadcast, str]:
        """The broadcast a recipient clicked on, if it reached them here: their segment (team) for the report."""
        broadcast = await self._broadcast(turn)
        if turn.data.get("preview"):
            raise Refusal("broadcasts.preview.no_effect")
        if broadcast.status not in DELIVERED and broadcast.status != Status.RECALLED:
            raise Refusal("broadcasts.unknown")
        row = await self.service.received(broadcast.broadcast_id, turn.user_key, turn.place)
        if row is None or row.state != RowState.SENT:
            raise Refusal("broadcasts.not_recipient")
        return broadcast, row.segment

    @verb(cards.ACK)
    async def acknowledge(self, turn: Turn) -> Outcome:
        """「確認しました」: recorded once per person; the card shows 確認済み with the time of the first click."""
        broadcast, segment = await self._received(turn)
        if broadcast.recalled:
            return Refresh(cards.recalled_card(turn.lang))
        if not broadcast.content.ack:
            raise Refusal("broadcasts.unknown")
        acked_at = await self.service.acknowledge(
            broadcast.broadcast_id, turn.user_key, turn.actor.name, segment, self._now()
        )
        self._refresh_report(broadcast)
        view = scalar_text(turn.data.get("view"))
        return Refresh(cards.broadcast_card(broadcast, turn.lang, view=view, acked_at=acked_at, tz=self.ctx.tz))

    @verb(cards.READ)
    async def read(self, turn: Turn) -> Outcome:
        """The other versions: やさしい日本語, English, Japanese (the reader's own view of the card)."""
        broadcast, _ = await self._received(turn)
        acked_at = await self.service.acknowledged_at(broadcast.broadcast_id, turn.user_key)
        view = scalar_text(turn.data.get("view"))
        return Refresh(cards.broadcast_card(broadcast, turn.lang, view=view, acked_at=acked_at, tz=self.ctx.tz))

    # ---- reminders -------------------------------------------------------------------------------------------
    @timed(REMIND)
    async def remind_due(self, item: DueItem) -> None:
        """Before the deadline: one reminder to each person who has not acknowledged, and a summary for the author."""
        broadcast = await self.service.broadcast(item.item)
        if broadcast is None or broadcast.status not in DELIVERED or not broadcast.content.ack:
            return
        reminded = await self.service.remind(broadcast.broadcast_id, self._now())
        self.workers.wake()
        tally = await self.service.tally(broadcast.broadcast_id)
        shown = cards.summary_card(broadcast, tally, reminded, broadcast.author_lang)
        await self._post(broadcast.author_chat, shown, item.key)

    # ---- export ----------------------------------------------------------------------------------------------
    @verb("broadcasts.export")
    async def export_link(self, turn: Turn) -> Outcome:
        await self._admin(turn)
        broadcast = await self._broadcast(turn)
        base = self.ctx.settings.browser_base_url
        if base is None:
            raise Refusal("broadcasts.export.unavailable")
        params = {"broadcast": broadcast.broadcast_id, "by": turn.user_key, "name": turn.actor.name, "lang": turn.lang}
        link = signed_link(self.export_key, EXPORT_ROUTE, params, self._now())
        title = t("broadcasts.export.title", turn.lang)
        return Say(card=download_card(turn.lang, title, base + link, t("broadcasts.export.hint", turn.lang)))

    @http("GET", EXPORT_ROUTE)
    async def download_export(self, request: HttpRequest) -> HttpResponse:
        """The signed, 10-minute download of every recipient's state (audited)."""
        params = signed_params(self.export_key, EXPORT_ROUTE, request.query, self._now())
        if params is None:
            return HttpResponse(403, t("broadcasts.export.link_expired", request.query.get("lang", DEFAULT_LANGUAGE)))
        broadcast = await self.service.broadcast(params["broadcast"])
        if broadcast is None:
            return HttpResponse(404, t("broadcasts.unknown", params["lang"]))
        rows = await self.service.rows(broadcast.broadcast_id)
        acks = await self.service.acknowledgements(broadcast.broadcast_id)
        lang = params["lang"]
        body = recipients_csv(rows, acks, lambda key: t(f"broadcasts.{key}", lang), self.ctx.tz)
        await self.ctx.audit.record(
            self.name, "broadcasts.export", params["by"], params["name"], broadcast.broadcast_id, {"rows": len(rows)}
        )
        day = self._now().astimezone(self.ctx.tz).strftime("%Y%m%d")
        headers = {"Content-Disposition": f'attachment; filename="broadcast-{day}.csv"', "Cache-Control": "no-store"}
        return HttpResponse(200, body, "text/csv", headers)
