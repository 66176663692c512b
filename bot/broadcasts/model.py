"""Broadcasts as plain data: what an admin tells whom, where it stands, and what became of each recipient."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

TITLE_MAX = 100
BODY_MAX = 4000  # per version (Japanese, やさしい日本語, English): one card stays far below Teams' 80 KB advice
LINK_TITLE_MAX = 40
URL_MAX = 1000
COMMENT_MAX = 500
MAX_ATTEMPTS = 8  # tries of one delivery before it is reported failed
DEFAULT_APPROVAL_THRESHOLD = 1000


class Status(StrEnum):
    DRAFT = "draft"
    RESOLVING = "resolving"  # the audience is being resolved into recipients (timed work)
    READY = "ready"  # resolved and counted: the author confirms, or asks a second admin
    PENDING = "pending_approval"  # 二者承認: waiting for another admin
    SCHEDULED = "scheduled"
    SENDING = "sending"
    SENT = "sent"
    RECALLED = "recalled"


EDITABLE = (Status.DRAFT, Status.READY)  # the author may still change content and audience
DELIVERED = (Status.SENDING, Status.SENT)  # cards are out there: read, acknowledged, edited, recalled


class AudienceKind(StrEnum):
    CHANNELS = "channels"  # a post in each chosen channel of chosen teams
    EVERYONE = "everyone"  # 1:1 to everyone who has the app
    TEAMS = "teams"  # 1:1 to the members of chosen teams
    GROUP = "group"  # 1:1 to the members of an Entra group, nested groups included (Graph)


@dataclass(frozen=True)
class Audience:
    kind: AudienceKind
    channels: tuple[str, ...] = ()  # "<team id>|<channel id>"
    teams: tuple[str, ...] = ()
    group: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "channels": list(self.channels),
            "teams": list(self.teams),
            "group": self.group,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Audience:
        return cls(
            AudienceKind(data["kind"]),
            tuple(data.get("channels") or ()),
            tuple(data.get("teams") or ()),
            str(data.get("group") or ""),
        )

    @property
    def chosen_teams(self) -> set[str]:
        """Every team this audience reaches into (a channel's team too)."""
        return set(self.teams) | {channel.split("|", 1)[0] for channel in self.channels}


def channel_choice(team_id: str, channel_id: str) -> str:
    return f"{team_id}|{channel_id}"


@dataclass(frozen=True)
class Content:
    """What the card says. `body` is Japanese (a Markdown subset); the others are optional versions of it."""

    title: str
    body: str
    plain: str = ""  # やさしい日本語
    title_en: str = ""
    body_en: str = ""
    image_url: str = ""
    link_title: str = ""
    link_url: str = ""
    ack: bool = False  # ask for 「確認しました」
    deadline: datetime | None = None  # of the acknowledgement

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["deadline"] = self.deadline.isoformat() if self.deadline else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Content:
        deadline = data.get("deadline")
        return cls(**{**data, "deadline": datetime.fromisoformat(deadline) if deadline else None})


@dataclass(frozen=True)
class Broadcast:
    broadcast_id: str
    tenant_id: str | None
    author_key: str
    author_name: str
    author_lang: str
    author_chat: str  # the author's 1:1 chat with the bot: confirmation, report, notices
    service_url: str
    bot_id: str
    status: str
    content: Content
    audience: Audience
    audience_label: str  # the audience in words (team and channel names), for cards
    send_at: datetime | None  # scheduled; None: when confirmed
    recipients: int  # the frozen list's size
    unreachable: int  # of which the bot can't reach (no app, no Graph to install it)
    needs_approval: bool
    approver_key: str | None
    approver_name: str | None
    approval_comment: str | None
    version: int  # of the card: every edit and the recall make a new one, which every delivered card gets
    report_activity: str | None  # the author's report card
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @property
    def recalled(self) -> bool:
        return self.status == Status.RECALLED


class RowState(StrEnum):
    """One recipient's delivery."""

    HELD = "held"  # in the frozen list, sending has not started
    PENDING = "pending"
    SENDING = "sending"  # claimed by a worker (an instance); the delivery ledger knows whether it left
    SENT = "sent"
    FAILED = "failed"
    NOT_INSTALLED = "not_installed"  # the app is not installed for them (or blocked), and could not be installed
    CANCELLED = "cancelled"  # recalled before it went out


OPEN_STATES = (RowState.HELD, RowState.PENDING, RowState.SENDING)


class Remind(StrEnum):
    NO = "no"
    DUE = "due"
    SENT = "sent"
    FAILED = "failed"


@dataclass(frozen=True)
class Recipient:
    """One entry of the frozen list, as resolution finds it."""

    key: str  # person:<aad id> | channel:<channel id>
    kind: str  # person | channel
    conversation_id: str | None  # where to post (None: a chat must be opened or the app installed first)
    name: str = ""
    aad_id: str | None = None
    user_id: str | None = None  # the person's 29: id (opens a 1:1 chat when the bot shares a team with them)
    segment: str = ""  # the team (or channel, group) the report groups them by
    team_id: str | None = None  # the team they were found in (a channel's team)
    size: int = 1  # people reached: a channel counts its team's members
    lang: str = "ja"
    reachable: bool = True  # False: no chat and no way to open one (reported "not installed" at once)


@dataclass(frozen=True)
class Row:
    """An outbox row: one recipient of one broadcast and what has been done for them."""

    broadcast_id: str
    recipient_key: str
    kind: str
    tenant_id: str | None
    aad_id: str | None
    user_id: str | None
    name: str
    conversation_id: str | None
    segment: str
    team_id: str | None
    size: int
    lang: str
    state: str
    reason: str | None
    attempts: int
    due_at: datetime
    todo: bool
    owner: str | None
    activity_id: str | None
    shown: int  # the card version it shows
    want: int  # the version it should show (an edit or the recall raised it)
    remind: str
    installed: bool  # the bot installed the app for them (Graph) to deliver this
    sent_at: datetime | None
    updated_at: datetime

    @property
    def person(self) -> bool:
        return self.kind == "person"


@dataclass(frozen=True)
class Segment:
    """The report's line for one team (or channel, group): how many were reached, how many acknowledged."""

    name: str
    reached: int
    acknowledged: int


@dataclass(frozen=True)
class Tally:
    total: int = 0
    waiting: int = 0  # held, pending or being sent
    sent: int = 0
    failed: int = 0
    not_installed: int = 0
    cancelled: int = 0
    unconfirmed: int = 0  # sent when an instance died: Teams has it, its activity id is unknown
    installed: int = 0  # delivered after the bot installed the app for them
    reached: int = 0  # people reached (channels count their team's members)
    acknowledged: int = 0
    segments: tuple[Segment, ...] = field(default_factory=tuple)

    @property
    def done(self) -> bool:
        return self.waiting == 0
