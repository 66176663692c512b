"""Totals and who may see them: pure functions shared by the cards and the export."""

from __future__ import annotations

from collections.abc import Mapping

from bot.polls.model import PRIVACY_THRESHOLD, Poll, Tally, Visibility


def tally_of(option_count: int, counts: Mapping[int, int], ballots: int) -> Tally:
    return Tally(tuple(counts.get(option, 0) for option in range(option_count)), ballots)


def percent(count: int, ballots: int) -> int:
    """Share of the people who voted (multi-select shares can add up to more than 100)."""
    return round(100 * count / ballots) if ballots else 0


def results_visible(poll: Poll, *, creator: bool) -> bool:
    """Whether this viewer may see the breakdown at all (before the privacy threshold)."""
    if creator:
        return True
    if poll.visibility == Visibility.LIVE:
        return True
    return poll.visibility == Visibility.AFTER_CLOSE and not poll.is_open


def below_threshold(poll: Poll, tally: Tally, threshold: int = PRIVACY_THRESHOLD) -> bool:
    """Anonymous polls with few ballots show no breakdown: with 2 voters, totals say who chose what."""
    return poll.anonymous and tally.ballots < threshold
