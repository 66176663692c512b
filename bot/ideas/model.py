"""Ideas as plain data: what someone proposes, who may see who proposed it, and where it stands.

Three kinds share one box: an idea (業務改善・働き方…), digital-service feedback (デジタル改善ポスト: which service,
how satisfied), and a report of an analogue regulation (アナログ規制: which rule, which clause, what analogue act it
demands, what could replace it). They follow the same review workflow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

TITLE_MAX = 80
BODY_MAX = 2000
TAGS_MAX = 5
TAG_MAX = 20
COMMENT_MAX = 500
REASON_MAX = 1000
SERVICE_MAX = 100
RULE_FIELD_MAX = 200
SHORTLIST_MAX = 10  # ideas one quick poll can hold
DEFAULT_CATEGORIES = ("業務改善", "デジタル化", "働き方", "都民サービス", "その他")
ANALOG = "アナログ規制"  # the category whose ideas report a rule that demands analogue work
FEEDBACK_CATEGORY = "デジタル改善ポスト"  # the category of every piece of digital-service feedback


def fiscal_year(day: date) -> int:
    """年度: April to March, named by the year it starts in (2026年度 = 2026-04-01 … 2027-03-31)."""
    return day.year if day.month >= 4 else day.year - 1


class Kind(StrEnum):
    IDEA = "idea"
    FEEDBACK = "feedback"  # デジタル改善ポスト


class Identity(StrEnum):
    NAMED = "named"
    PSEUDONYMOUS = "pseudonymous"  # reviewers see a stable pseudonym; a moderator may reveal the person
    ANONYMOUS = "anonymous"  # nobody can see who; the bot can still tell them what became of it


class Status(StrEnum):
    NEW = "new"  # 新規
    REVIEWING = "reviewing"  # 検討中
    ADOPTED = "adopted"  # 採用
    DONE = "done"  # 実施済
    DECLINED = "declined"  # 見送り (a reason is required)


# Where an idea may go from each status (a reviewer's choice); 見送り can be reconsidered.
NEXT_STATUSES: dict[Status, tuple[Status, ...]] = {
    Status.NEW: (Status.REVIEWING, Status.ADOPTED, Status.DECLINED),
    Status.REVIEWING: (Status.ADOPTED, Status.DECLINED),
    Status.ADOPTED: (Status.DONE, Status.DECLINED),
    Status.DONE: (),
    Status.DECLINED: (Status.REVIEWING,),
}


class AnalogAct(StrEnum):
    """What an analogue regulation demands (the review of 約2,000 clauses sorted them so)."""

    POSTING = "posting"  # 書面掲示
    VISUAL = "visual"  # 目視
    IN_PERSON = "in_person"  # 対面
    RESIDENT = "resident"  # 常駐・専任
    INSPECTION = "inspection"  # 定期検査・点検
    DOCUMENTS = "documents"  # 書面交付・押印
    VIEWING = "viewing"  # 閲覧・縦覧
    OTHER = "other"


@dataclass(frozen=True)
class AnalogRule:
    """The regulation an アナログ規制 report names."""

    rule: str  # 条例・規則の名称
    clause: str  # 条項
    act: AnalogAct
    replacement: str  # 代替となるデジタル手段


@dataclass(frozen=True)
class Draft:
    """A checked submission from the dialog."""

    kind: Kind
    title: str
    body: str
    category: str
    tags: tuple[str, ...] = ()
    identity: Identity = Identity.NAMED
    service: str | None = None  # feedback: which digital service
    satisfaction: int | None = None  # feedback: 1–5
    analog: AnalogRule | None = None
    call_id: str | None = None  # submitted to a themed call

    @property
    def text(self) -> str:
        """What the similar-ideas look-up reads."""
        return f"{self.title}\n{self.body}"


@dataclass(frozen=True)
class Submitter:
    """Who submitted, as the turn knows them (never stored as such for anonymous or pseudonymous ideas)."""

    user_key: str  # Entra object id, else the Teams id
    name: str
    tenant_id: str | None
    reach: dict[str, str] = field(default_factory=dict)  # what is needed to message them 1:1 later


@dataclass(frozen=True)
class Idea:
    """An idea as stored; what a new idea starts with is the defaults."""

    idea_id: str
    tenant_id: str | None
    kind: str
    title: str
    body: str
    category: str
    tags: list[str]
    identity: str
    owner_tag: str  # keyed hash of the submitter: "my ideas" finds them, nobody else can link them
    sealed_reach: str  # encrypted: how to message the submitter (never shown)
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    author_key: str | None = None  # named ideas only
    author_name: str | None = None  # named ideas only
    pseudonym: str | None = None  # pseudonymous ideas only
    sealed_identity: str | None = None  # pseudonymous: encrypted person, for a moderator's audited reveal
    service: str | None = None
    satisfaction: int | None = None
    analog: dict[str, Any] | None = None
    call_id: str | None = None
    status: str = Status.NEW.value
    answer: str | None = None  # the reviewers' official answer or the reason for 見送り
    votes: int = 0
    comments: int = 0
    conversation_id: str | None = None  # where its card is
    activity_id: str | None = None
    poll_id: str | None = None  # a quick poll it was put to
    poll_option: int | None = None
    poll_votes: int | None = None  # its count when that poll closed

    @property
    def anonymous(self) -> bool:
        return self.identity == Identity.ANONYMOUS

    @property
    def shown_author(self) -> str | None:
        """The name anyone may see: the person's (named), the pseudonym, or nothing (anonymous)."""
        return self.author_name if self.identity == Identity.NAMED else self.pseudonym

    @property
    def analog_rule(self) -> AnalogRule | None:
        if not self.analog:
            return None
        return AnalogRule(
            self.analog["rule"], self.analog["clause"], AnalogAct(self.analog["act"]), self.analog["replacement"]
        )


@dataclass(frozen=True)
class Comment:
    comment_id: str
    idea_id: str
    author_name: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class Call:
    """A themed call for ideas (募集テーマ): open until its deadline, then summarised for its organiser."""

    call_id: str
    tenant_id: str | None
    theme: str
    description: str
    deadline: datetime
    conversation_id: str  # the idea channel it is announced in
    organiser_key: str
    organiser_name: str
    lang: str
    status: str  # open | closed
    activity_id: str | None
    created_at: datetime

    @property
    def is_open(self) -> bool:
        return self.status == "open"
