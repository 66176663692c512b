"""The creator's CSV (see `bot.csv_export`: UTF-8 with a BOM, formulas neutralised), anonymous polls as totals
only; and the short-lived signed link it is downloaded from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from bot.csv_export import csv_bytes
from bot.links import signed_link
from bot.polls.model import Poll, Tally
from bot.polls.tally import below_threshold, percent


def poll_csv(
    poll: Poll, tally: Tally, named: Sequence[tuple[str, str, int]], labels: Mapping[str, str], threshold: int
) -> bytes:
    """Totals per option, then (named polls only) one row per voter and choice. `labels` are the headers."""
    rows: list[Sequence[object]] = [[labels["question"], poll.question], [labels["ballots"], tally.ballots]]
    if below_threshold(poll, tally, threshold):
        rows.append([labels["withheld"]])
    else:
        rows.append([labels["option"], labels["votes"], labels["share"]])
        rows += [
            [option, count, percent(count, tally.ballots)]
            for option, count in zip(poll.options, tally.counts, strict=True)
        ]
    if not poll.anonymous:
        rows += [[], [labels["voter"], labels["option"]]]
        rows += [[voter, poll.options[chosen]] for _, voter, chosen in named]
    return csv_bytes(rows)


def export_path(key: bytes, poll_id: str, now: datetime) -> str:
    """The download path, valid for 10 minutes from `now`."""
    return signed_link(key, export_route(poll_id), {}, now)


def export_route(poll_id: str) -> str:
    return f"/polls/{poll_id}/export.csv"
