"""A clock the tests can stop at any moment: a day of schedules runs without waiting for the day."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bot.clock import SystemClock


class SteerableClock(SystemClock):
    """The real time, unless a test says what time it is (`at`); intervals and waits stay real."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def now(self) -> datetime:
        return self.at.astimezone(UTC) if self.at is not None else super().now()

    @contextmanager
    def stopped_at(self, moment: datetime) -> Iterator[None]:
        earlier, self.at = self.at, moment
        try:
            yield
        finally:
            self.at = earlier
