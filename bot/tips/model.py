"""Tips' plain data: how a tip was rated, and a chat's or channel's tip of the day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Rating:
    """How one tip was rated, over everyone who rated it."""

    tip_id: str
    helpful: int
    not_helpful: int

    @property
    def helpful_ratio(self) -> float:
        return self.helpful / (self.helpful + self.not_helpful)


@dataclass(frozen=True)
class Subscription:
    conversation_id: str
    hour: int
    minute: int
    lang: str
    subscribed_by: str
    last_posted_on: date | None = None
