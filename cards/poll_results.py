"""A poll's results as every client shows them: per option its text, how many people chose it and their share,
always as text, with a bar drawn from two coloured columns (decoration: the numbers say it all).

No chart element: Teams' charts put fractional or scientific ticks on the axis of small counts (0, 1.67e-5 …)
and shrink the plot beside long option labels, and have no text a screen reader can read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.i18n import t
from bot.polls.model import PRIVACY_THRESHOLD, Poll, Status, Tally, Visibility
from bot.polls.tally import below_threshold, percent, results_visible
from cards.base import Card, card, literal, paragraph, share_bar


def option_row(option: str, count: int, ballots: int, lang: str) -> list[dict[str, Any]]:
    """The option as typed, 「3人(75%)」 beside it, the bar under it."""
    share = percent(count, ballots)
    figures = {"type": "TextBlock", "text": t("polls.results.count", lang, count=count, share=share), "wrap": True}
    line = {
        "type": "ColumnSet",
        "columns": [
            {"type": "Column", "width": "stretch", "items": [literal(option)]},
            {"type": "Column", "width": "auto", "items": [figures]},
        ],
    }
    return [line, share_bar(share)]


def results(
    poll: Poll, tally: Tally, lang: str, *, creator: bool = False, threshold: int = PRIVACY_THRESHOLD
) -> list[dict[str, Any]]:
    """The totals this viewer may see: how many answered, then every option's count and share; or why not."""
    if below_threshold(poll, tally, threshold):
        return [paragraph(t("polls.results.threshold", lang, threshold=threshold), subtle=True)]
    count = paragraph(t("polls.results.ballots", lang, count=tally.ballots), subtle=True)
    if not results_visible(poll, creator=creator):
        return [count, paragraph(t(f"polls.results.hidden.{poll.visibility}", lang), subtle=True)]
    rows = [
        element
        for option, chosen in zip(poll.options, tally.counts, strict=True)
        for element in option_row(option, chosen, tally.ballots, lang)
    ]
    note = [paragraph(t("polls.results.multi_note", lang), subtle=True)] if poll.multi and tally.ballots else []
    return [count, *rows, *note]


def shows_totals(poll: Poll, tally: Tally, *, creator: bool = False, threshold: int = PRIVACY_THRESHOLD) -> bool:
    """Whether `results` lists the options with their totals for this viewer."""
    return results_visible(poll, creator=creator) and not below_threshold(poll, tally, threshold)


def example_poll(lang: str = "ja", **changes: Any) -> Poll:
    """The sample poll of the poll cards' `examples()`: lunch, three options, named, live results."""
    sample = Poll(
        poll_id="0" * 32,
        tenant_id="tenant",
        conversation_id="19:general@thread.tacv2",
        conversation_type="channel",
        service_url="https://smba.trafficmanager.net/jp/",
        creator_key="creator",
        lang=lang,
        question="今日のランチはどこにしますか?",
        options=["和食", "洋食", "中華"],
        multi=False,
        max_choices=None,
        anonymous=False,
        visibility=Visibility.LIVE.value,
        deadline=datetime(2026, 12, 4, 8, 0, tzinfo=UTC),
        remind_before=60,
        status=Status.OPEN.value,
        activity_id="1",
        card_dirty=False,
        recurrence={"kind": "weekly", "weekday": 0, "at": "09:00"},
    )
    return replace(sample, **changes)


def examples() -> list[Card]:
    """None answered, one option chosen by all, long labels, multi-select shares over 100 %, hidden, below the
    threshold — in both languages."""
    cards: list[Card] = []
    for lang in ("ja", "en"):
        poll = example_poll(lang)
        long_labels = replace(poll, options=["選択肢A: " + "とても長い説明" * 12, "B"], multi=True)
        cases: Sequence[tuple[Poll, Tally]] = [
            (poll, Tally((0, 0, 0), 0)),
            (poll, Tally((4, 0, 0), 4)),
            (long_labels, Tally((3, 4), 5)),
            (replace(poll, visibility=Visibility.AFTER_CLOSE.value), Tally((1, 1, 0), 2)),
            (replace(poll, anonymous=True), Tally((1, 1, 0), 2)),
        ]
        cards += [card(results(shown, tally, lang), lang=lang) for shown, tally in cases]
    return cards
