"""The creator's CSV: UTF-8 with a BOM (Japanese Excel opens it as UTF-8), formulas neutralised, anonymous polls
as totals only; and the short-lived signed link it is downloaded from."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import re
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from bot.numbers import whole_number
from bot.polls.model import Poll, Tally
from bot.polls.tally import below_threshold, percent

BOM = "\ufeff"
LINK_LIFETIME = timedelta(minutes=10)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NAME_LENGTH = 40  # characters of the question in the file name
_NOT_IN_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')  # what Windows, macOS or a browser would refuse or alter


def cell(value: object) -> str:
    """A cell Excel won't run as a formula (CSV injection): risky first characters get a leading quote."""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def poll_csv(
    poll: Poll, tally: Tally, named: Sequence[tuple[str, str, int]], labels: Mapping[str, str], threshold: int
) -> bytes:
    """Totals per option, then (named polls only) one row per voter and choice. `labels` are the headers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([cell(labels["question"]), cell(poll.question)])
    writer.writerow([cell(labels["ballots"]), tally.ballots])
    if below_threshold(poll, tally, threshold):
        writer.writerow([cell(labels["withheld"])])
    else:
        writer.writerow([cell(labels["option"]), cell(labels["votes"]), cell(labels["share"])])
        for option, count in zip(poll.options, tally.counts, strict=True):
            writer.writerow([cell(option), count, percent(count, tally.ballots)])
    if not poll.anonymous:
        writer.writerow([])
        writer.writerow([cell(labels["voter"]), cell(labels["option"])])
        for _, voter, chosen in named:
            writer.writerow([cell(voter), cell(poll.options[chosen])])
    return (BOM + out.getvalue()).encode("utf-8")


def signature(key: bytes, poll_id: str, expires: int) -> str:
    return hmac.new(key, f"{poll_id}:{expires}".encode(), hashlib.sha256).hexdigest()


def export_path(key: bytes, poll_id: str, now: datetime) -> str:
    """The download path, valid for 10 minutes from `now`."""
    expires = int((now + LINK_LIFETIME).timestamp())
    return f"/polls/{poll_id}/export.csv?expires={expires}&sig={signature(key, poll_id, expires)}"


def link_valid(key: bytes, poll_id: str, expires: str, sig: str, now: datetime) -> bool:
    """Whether the link is signed with `key` and not expired; a link anyone edited is simply not valid."""
    deadline = whole_number(expires)
    if deadline is None or deadline < now.timestamp() or not sig.isascii():  # compare_digest takes only ASCII
        return False
    return hmac.compare_digest(signature(key, poll_id, deadline), sig)


def export_filename(poll: Poll, tz: ZoneInfo) -> str:
    """「今日のランチ_2026-11-28.csv」: the question (as far as a file name can hold it) and the day it was asked."""
    asked = (poll.created_at or datetime.now(tz)).astimezone(tz).date()
    name = "_".join(_NOT_IN_NAMES.sub(" ", poll.question).split())[:NAME_LENGTH].strip("._") or "poll"
    return f"{name}_{asked.isoformat()}.csv"


def content_disposition(filename: str) -> str:
    """An attachment named `filename` (`export_filename`): UTF-8 in `filename*` (RFC 6266), and for clients that
    only read `filename` an ASCII stand-in with the same date, poll_2026-11-28.csv."""
    stand_in = filename if filename.isascii() else "poll" + filename[filename.rindex("_") :]
    return f"attachment; filename=\"{stand_in}\"; filename*=UTF-8''{quote(filename, safe='')}"
