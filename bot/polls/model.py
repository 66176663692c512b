"""Polls as plain data: what a team lead asks, who may see what, and the limits the form enforces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.places import place_id

QUESTION_MAX = 200  # characters; a poll question is one line, not a memo
OPTION_MAX = 100  # characters per option (a chart label stays readable)
MIN_OPTIONS, MAX_OPTIONS = 2, 10
PRIVACY_THRESHOLD = 5  # anonymous polls show no breakdown below this many ballots
REMIND_BEFORE_MINUTES = (60, 24 * 60)  # the reminder offsets the form offers
REFRESHED_VOTERS = 60  # Teams refreshes a card by itself for at most 60 listed people (`refresh.userIds`)


class Visibility(StrEnum):
    LIVE = "live"  # everyone sees results as they come in
    AFTER_CLOSE = "after_close"  # everyone sees them once the poll is closed
    CREATOR = "creator"  # only the creator ever sees them


class Status(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class Problem(StrEnum):
    """Why a vote was refused (each has a catalog message `polls.vote.<value>`)."""

    UNKNOWN = "unknown"
    CLOSED = "closed"
    INVALID = "invalid"
    NONE_CHOSEN = "none_chosen"  # a multi-select ballot with nothing ticked
    TOO_MANY = "too_many"  # more ticked than the poll allows
    KEY_CHANGED = "key_changed"  # an anonymous poll whose key this deployment no longer has


@dataclass(frozen=True)
class Draft:
    """A checked poll from the dialog or the one-line form."""

    question: str
    options: tuple[str, ...]
    multi: bool = False
    max_choices: int | None = None  # multi-select only; None = as many as there are options
    anonymous: bool = False
    visibility: Visibility = Visibility.LIVE
    deadline: datetime | None = None  # aware
    remind_before: int | None = None  # minutes before the deadline


@dataclass(frozen=True)
class Origin:
    """Who creates the poll, where, and in which language its card speaks."""

    user_key: str
    tenant_id: str | None
    conversation_id: str
    conversation_type: str
    service_url: str
    lang: str


@dataclass(frozen=True)
class Poll:
    poll_id: str
    tenant_id: str | None
    conversation_id: str
    conversation_type: str
    service_url: str
    creator_key: str
    lang: str
    question: str
    options: list[str]
    multi: bool
    max_choices: int | None
    anonymous: bool
    visibility: str
    deadline: datetime | None
    remind_before: int | None
    status: str
    activity_id: str | None
    card_dirty: bool
    recurrence: dict[str, Any] | None
    ballot_key_id: str | None = None  # fingerprint of the key anonymous ballots are made with (None: legacy)
    card_version: int = 0  # bumped by every vote; the shared card is clean once it showed the latest version
    closed_at: datetime | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_open(self) -> bool:
        return self.status == Status.OPEN

    @property
    def place_id(self) -> str:
        """The chat or channel (Teams gives every channel thread its own conversation id)."""
        return place_id(self.conversation_id)

    @property
    def limit(self) -> int:
        """How many options one ballot may hold."""
        if not self.multi:
            return 1
        return min(self.max_choices or len(self.options), len(self.options))

    def draft(self) -> Draft:
        return Draft(
            question=self.question,
            options=tuple(self.options),
            multi=self.multi,
            max_choices=self.max_choices,
            anonymous=self.anonymous,
            visibility=Visibility(self.visibility),
            deadline=self.deadline,
            remind_before=self.remind_before,
        )


@dataclass(frozen=True)
class Vote:
    """One click: `voter_key` is the Entra id (named polls) or its keyed hash (anonymous polls); a named vote also
    keeps the voter's Teams id (`voter_id`), so the shared card can refresh into their own view."""

    poll_id: str
    voter_key: str
    voter_name: str | None
    choices: tuple[int, ...]
    voter_id: str | None = None


@dataclass(frozen=True)
class Tally:
    counts: tuple[int, ...]  # per option
    ballots: int  # people who voted (a multi-select ballot counts once)


@dataclass(frozen=True)
class VoteResult:
    """What became of one vote: refused (problem), or recorded with the poll's totals right after it."""

    problem: Problem | None
    poll: Poll | None = None
    tally: Tally | None = None
    choices: tuple[int, ...] = ()
