"""Timed work: the database says what is due; the runner wakes up, claims it and runs it (see `runner`)."""

from bot.timed.runner import RetryLater, RunnerLimits, TimedWork, TimedWorkRunner
from bot.timed.store import DueItem, Planned, TimedWorkStore

__all__ = ["DueItem", "Planned", "RetryLater", "RunnerLimits", "TimedWork", "TimedWorkRunner", "TimedWorkStore"]
