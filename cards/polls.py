"""Poll cards: the shared card (totals as text, `cards.poll_results`), a voter's own view of it, the creator's
tools, the dialog form and its preview, and the entry card of the 「投票」 command."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.polls.model import (
    MAX_OPTIONS,
    OPTION_MAX,
    PRIVACY_THRESHOLD,
    QUESTION_MAX,
    REFRESHED_VOTERS,
    Poll,
    Status,
    Tally,
    Visibility,
)
from bot.timetext import moment_text
from cards.base import (
    HEADING_RUN,
    Card,
    card,
    execute,
    field_error,
    heading,
    label,
    literal,
    marked,
    number_value,
    paragraph,
    subheading,
)
from cards.poll_repeat import repeat_section
from cards.poll_results import example_poll, results, shows_totals

DIALOG = "createPoll"  # the dialog, and the message extension's command id (manifest)
VOTE, VIEW, MANAGE, DETAILS = "poll.vote", "poll.view", "poll.manage", "poll.details"
CLOSE, REOPEN, NON_VOTERS = "poll.close", "poll.reopen", "poll.non_voters"
REMIND_THREAD, REMIND_PERSONAL, EXPORT = "poll.remind_thread", "poll.remind_personal", "poll.export"
FIELDS = ("question", "options", "multi", "max_choices", "anonymous", "visibility", "date", "time", "remind")
NEW_FORM: Mapping[str, str] = {"multi": "false", "anonymous": "false", "visibility": Visibility.LIVE.value}
DEFAULT_ZONE = ZoneInfo("Asia/Tokyo")  # the bot's `TZ` unless configured otherwise
NAMES_SHOWN = 30  # names listed on a card before "and n more"


def dialog_button(title: str, **data: Any) -> dict[str, Any]:
    """Action.Submit that opens the poll dialog (task/fetch)."""
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"msteams": {"type": "task/fetch"}, "dialog": DIALOG, **data},
    }


def vote_action(title: str, data: dict[str, Any]) -> dict[str, Any]:
    """Action.Execute for a vote; its Action.Submit fallback says so, because an older client would show a
    refreshed card to everyone in the chat, not only to the voter (the handler then answers without one)."""
    action = execute(title, VOTE, data)
    action["fallback"]["data"]["via"] = "submit"
    return action


def zone_name(tz: ZoneInfo, lang: str) -> str:
    """How a card names the bot's time zone: 日本時間 / Japan time (JST) for Asia/Tokyo, else the local time of the
    zone's city in words (New Yorkの現地時間 / New York time), never a raw id such as America/New_York."""
    if tz.key == DEFAULT_ZONE.key:
        return t("polls.zone.tokyo", lang)
    return t("polls.zone.other", lang, city=tz.key.rpartition("/")[2].replace("_", " "))


def deadline_text(moment: datetime, lang: str, tz: ZoneInfo = DEFAULT_ZONE) -> str:
    """The deadline in the bot's zone; outside Japan the zone is named after it (Japanese readers assume 日本時間)."""
    text = moment_text(moment, lang, tz)
    return text if tz.key == DEFAULT_ZONE.key else f"{text} ({zone_name(tz, lang)})"


def _meta(poll: Poll, lang: str, tz: ZoneInfo = DEFAULT_ZONE) -> str:
    parts = [
        t("polls.meta.multi", lang, max=poll.limit) if poll.multi else t("polls.meta.single", lang),
        t("polls.meta.anonymous" if poll.anonymous else "polls.meta.named", lang),
        t(f"polls.visibility.{poll.visibility}", lang),
    ]
    if poll.deadline is not None:
        parts.append(t("polls.meta.deadline", lang, deadline=deadline_text(poll.deadline, lang, tz)))
    return " · ".join(parts)


def _vote_controls(poll: Poll, lang: str, mine: Sequence[int], ticket: str | None = None) -> list[dict[str, Any]]:
    """Single choice: a button per option, ✓ on the chosen one; multiple: ticks (the chosen ones ticked) and a
    button that says whether it votes or changes the vote."""
    ids = {"poll_id": poll.poll_id, **({"ticket": ticket} if ticket else {})}
    if not poll.multi:
        return [
            {"type": "ActionSet", "actions": [vote_action(marked(option, i in mine), {**ids, "choice": i})]}
            for i, option in enumerate(poll.options)
        ]
    choices = {
        "type": "Input.ChoiceSet",
        "id": "choices",
        "isMultiSelect": True,
        "style": "expanded",
        "wrap": True,
        "label": t("polls.card.choose", lang, max=poll.limit),
        "value": ",".join(str(i) for i in mine),
        "choices": [{"title": option, "value": str(i)} for i, option in enumerate(poll.options)],
    }
    title = t("polls.button.change" if mine else "polls.button.vote", lang)
    return [choices, {"type": "ActionSet", "actions": [vote_action(title, ids)]}]


def _change_hint(poll: Poll, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    """How to change an answer, as this poll allows it: another button or new ticks, until the deadline if any."""
    how = "multi" if poll.multi else "single"
    if poll.deadline is None:
        return paragraph(t(f"polls.card.change_hint.{how}", lang), subtle=True)
    until = deadline_text(poll.deadline, lang, tz)
    return paragraph(t(f"polls.card.change_hint.{how}_until", lang, deadline=until), subtle=True)


def refresh_for(poll: Poll, lang: str, people: Sequence[str]) -> dict[str, Any]:
    """Universal Actions' `refresh`: Teams asks the bot for each viewer's own card (their choice marked) whenever
    it shows the poll. In chats of up to 60 members it does so for everyone; beyond, only for `people` (Teams
    ids, at most 60: the named poll's voters; never an anonymous poll's)."""
    refresh: dict[str, Any] = {"action": execute(t("polls.button.my_view", lang), VIEW, {"poll_id": poll.poll_id})}
    if people:
        refresh["userIds"] = list(people[:REFRESHED_VOTERS])
    return refresh


def _title(poll: Poll, lang: str, tz: ZoneInfo, label_key: str = "polls.card.label") -> list[dict[str, Any]]:
    """What kind of card this is, marked as its heading (the question, typed by a person, is shown as written:
    a TextRun, which can't be marked as a heading), then the question and the poll's rules."""
    body = [
        label(t(label_key, lang)),
        literal(poll.question, **HEADING_RUN),
        paragraph(_meta(poll, lang, tz), subtle=True),
    ]
    if not poll.is_open:
        body.append({"type": "TextBlock", "text": t("polls.card.closed", lang), "weight": "Bolder", "wrap": True})
    return body


def _body(poll: Poll, tally: Tally, lang: str, threshold: int, tz: ZoneInfo = DEFAULT_ZONE) -> list[dict[str, Any]]:
    return _title(poll, lang, tz) + results(poll, tally, lang, threshold=threshold)


def poll_card(
    poll: Poll,
    tally: Tally,
    lang: str | None = None,
    mine: Sequence[int] | None = None,
    *,
    threshold: int = PRIVACY_THRESHOLD,
    ticket: str | None = None,
    tz: ZoneInfo = DEFAULT_ZONE,
    refreshed_for: Sequence[str] = (),
    creator: bool = False,
) -> Card:
    """The poll in the conversation.

    Without `mine` it is the shared card everybody is sent: it asks Teams to refresh it into each viewer's own
    view (`refresh_for`; `refreshed_for` are the Teams ids listed for large chats) and offers 「自分の回答を表示」
    to anyone Teams did not refresh it for. With `mine` (a viewer's own choices, maybe none) it is that viewer's
    view: their choice marked on the buttons or ticks and said in words, the creator's buttons only for the
    `creator`, the same totals.

    With a `ticket` (`PollService.ticket`) it is the copy in a person's 1:1 chat: its vote buttons carry the
    ticket, and it has no details/creator buttons (those work only in the poll's own conversation)."""
    lang = lang or poll.lang
    body = _body(poll, tally, lang, threshold, tz)
    if mine:
        chosen = t("polls.card.separator", lang).join(poll.options[i] for i in mine)
        body.append(literal(t("polls.card.mine", lang, choices=chosen), color="Good", weight="Bolder"))
        if poll.is_open:
            body.append(_change_hint(poll, lang, tz))
    if poll.is_open:
        body += _vote_controls(poll, lang, mine or (), ticket)
    if ticket is not None:
        return card(body, [], lang)
    ids = {"poll_id": poll.poll_id}
    shared = mine is None
    actions = []
    if shared or creator:
        actions = [] if poll.anonymous else [execute(t("polls.button.details", lang), DETAILS, ids)]
        actions.append(execute(t("polls.button.manage", lang), MANAGE, ids))
    if shared:
        actions.append(execute(t("polls.button.my_view", lang), VIEW, ids))
    return card(body, actions, lang, refresh=refresh_for(poll, lang, refreshed_for))


def _names(names: Sequence[str], lang: str) -> str:
    shown = t("polls.card.separator", lang).join(names[:NAMES_SHOWN]) or t("polls.card.nobody", lang)
    more = len(names) - NAMES_SHOWN
    return shown + (t("polls.card.more", lang, count=more) if more > 0 else "")


def _section(title: str, *items: dict[str, Any]) -> list[dict[str, Any]]:
    return [{**subheading(title), "separator": True}, *items]


def creator_card(
    poll: Poll,
    tally: Tally,
    lang: str,
    *,
    details: Sequence[tuple[str, str, int]] | None = None,
    non_voters: Sequence[str] | None = None,
    export_url: str | None = None,
    threshold: int = PRIVACY_THRESHOLD,
    tz: ZoneInfo = DEFAULT_ZONE,
) -> Card:
    """What only the creator sees: results whatever the visibility, who chose what (named polls; then the card is
    headed as the details), who has not voted yet with ways to remind them, the export link, repeating (folded:
    `cards.poll_repeat`), closing and reopening."""
    ids = {"poll_id": poll.poll_id}
    label = "polls.details.heading" if details is not None else "polls.manage.title"
    body = _title(poll, lang, tz, label) + results(poll, tally, lang, creator=True, threshold=threshold)
    if details is not None:
        facts = [
            {"title": option, "value": _names([name for _, name, choice in details if choice == i], lang)}
            for i, option in enumerate(poll.options)
        ]
        body += _section(t("polls.details.title", lang), {"type": "FactSet", "facts": facts})
    if non_voters is not None:
        body += _section(t("polls.non_voters.title", lang, count=len(non_voters)), paragraph(_names(non_voters, lang)))
        if non_voters and poll.is_open:
            reminders = [
                execute(t("polls.button.remind_thread", lang), REMIND_THREAD, ids),
                execute(t("polls.button.remind_personal", lang), REMIND_PERSONAL, ids),
            ]
            body.append({"type": "ActionSet", "actions": reminders})
    if export_url is not None:
        download = {"type": "Action.OpenUrl", "title": t("polls.button.download", lang), "url": export_url}
        body += [paragraph(t("polls.export.ready", lang), subtle=True), {"type": "ActionSet", "actions": [download]}]
    body += repeat_section(poll, lang, zone_name(tz, lang))
    actions = [
        execute(t("polls.button.close", lang), CLOSE, ids)
        if poll.is_open
        else execute(t("polls.button.reopen", lang), REOPEN, ids)
    ]
    if not poll.anonymous:
        actions.append(execute(t("polls.button.details", lang), DETAILS, ids))
        if poll.conversation_type != "personal":
            actions.append(execute(t("polls.button.non_voters", lang), NON_VOTERS, ids))
    actions += [execute(t("polls.button.export", lang), EXPORT, ids), execute(t("polls.button.back", lang), VIEW, ids)]
    return card(body, actions, lang)


def entry_card(lang: str) -> Card:
    body = [heading(t("polls.entry.title", lang)), paragraph(t("polls.entry.body", lang))]
    return card(body, [dialog_button(t("polls.button.new", lang))], lang)


def form_card(
    lang: str,
    values: Mapping[str, str] = NEW_FORM,
    errors: Mapping[str, str] | None = None,
    *,
    tz: ZoneInfo = DEFAULT_ZONE,
) -> Card:
    """The dialog's form, filled with `values` (as the inputs send them), each error under its field; the hint
    names the zone the date and time are read in."""
    errors = errors or {}
    max_choices = values.get("max_choices", "")

    def choice(key: str, value: str) -> dict[str, str]:
        return {"title": t(key, lang), "value": value}

    fields: list[tuple[dict[str, Any], str]] = [
        (
            {
                "type": "Input.Text",
                "id": "question",
                "label": t("polls.form.question", lang),
                "placeholder": t("polls.form.question_placeholder", lang),
                "maxLength": QUESTION_MAX * 2,  # longer input reaches the check, which says what to fix
                "value": values.get("question", ""),
            },
            "question",
        ),
        (
            {
                "type": "Input.Text",
                "id": "options",
                "label": t("polls.form.options", lang, max=MAX_OPTIONS),
                "placeholder": t("polls.form.options_placeholder", lang),
                "isMultiline": True,
                "maxLength": (OPTION_MAX + 1) * MAX_OPTIONS * 8,
                "value": values.get("options", ""),
            },
            "options",
        ),
        (
            {
                "type": "Input.Toggle",
                "id": "multi",
                "title": t("polls.form.multi", lang),
                "valueOn": "true",
                "valueOff": "false",
                "value": values.get("multi", "false"),
            },
            "multi",
        ),
        (
            {
                "type": "Input.Number",
                "id": "max_choices",
                "label": t("polls.form.max_choices", lang),
                "min": 1,
                "max": MAX_OPTIONS,
                **number_value(max_choices),
            },
            "max_choices",
        ),
        (
            {
                "type": "Input.Toggle",
                "id": "anonymous",
                "title": t("polls.form.anonymous", lang),
                "valueOn": "true",
                "valueOff": "false",
                "value": values.get("anonymous", "false"),
            },
            "anonymous",
        ),
        (
            {
                "type": "Input.ChoiceSet",
                "id": "visibility",
                "label": t("polls.form.visibility", lang),
                "style": "expanded",
                "value": values.get("visibility", Visibility.LIVE.value),
                "choices": [choice(f"polls.visibility.{v.value}", v.value) for v in Visibility],
            },
            "visibility",
        ),
        (
            {
                "type": "Input.Date",
                "id": "date",
                "label": t("polls.form.date", lang),
                "placeholder": t("form.date_placeholder", lang),
                "value": values.get("date", ""),
            },
            "deadline",
        ),
        (
            {
                "type": "Input.Time",
                "id": "time",
                "label": t("polls.form.time", lang),
                "placeholder": t("form.time_placeholder", lang),
                "value": values.get("time", ""),
            },
            "time",
        ),
        (
            {
                "type": "Input.ChoiceSet",
                "id": "remind",
                "label": t("polls.form.remind", lang),
                "value": values.get("remind", "none"),
                "choices": [
                    choice("polls.remind.none", "none"),
                    choice("polls.remind.60", "60"),
                    choice("polls.remind.1440", "1440"),
                ],
            },
            "remind",
        ),
    ]
    body: list[dict[str, Any]] = []
    for element, name in fields:
        body += [element, *field_error(errors.get(name))]
    body.append(paragraph(t("polls.form.deadline_hint", lang, zone=zone_name(tz, lang)), subtle=True))
    preview = {
        "type": "Action.Submit",
        "title": t("polls.button.preview", lang),
        "style": "positive",
        "data": {"dialog": DIALOG, "step": "preview"},
    }
    return card(body, [preview], lang)


def preview_card(
    poll: Poll,
    tally: Tally,
    values: Mapping[str, str],
    *,
    threshold: int = PRIVACY_THRESHOLD,
    tz: ZoneInfo = DEFAULT_ZONE,
) -> Card:
    """The poll as it will be posted (without its buttons), with Post and Edit; the form travels in the data."""
    lang = poll.lang
    items = _body(poll, tally, lang, threshold, tz)
    if not shows_totals(poll, tally, threshold=threshold):  # the options are listed with their totals otherwise
        items += [literal(f"• {option}") for option in poll.options]
    frame = {"type": "Container", "style": "emphasis", "items": items}
    kept = {name: values[name] for name in FIELDS if name in values}
    actions = [
        {
            "type": "Action.Submit",
            "title": t("polls.button.post", lang),
            "style": "positive",
            "data": {**kept, "dialog": DIALOG, "step": "post"},
        },
        {
            "type": "Action.Submit",
            "title": t("polls.button.edit", lang),
            "data": {**kept, "dialog": DIALOG, "step": "edit"},
        },
    ]
    return card([paragraph(t("polls.preview.title", lang), subtle=True), frame], actions, lang)


def reminder_card(
    poll: Poll,
    tally: Tally,
    lang: str,
    *,
    ticket: str | None = None,
    threshold: int = PRIVACY_THRESHOLD,
    tz: ZoneInfo = DEFAULT_ZONE,
) -> Card:
    """The 1:1 reminder: the question, the deadline, and the same vote buttons (votes count in the original;
    the `ticket` lets this person's votes from the 1:1 chat in)."""
    card_ = poll_card(poll, tally, lang, ticket=ticket, threshold=threshold, tz=tz)
    card_["body"].insert(0, paragraph(t("polls.reminder.personal", lang), subtle=True))
    return card_


def examples() -> list[Card]:
    """Every builder in both languages: the shared card and each person's own view (voted or not, the creator's),
    single/multi, named/anonymous, open/closed, hidden results, the privacy threshold, ten long Japanese options,
    form errors, the creator's tools with details and non-voters."""
    sample = example_poll()
    tally = Tally((3, 1, 0), 4)
    ten = replace(sample, options=[f"選択肢{i}: " + "長い説明文" * 18 for i in range(10)], multi=True, max_choices=3)
    ten_tally = Tally(tuple(range(10)), 20)
    anonymous = replace(sample, anonymous=True, visibility=Visibility.AFTER_CLOSE.value)
    closed = replace(anonymous, status=Status.CLOSED.value)
    creator_only = replace(sample, visibility=Visibility.CREATOR.value, deadline=None)
    details = [("a", "佐藤 花子", 0), ("b", "鈴木 一郎", 0), ("c", "Jane O'Neil", 1)]
    errors = ("question", "options", "max_choices", "deadline")
    cards: list[Card] = []
    for lang in ("ja", "en"):
        local = replace(sample, lang=lang)
        cards += [
            entry_card(lang),
            form_card(lang),
            form_card(lang, {"question": "", "options": "A"}, {key: t("polls.error.past", lang) for key in errors}),
            preview_card(local, Tally((0, 0, 0), 0), {"question": local.question, "options": "和食\n洋食\n中華"}),
            poll_card(local, tally),
            poll_card(local, tally, refreshed_for=[f"29:{i:040d}" for i in range(80)]),  # a large channel
            poll_card(local, tally, lang, mine=(0,)),
            poll_card(local, tally, lang, mine=(), creator=True),  # the creator's own view, not voted yet
            poll_card(replace(ten, lang=lang), ten_tally, lang, mine=(1, 2, 3)),
            poll_card(replace(ten, lang=lang, deadline=None), ten_tally, lang),
            poll_card(replace(closed, lang=lang, anonymous=False), tally, lang, mine=(1,)),
            poll_card(replace(anonymous, lang=lang), tally),
            poll_card(replace(anonymous, lang=lang), Tally((30, 20, 10), 60)),
            poll_card(replace(closed, lang=lang), Tally((30, 20, 10), 60)),
            poll_card(replace(creator_only, lang=lang), tally),
            creator_card(
                local,
                tally,
                lang,
                details=details,
                non_voters=["田中 次郎"] * 40,
                export_url="https://bot.example/x.csv",
            ),
            creator_card(replace(closed, lang=lang), tally, lang),
            reminder_card(local, tally, lang),
            reminder_card(local, tally, lang, ticket="f" * 64, threshold=3),
            form_card(lang, tz=ZoneInfo("America/New_York")),
            poll_card(local, tally, tz=ZoneInfo("Europe/London")),
            creator_card(local, tally, lang, tz=ZoneInfo("America/Los_Angeles")),
        ]
    return cards
