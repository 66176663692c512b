"""Polls in the conversation: the 「投票」/poll command (entry card or one-line form), the create dialog (also
the compose box's `createPoll` message extension), votes, and the creator's tools.

The dialog checks every field and re-shows the form with what to fix under each field; a valid form shows a
preview first, and only "Post" stores the poll and has the bot post it. Buttons name a poll by id: an unknown
id, a closed poll, an option that does not exist or a non-creator using the creator's tools gets a notice and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.numbers import whole_number
from bot.places import same_place
from bot.polls.export import export_path
from bot.polls.model import REMIND_BEFORE_MINUTES, Draft, Origin, Poll, Tally, Visibility
from bot.polls.oneliner import split_oneliner
from bot.polls.service import PollService
from bot.polls.validate import check
from bot.routes import InvokeBody, Notify, Outcome, Refresh, RouteTable, Say
from bot.text import has_controls, lines_normalized, scalar_text, visible, without_controls
from bot.turn import Turn
from cards import polls as cards
from cards.dialog import task_form, task_message
from dialogs.common import user_key
from dialogs.forms import form_date, form_time
from dialogs.polls_jobs import (
    non_voters,
    poll_service,
    post_poll,
    remind_in_thread,
    remind_personally,
    request_card_update,
)


def register(routes: RouteTable) -> None:
    routes.command("投票", "poll", description_key="polls.command.poll")(start)
    routes.dialog(cards.DIALOG, fetch=open_form, submit=submit_form)
    routes.verb(cards.VOTE)(vote)
    routes.verb(cards.VIEW)(view)
    routes.verb(cards.MANAGE)(manage)
    routes.verb(cards.DETAILS)(details)
    routes.verb(cards.CLOSE)(close)
    routes.verb(cards.REOPEN)(reopen)
    routes.verb(cards.NON_VOTERS)(show_non_voters)
    routes.verb(cards.REMIND_THREAD)(remind_thread)
    routes.verb(cards.REMIND_PERSONAL)(remind_personal)
    routes.verb(cards.EXPORT)(export)
    routes.verb(cards.REPEAT)(repeat)


def _threshold(turn: Turn) -> int:
    """Anonymous polls show no breakdown below this many ballots (`POLL_PRIVACY_THRESHOLD`)."""
    return turn.services.settings.poll_privacy_threshold


def _text(data: Mapping[str, Any], name: str) -> str:
    """A form or card value as text; "" when missing or of a type no input sends (a list, an object…)."""
    return scalar_text(data.get(name)) or ""


def _origin(turn: Turn) -> Origin:
    return Origin(
        user_key=user_key(turn),
        tenant_id=turn.place.tenant_id,
        conversation_id=turn.place.conversation_id,
        conversation_type=turn.place.conversation_type,
        service_url=turn.place.service_url,
        lang=turn.lang,
    )


# ---- form data ------------------------------------------------------------------------------------------------


def parse_form(data: Mapping[str, Any], lang: str, now: datetime) -> tuple[Draft | None, dict[str, str]]:
    """A checked poll, or the message for each field to fix. `now` is aware, in the bot's time zone."""
    question = visible(_text(data, "question"))
    options = [line for line in map(visible, lines_normalized(_text(data, "options")).split("\n")) if line]
    multi = _text(data, "multi").lower() == "true"
    errors: dict[str, str] = {}
    raw_max = _text(data, "max_choices").strip()
    max_choices = whole_number(raw_max)
    if raw_max and max_choices is None:
        errors["max_choices"] = t("polls.error.max_choices", lang, count=len(options))
    day, at = form_date(data.get("date")), form_time(data.get("time"))
    deadline = None
    if _text(data, "date").strip() and day is None:
        errors["deadline"] = t("polls.error.date", lang)
    if (_text(data, "time").strip() and at is None) or (at is not None and day is None):
        errors.setdefault("deadline", t("polls.error.date", lang))
    if day is not None:
        deadline = datetime.combine(day, at or time(17, 0), tzinfo=now.tzinfo)
    remind = _text(data, "remind").strip()
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
        anonymous=_text(data, "anonymous").lower() == "true",
        visibility=visibility,
        deadline=deadline,
        remind_before=remind_before,
    ), {}


def _form(turn: Turn, values: Mapping[str, str], errors: Mapping[str, str] | None = None) -> InvokeBody:
    """The form, re-shown with what was typed (control characters such as NUL removed: nobody can see them to
    delete them, so the form drops them and the error says why)."""
    card = cards.form_card(
        turn.lang,
        {name: without_controls(value) for name, value in values.items()},
        errors,
        tz=ZoneInfo(turn.services.settings.tz),
    )
    return InvokeBody(task_form(card, t("polls.dialog.create", turn.lang), height="large"))


# ---- creating ---------------------------------------------------------------------------------------------------
async def start(turn: Turn) -> Outcome | None:
    """「投票」 alone: the entry card; 「投票 質問 / 選択肢1 / 選択肢2」: post that poll right away."""
    if not turn.text:
        return Say(card=cards.entry_card(turn.lang))
    if has_controls(turn.text):
        return Notify("\n\n".join([t("polls.oneliner.control", turn.lang), t("polls.oneliner.usage", turn.lang)]))
    service = await poll_service(turn.services)
    question, options = split_oneliner(turn.text)
    problems = check(question, options, now=datetime.now(UTC))
    if problems:
        lines = [t(key, turn.lang, **params) for key, params in problems.values()]
        return Notify("\n\n".join([*lines, t("polls.oneliner.usage", turn.lang)]))
    origin = _origin(turn)
    posted = await post_poll(
        turn.services, service, origin, await service.create(origin, Draft(question, tuple(options)))
    )
    return None if posted else Notify(t("polls.post_failed", turn.lang))


async def open_form(turn: Turn) -> Outcome:
    return _form(turn, cards.NEW_FORM)


async def submit_form(turn: Turn) -> Outcome:
    values = {name: _text(turn.data, name) for name in cards.FIELDS if scalar_text(turn.data.get(name)) is not None}
    if turn.data.get("step") == "edit":
        return _form(turn, values)
    service = await poll_service(turn.services)
    draft, errors = parse_form(turn.data, turn.lang, datetime.now(service.tz))
    if draft is None:
        return _form(turn, values, errors)
    origin = _origin(turn)
    if turn.data.get("step") != "post":
        sketch = service.sketch(origin, draft)
        preview = cards.preview_card(
            sketch, Tally((0,) * len(sketch.options), 0), values, threshold=_threshold(turn), tz=service.tz
        )
        return InvokeBody(task_form(preview, t("polls.dialog.preview", turn.lang), height="large"))
    posted = await post_poll(turn.services, service, origin, await service.create(origin, draft))
    return InvokeBody(task_message(t("polls.posted" if posted else "polls.post_failed", turn.lang)))


# ---- voting -----------------------------------------------------------------------------------------------------
def _choices(data: Mapping[str, Any]) -> tuple[int, ...] | None:
    """The options a click names: `choice` (a single-select button) or `choices` ("0,2", a multi-select form);
    None for anything else (a list, an object, null, a fraction…)."""
    if "choice" in data:
        raw = [scalar_text(data["choice"])]
    else:
        choices = scalar_text(data.get("choices"))
        raw = None if choices is None else choices.split(",")
    if raw is None or None in raw:
        return None
    numbers = [whole_number(str(item)) for item in raw if str(item).strip()]
    if not numbers or None in numbers:
        return None
    return tuple(sorted({number for number in numbers if number is not None}))


def _here(turn: Turn, poll: Poll) -> bool:
    """Whether the turn is in the poll's own chat or channel (any thread of it) and tenant."""
    return same_place(poll.conversation_id, poll.tenant_id, turn.place.conversation_id, turn.place.tenant_id)


def _ticketed(turn: Turn, service: PollService, poll: Poll) -> bool:
    """A click on a personal reminder: in the voter's 1:1 chat, same tenant, with the ticket sent to them."""
    return (
        turn.place.conversation_type == "personal"
        and (poll.tenant_id or "") == (turn.place.tenant_id or "")
        and service.ticket_valid(poll.poll_id, user_key(turn), turn.data.get("ticket"))
    )


async def _poll(turn: Turn, service: PollService, *, ticketed: bool = False) -> Poll | Notify:
    """The poll a button names, only where it was posted (or, for votes, a person's own reminder): an id copied
    into another chat, channel, tenant or 1:1 finds a notice and changes nothing."""
    poll = await service.find(turn.data.get("poll_id"))
    if poll is None:
        return Notify(t("polls.vote.unknown", turn.lang))
    if not _here(turn, poll) and not (ticketed and _ticketed(turn, service, poll)):
        return Notify(t("polls.elsewhere", turn.lang))
    return poll


async def vote(turn: Turn) -> Outcome | None:
    service = await poll_service(turn.services)
    poll = await _poll(turn, service, ticketed=True)
    if isinstance(poll, Notify):
        return poll
    choices = _choices(turn.data)
    if choices is None:
        return Notify(t("polls.vote.invalid", turn.lang))
    result = await service.vote(poll, user_key(turn), turn.actor.name, choices, datetime.now(UTC))
    if result.problem is not None or result.poll is None or result.tally is None:
        return Notify(t(f"polls.vote.{result.problem}", turn.lang))
    request_card_update(turn.services, service, result.poll)
    if turn.data.get("via") == "submit":
        return None  # an older client: a refreshed card would replace the shared one for everybody
    ticket = None if _here(turn, poll) else service.ticket(poll.poll_id, user_key(turn))
    return Refresh(
        cards.poll_card(
            result.poll,
            result.tally,
            turn.lang,
            mine=result.choices,
            threshold=_threshold(turn),
            ticket=ticket,
            tz=service.tz,
        )
    )


async def view(turn: Turn) -> Outcome:
    """Back to the poll as this person sees it (their own choices marked)."""
    service = await poll_service(turn.services)
    poll = await _poll(turn, service, ticketed=True)
    if isinstance(poll, Notify):
        return poll
    mine = await service.ballot_of(poll, user_key(turn))
    ticket = None if _here(turn, poll) else service.ticket(poll.poll_id, user_key(turn))
    tally = await service.store.tally(poll)
    return Refresh(
        cards.poll_card(poll, tally, turn.lang, mine=mine, threshold=_threshold(turn), ticket=ticket, tz=service.tz)
    )


# ---- the creator's tools ----------------------------------------------------------------------------------------
async def _creators(turn: Turn) -> tuple[PollService, Poll] | Notify:
    service = await poll_service(turn.services)
    poll = await _poll(turn, service)
    if isinstance(poll, Notify):
        return poll
    if not service.is_creator(poll, user_key(turn)):
        return Notify(t("polls.creator_only", turn.lang))
    return service, poll


async def _tools(turn: Turn, service: PollService, poll: Poll, **extra: Any) -> Refresh:
    tally = await service.store.tally(poll)
    return Refresh(cards.creator_card(poll, tally, turn.lang, threshold=_threshold(turn), tz=service.tz, **extra))


async def manage(turn: Turn) -> Outcome:
    found = await _creators(turn)
    return found if isinstance(found, Notify) else await _tools(turn, *found)


async def details(turn: Turn) -> Outcome:
    found = await _creators(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    if poll.anonymous:
        return Notify(t("polls.details.anonymous", turn.lang))
    return await _tools(turn, service, poll, details=await service.store.named_ballots(poll.poll_id))


async def close(turn: Turn) -> Outcome:
    found = await _creators(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    closed = await service.close(poll, datetime.now(UTC))
    if closed is None:
        return Notify(t("polls.already_closed", turn.lang))
    request_card_update(turn.services, service, closed)
    return await _tools(turn, service, closed)


async def reopen(turn: Turn) -> Outcome:
    found = await _creators(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    reopened = await service.reopen(poll)
    if reopened is None:
        return Notify(t("polls.already_open", turn.lang))
    request_card_update(turn.services, service, reopened)
    return await _tools(turn, service, reopened)


async def _named_group_poll(turn: Turn) -> tuple[PollService, Poll] | Notify:
    found = await _creators(turn)
    if isinstance(found, Notify):
        return found
    if found[1].anonymous or found[1].conversation_type == "personal":
        return Notify(t("polls.non_voters.unavailable", turn.lang))
    return found


async def show_non_voters(turn: Turn) -> Outcome:
    found = await _named_group_poll(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    people = await non_voters(turn.services, service, poll)
    return await _tools(turn, service, poll, non_voters=[str(person.get("name") or "") for person in people])


async def remind_thread(turn: Turn) -> Outcome:
    """One message in the poll's thread that @mentions everyone who has not voted."""
    found = await _named_group_poll(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    people = await non_voters(turn.services, service, poll)
    if not people:
        return Notify(t("polls.reminded.nobody", turn.lang))
    delivery = await remind_in_thread(turn.services, turn.place.conversation_id, poll, people)
    return Notify(t("polls.reminded.thread" if delivery.sent else "polls.post_failed", turn.lang, count=len(people)))


async def remind_personal(turn: Turn) -> Outcome:
    """A 1:1 reminder to each non-voter who has the bot installed."""
    found = await _named_group_poll(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    people = await non_voters(turn.services, service, poll)
    sent, unreachable = await remind_personally(turn.services, service, poll, [p["aadObjectId"] for p in people])
    return Notify(t("polls.reminded.personal", turn.lang, sent=sent, unreachable=unreachable))


async def export(turn: Turn) -> Outcome:
    found = await _creators(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    base = turn.services.settings.browser_base_url
    if base is None:
        return Notify(t("polls.export.unavailable", turn.lang))
    url = base + export_path(service.export_key, poll.poll_id, datetime.now(UTC))
    return await _tools(turn, service, poll, export_url=url)


def parse_recurrence(data: Mapping[str, Any]) -> dict[str, Any] | str | None:
    """The repeat form: None (stop), a recurrence, or "invalid"."""
    kind = scalar_text(data.get("repeat_kind", "none"))
    if kind == "none":
        return None
    at = form_time(scalar_text(data.get("repeat_at")))
    weekday, day = whole_number(_text(data, "repeat_weekday")), whole_number(_text(data, "repeat_day"))
    if kind is None or at is None or kind not in {"weekly", "monthly"}:
        return "invalid"
    if kind == "weekly":
        return {"kind": kind, "at": f"{at:%H:%M}", "weekday": weekday} if weekday in range(7) else "invalid"
    return {"kind": kind, "at": f"{at:%H:%M}", "day": day} if day in range(1, 29) else "invalid"


async def repeat(turn: Turn) -> Outcome:
    found = await _creators(turn)
    if isinstance(found, Notify):
        return found
    service, poll = found
    recurrence = parse_recurrence(turn.data)
    if recurrence == "invalid":
        return Notify(t("polls.repeat.invalid", turn.lang))
    saved = await service.save_recurrence(poll, recurrence if isinstance(recurrence, dict) else None)
    return await _tools(turn, service, saved or poll)
