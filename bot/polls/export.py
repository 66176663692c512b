"""The creator's CSV (see `bot.csv_export`: UTF-8 with a BOM, formulas neutralised), anonymous polls as totals
only; and the short-lived signed link it is downloaded from."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.csv_export import content_disposition, csv_bytes
from bot.links import signed_link
from bot.polls.model import Poll, Tally
from bot.polls.tally import below_threshold, percent

NAME_LENGTH = 40  # characters of the question in the file name
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')  # what Windows, macOS or a browser would refuse or alter


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


def export_filename(poll: Poll, tz: ZoneInfo) -> str:
    """「今日のランチ_2026-11-28.csv」: the question (as far as a file name can hold it) and the day it was asked."""
    asked = (poll.created_at or datetime.now(tz)).astimezone(tz).date()
    name = "_".join(_NOT_IN_NAMES.sub(" ", poll.question).split())[:NAME_LENGTH].strip("._") or "poll"
    return f"{name}_{asked.isoformat()}.csv"


def export_disposition(poll: Poll, tz: ZoneInfo) -> str:
    """The download's Content-Disposition: the file named after the question, poll_2026-11-28.csv for clients that
    read only ASCII names."""
    filename = export_filename(poll, tz)
    stand_in = filename if filename.isascii() else "poll" + filename[filename.rindex("_") :]
    return content_disposition(filename, stand_in)
