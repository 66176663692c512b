"""Idea box cards: an idea as the idea channel shows it, lists (popular, mine, search), the reviewers' queue, a
themed call, its summary, the weekly digest and the note that tells a submitter what became of their idea.

What people typed (titles, bodies, comments, answers) is shown as typed (`literal`), never as Markdown. An
anonymous idea shows no author anywhere; a pseudonymous one its pseudonym only.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.i18n import t
from bot.ideas.model import ANALOG, NEXT_STATUSES, AnalogAct, Call, Idea, Identity, Kind, Status
from bot.timetext import moment_text
from cards.base import Card, card, execute, facts, heading, label, literal, paragraph
from cards.broadcasts import COMPOSE as BROADCAST_COMPOSE

TOKYO = ZoneInfo("Asia/Tokyo")
BODY_SHOWN = 600  # characters of an idea's text on its card; the rest is one click away (comments dialog)
LISTED = 10


def dialog_button(title: str, dialog: str, **data: Any) -> dict[str, Any]:
    """Action.Submit that opens one of the idea box's dialogs (task/fetch)."""
    return {
        "type": "Action.Submit",
        "title": title,
        "data": {"msteams": {"type": "task/fetch"}, "dialog": dialog, **data},
    }


def day_text(moment: datetime, lang: str, tz: ZoneInfo = TOKYO) -> str:
    local = moment.astimezone(tz)
    return t("ideas.format.day", lang, year=local.year, month=local.month, day=local.day)


def stars(satisfaction: int, lang: str) -> str:
    """★★★☆☆ with the number in words beside it (the stars alone would say it by shape only)."""
    return (
        "★" * satisfaction + "☆" * (5 - satisfaction) + " " + t("ideas.card.satisfaction_of", lang, value=satisfaction)
    )


def author_text(idea: Idea, lang: str) -> str:
    if idea.identity == Identity.NAMED:
        return idea.author_name or ""
    if idea.identity == Identity.PSEUDONYMOUS:
        return t("ideas.card.pseudonym", lang, code=idea.pseudonym)
    return t("ideas.card.anonymous", lang)


def status_text(status: str, lang: str) -> str:
    return t(f"ideas.status.{status}", lang)


def _summary(idea: Idea, lang: str, tz: ZoneInfo) -> list[dict[str, Any]]:
    kind = t("ideas.kind.feedback", lang) if idea.kind == Kind.FEEDBACK else idea.category
    byline = f"{author_text(idea, lang)} · {day_text(idea.created_at, lang, tz)}"
    return [
        label(f"{kind} · {status_text(idea.status, lang)}"),
        literal(idea.title, size="Large", weight="Bolder"),
        literal(byline, isSubtle=True),
    ]


def _details(idea: Idea, lang: str) -> list[dict[str, Any]]:
    body = idea.body if len(idea.body) <= BODY_SHOWN else idea.body[:BODY_SHOWN] + "…"
    blocks: list[dict[str, Any]] = [literal(body)] if body else []
    pairs: list[tuple[str, str]] = []
    if idea.service:
        pairs.append((t("ideas.card.service", lang), idea.service))
    if idea.satisfaction:
        pairs.append((t("ideas.card.satisfaction", lang), stars(idea.satisfaction, lang)))
    rule = idea.analog_rule
    if rule is not None:
        pairs += [
            (t("ideas.card.rule", lang), f"{rule.rule} {rule.clause}".strip()),
            (t("ideas.card.act", lang), t(f"ideas.act.{rule.act.value}", lang)),
            (t("ideas.card.replacement", lang), rule.replacement or "-"),
        ]
    if pairs:
        blocks.append(facts(pairs))
    if idea.tags:
        blocks.append(literal(" ".join(f"#{tag}" for tag in idea.tags), isSubtle=True))
    return blocks


def _outcome(idea: Idea, lang: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if idea.answer:
        label = "ideas.card.reason" if idea.status == Status.DECLINED else "ideas.card.answer"
        blocks += [paragraph(t(label, lang)), literal(idea.answer)]
    if idea.poll_id is not None:
        if idea.poll_votes is None:
            blocks.append(paragraph(t("ideas.card.in_poll", lang), subtle=True))
        else:
            blocks.append(paragraph(t("ideas.card.poll_result", lang, votes=idea.poll_votes)))
    return blocks


def announce_button(idea: Idea, lang: str) -> dict[str, Any]:
    """「この採用を全体に知らせる」: the broadcast dialog, prefilled with the adopted idea and the reviewers' answer."""
    prefill = {"prefill_title": t("ideas.announce.title", lang, title=idea.title)}
    if idea.answer:
        prefill["prefill_body"] = idea.answer
    return dialog_button(t("ideas.button.announce", lang), BROADCAST_COMPOSE, **prefill)


def idea_card(
    idea: Idea,
    lang: str,
    *,
    tz: ZoneInfo = TOKYO,
    call_theme: str | None = None,
    voted: bool = False,
    announce: bool = False,
) -> Card:
    """The shared card in the idea channel: the idea, its state, votes and comments, and the buttons everyone has.
    With `announce` (an admin's own copy of an adopted idea) it also offers to announce the adoption."""
    body = _summary(idea, lang, tz)
    if call_theme:
        body.insert(0, literal(t("ideas.card.call", lang, theme=call_theme), isSubtle=True))
    body += _details(idea, lang) + _outcome(idea, lang)
    body.append(paragraph(t("ideas.card.counts", lang, votes=idea.votes, comments=idea.comments)))
    if voted:
        body.append(paragraph(t("ideas.card.you_voted", lang)))
    actions = [
        execute(
            t("ideas.button.unvote" if voted else "ideas.button.vote", lang), "ideas.vote", {"idea_id": idea.idea_id}
        ),
        dialog_button(t("ideas.button.comments", lang, count=idea.comments), "ideas.comments", idea_id=idea.idea_id),
    ]
    if announce:
        actions.append(announce_button(idea, lang))
    return card(body, actions, lang)


def _listed(idea: Idea, lang: str, tz: ZoneInfo) -> dict[str, Any]:
    line = t(
        "ideas.list.line",
        lang,
        status=status_text(idea.status, lang),
        votes=idea.votes,
        day=day_text(idea.created_at, lang, tz),
    )
    vote = execute(t("ideas.button.vote", lang), "ideas.vote", {"idea_id": idea.idea_id})
    return {
        "type": "Container",
        "separator": True,
        "items": [
            literal(idea.title, weight="Bolder"),
            paragraph(line, subtle=True),
            {"type": "ActionSet", "actions": [vote]},
        ],
    }


def list_card(
    lang: str, title: str, ideas: Sequence[Idea], *, tz: ZoneInfo = TOKYO, empty: str, periods: bool = False
) -> Card:
    """A list of ideas (popular, search results, a call's ideas, the digest), each with its own vote button."""
    body: list[dict[str, Any]] = [heading(title)]
    body += [_listed(idea, lang, tz) for idea in ideas[:LISTED]] or [paragraph(empty)]
    actions = []
    if periods:
        actions = [
            execute(t(f"ideas.period.{name}", lang), "ideas.top", {"period": name}) for name in ("week", "month", "all")
        ]
    return card(body, actions, lang)


def mine_card(lang: str, ideas: Sequence[Idea], *, tz: ZoneInfo = TOKYO) -> Card:
    """The asker's own ideas with where each stands and the reviewers' answer (anonymous ones too: only they see)."""
    body: list[dict[str, Any]] = [heading(t("ideas.mine.title", lang))]
    for idea in ideas[: LISTED * 2]:
        items = [
            literal(idea.title, weight="Bolder"),
            paragraph(
                t(
                    "ideas.mine.line",
                    lang,
                    status=status_text(idea.status, lang),
                    votes=idea.votes,
                    identity=t(f"ideas.identity.{idea.identity}", lang),
                ),
                subtle=True,
            ),
        ]
        if idea.answer:
            items.append(literal(idea.answer, isSubtle=True))
        body.append({"type": "Container", "separator": True, "items": items})
    if not ideas:
        body.append(paragraph(t("ideas.mine.empty", lang)))
    return card(body, [dialog_button(t("ideas.button.new", lang), "ideas.submit")], lang)


def review_input(name: str, idea_id: str) -> str:
    """The id of one idea's review input: the queue holds many forms in one card, and a button sends the inputs of
    the whole card, so each idea's inputs are named apart."""
    return f"{name}_{idea_id}"


def review_form(idea: Idea, lang: str, *, reviewer: bool, moderator: bool) -> list[dict[str, Any]]:
    """A reviewer's inline form for one idea: the next status, the answer (a reason for 見送り), and — for a
    moderator and a pseudonymous idea — revealing who wrote it, with the reason the audit log keeps."""
    keep = {"title": t("ideas.review.keep", lang, status=status_text(idea.status, lang)), "value": idea.status}
    choices = [
        {"title": status_text(status.value, lang), "value": status.value}
        for status in NEXT_STATUSES[Status(idea.status)]
    ] + [keep]
    actions: list[dict[str, Any]] = []
    if reviewer and choices:
        form = card(
            [
                {
                    "type": "Input.ChoiceSet",
                    "id": review_input("status", idea.idea_id),
                    "label": t("ideas.review.status", lang),
                    "choices": choices,
                    "value": choices[0]["value"],
                },
                {
                    "type": "Input.Text",
                    "id": review_input("answer", idea.idea_id),
                    "label": t("ideas.review.answer", lang),
                    "isMultiline": True,
                    "maxLength": 2000,
                    "placeholder": t("ideas.review.answer_placeholder", lang),
                },
            ],
            [execute(t("ideas.button.review_save", lang), "ideas.review", {"idea_id": idea.idea_id})],
            lang,
        )
        actions.append({"type": "Action.ShowCard", "title": t("ideas.button.review", lang), "card": form})
    if moderator and idea.identity == Identity.PSEUDONYMOUS:
        reveal = card(
            [
                paragraph(t("ideas.reveal.warning", lang)),
                {
                    "type": "Input.Text",
                    "id": review_input("reason", idea.idea_id),
                    "label": t("ideas.reveal.reason", lang),
                    "isRequired": True,
                    "errorMessage": t("ideas.reveal.reason_required", lang),
                    "maxLength": 500,
                },
            ],
            [execute(t("ideas.button.reveal_confirm", lang), "ideas.reveal", {"idea_id": idea.idea_id})],
            lang,
        )
        actions.append({"type": "Action.ShowCard", "title": t("ideas.button.reveal", lang), "card": reveal})
    return [{"type": "ActionSet", "actions": actions}] if actions else []


def queue_card(
    lang: str, ideas: Sequence[Idea], *, tz: ZoneInfo = TOKYO, reviewer: bool = True, moderator: bool = False
) -> Card:
    """The reviewers' queue, longest waiting first, each with its review form; and a shortlist for a quick poll."""
    body: list[dict[str, Any]] = [heading(t("ideas.queue.title", lang))]
    for idea in ideas[:LISTED]:
        items = _summary(idea, lang, tz) + _details(idea, lang)
        items.append(paragraph(t("ideas.card.counts", lang, votes=idea.votes, comments=idea.comments), subtle=True))
        body.append(
            {
                "type": "Container",
                "separator": True,
                "items": items + review_form(idea, lang, reviewer=reviewer, moderator=moderator),
            }
        )
    if not ideas:
        body.append(paragraph(t("ideas.queue.empty", lang)))
    actions = []
    if reviewer and len(ideas) >= 2:
        choices = [{"title": idea.title, "value": idea.idea_id} for idea in ideas[:LISTED]]
        shortlist = card(
            [
                paragraph(t("ideas.shortlist.hint", lang)),
                {
                    "type": "Input.ChoiceSet",
                    "id": "ideas",
                    "isMultiSelect": True,
                    "choices": choices,
                    "label": t("ideas.shortlist.label", lang),
                    "wrap": True,
                },
            ],
            [execute(t("ideas.button.shortlist_post", lang), "ideas.shortlist")],
            lang,
        )
        actions.append({"type": "Action.ShowCard", "title": t("ideas.button.shortlist", lang), "card": shortlist})
    return card(body, actions, lang)


def notification_card(idea: Idea, lang: str) -> Card:
    """To the submitter: what became of their idea, with the reviewers' answer."""
    body = [
        heading(t("ideas.notify.title", lang, status=status_text(idea.status, lang))),
        literal(idea.title, weight="Bolder"),
        paragraph(t(f"ideas.notify.{idea.status}", lang)),
    ]
    if idea.answer:
        label = "ideas.card.reason" if idea.status == Status.DECLINED else "ideas.card.answer"
        body += [paragraph(t(label, lang)), literal(idea.answer)]
    if idea.identity != Identity.NAMED:
        body.append(paragraph(t("ideas.notify.still_private", lang), subtle=True))
    return card(body, lang=lang)


def reveal_card(idea: Idea, name: str, lang: str) -> Card:
    """What a moderator sees after an audited reveal (only they: it answers their click)."""
    return card(
        [
            heading(t("ideas.reveal.title", lang)),
            literal(idea.title),
            facts([(t("ideas.reveal.person", lang), name)]),
            paragraph(t("ideas.reveal.logged", lang), subtle=True),
        ],
        lang=lang,
    )


def call_card(call: Call, count: int, lang: str, *, tz: ZoneInfo = TOKYO) -> Card:
    """A themed call's announcement: the theme, until when, how many ideas came, and the button to add one."""
    deadline = moment_text(call.deadline, lang, tz)
    body: list[dict[str, Any]] = [
        label(t("ideas.call.label", lang)),
        literal(call.theme, size="Large", weight="Bolder"),
    ]
    if call.description:
        body.append(literal(call.description))
    state = "ideas.call.open" if call.is_open else "ideas.call.closed"
    body.append(paragraph(t(state, lang, deadline=deadline, count=count)))
    actions = [execute(t("ideas.button.call_ideas", lang), "ideas.call.list", {"call_id": call.call_id})]
    if call.is_open:
        actions.insert(0, dialog_button(t("ideas.button.call_submit", lang), "ideas.submit", call_id=call.call_id))
    return card(body, actions, lang)


def call_summary_card(call: Call, ideas: Sequence[Idea], categories: Sequence[tuple[str, int]], lang: str) -> Card:
    """To the organiser when the call closes: how many, the most voted, by category."""
    body: list[dict[str, Any]] = [
        heading(t("ideas.call.summary_title", lang)),
        literal(call.theme, weight="Bolder"),
        paragraph(t("ideas.call.summary_count", lang, count=len(ideas))),
    ]
    if ideas:
        body.append(paragraph(t("ideas.call.summary_top", lang)))
        body += [literal(t("ideas.call.summary_line", lang, title=idea.title, votes=idea.votes)) for idea in ideas[:5]]
        body.append(facts([(category, t("ideas.count", lang, count=count)) for category, count in categories]))
    return card(body, lang=lang)


def digest_card(
    lang: str, new_count: int, newest: Sequence[Idea], popular: Sequence[Idea], *, tz: ZoneInfo = TOKYO
) -> Card:
    """Monday's digest in the idea channel: what came in last week, and what people back most."""
    body: list[dict[str, Any]] = [
        heading(t("ideas.digest.title", lang)),
        paragraph(t("ideas.digest.count", lang, count=new_count)),
    ]
    if newest:
        body.append(paragraph(t("ideas.digest.newest", lang), subtle=True))
        body += [_listed(idea, lang, tz) for idea in newest[:5]]
    if popular:
        body.append(paragraph(t("ideas.digest.popular", lang), subtle=True))
        body += [_listed(idea, lang, tz) for idea in popular[:5]]
    return card(body, [dialog_button(t("ideas.button.new", lang), "ideas.submit")], lang)


def entry_card(lang: str, *, feedback: bool = False) -> Card:
    """The answer to 「アイデア」 / 「改善」: what the box is for, and the buttons into it."""
    if feedback:
        return card(
            [heading(t("ideas.feedback.title", lang)), paragraph(t("ideas.feedback.intro", lang))],
            [dialog_button(t("ideas.button.feedback", lang), "ideas.feedback")],
            lang,
        )
    return card(
        [heading(t("ideas.entry.title", lang)), paragraph(t("ideas.entry.intro", lang))],
        [
            dialog_button(t("ideas.button.new", lang), "ideas.submit"),
            execute(t("ideas.button.top", lang), "ideas.top", {"period": "week"}),
            execute(t("ideas.button.mine", lang), "ideas.mine"),
        ],
        lang,
    )


def call_entry_card(lang: str) -> Card:
    """The answer to 「アイデア 募集」: the button into the themed call's dialog."""
    return card(
        [paragraph(t("ideas.call.entry", lang))], [dialog_button(t("ideas.button.call_new", lang), "ideas.call")], lang
    )


def channel_card(lang: str, scope_label: str) -> Card:
    return card(
        [heading(t("ideas.channel.title", lang)), paragraph(t("ideas.channel.set", lang, scope=scope_label))], lang=lang
    )


def analog_choices(lang: str) -> list[dict[str, str]]:
    return [{"title": t(f"ideas.act.{act.value}", lang), "value": act.value} for act in AnalogAct]


def examples() -> list[Card]:
    """Every builder, with real content, in both languages: what the card validator checks."""
    from cards.idea_forms import sample_idea

    now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    named = sample_idea()
    anonymous = sample_idea(
        idea_id="b" * 32,
        identity=Identity.ANONYMOUS.value,
        author_name=None,
        status=Status.DECLINED.value,
        answer="予算の都合で今年度は見送ります。" * 3,
    )
    pseudonymous = sample_idea(
        idea_id="c" * 32,
        identity=Identity.PSEUDONYMOUS.value,
        pseudonym="K7QX2M",
        author_name=None,
        category=ANALOG,
        analog={
            "rule": "東京都〇〇条例施行規則",
            "clause": "第12条第2項",
            "act": "posting",
            "replacement": "ウェブサイトへの掲載",
        },
    )
    feedback = sample_idea(
        idea_id="d" * 32,
        kind=Kind.FEEDBACK.value,
        service="電子申請サービス",
        satisfaction=2,
        poll_id="p" * 32,
        poll_votes=7,
    )
    long = sample_idea(
        idea_id="e" * 32, title="とても長いタイトル" * 8, body="長い本文。" * 400, tags=["ペーパーレス", "会議", "DX"]
    )
    call = Call(
        "c" * 32,
        "tenant",
        "あったらいいな",
        "都民サービスを良くするアイデアを募集します。",
        now,
        "19:x",
        "aad",
        "佐藤",
        "ja",
        "open",
        None,
        now,
    )
    adopted = sample_idea(idea_id="f" * 32, status=Status.ADOPTED.value, answer="来年度から全庁で実施します。")
    ideas = [named, anonymous, pseudonymous, feedback, long]
    built = []
    for lang in ("ja", "en"):
        built += [idea_card(idea, lang, call_theme="あったらいいな", voted=i % 2 == 0) for i, idea in enumerate(ideas)]
        built.append(idea_card(adopted, lang, announce=True))
        built += [
            list_card(
                lang, t("ideas.top.title", lang, period=t("ideas.period.week", lang)), ideas, empty="-", periods=True
            ),
            list_card(lang, "-", [], empty=t("ideas.top.empty", lang)),
            mine_card(lang, ideas),
            mine_card(lang, []),
            queue_card(lang, ideas, moderator=True),
            queue_card(lang, ideas, reviewer=False, moderator=True),
            queue_card(lang, []),
            notification_card(anonymous, lang),
            notification_card(named, lang),
            reveal_card(pseudonymous, "佐藤 花子", lang),
            call_card(call, 12, lang),
            call_card(Call(**{**call.__dict__, "status": "closed"}), 465, lang),
            call_summary_card(call, ideas, [("都民サービス", 3), ("その他", 2)], lang),
            call_summary_card(call, [], [], lang),
            digest_card(lang, 12, ideas, ideas),
            entry_card(lang),
            entry_card(lang, feedback=True),
            call_entry_card(lang),
            channel_card(lang, "デジタルサービス局"),
        ]
    return built
