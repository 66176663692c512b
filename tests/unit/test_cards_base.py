import logging

import pytest

from cards.base import CardTooLarge, card, execute, paragraph, utf16_size


def test_action_execute_always_carries_a_submit_fallback_with_the_verb() -> None:
    action = execute("投票", "poll.vote", {"poll": "p1"})
    assert action["type"] == "Action.Execute" and action["verb"] == "poll.vote"
    assert action["fallback"] == {"type": "Action.Submit", "title": "投票", "data": {"poll": "p1", "verb": "poll.vote"}}


def test_cards_are_version_1_5() -> None:
    assert card([paragraph("x")])["version"] == "1.5"


def test_size_guard_counts_utf16_rejects_over_80kb_and_warns_over_20kb(caplog: pytest.LogCaptureFixture) -> None:
    # 15,000 Japanese characters: ~15 KB in UTF-8 but ~30 KB in UTF-16 — only the UTF-16 size must count.
    with caplog.at_level(logging.WARNING):
        big = card([paragraph("あ" * 15_000)])
    assert utf16_size(big) > 20 * 1024 and "large card" in caplog.text
    with pytest.raises(CardTooLarge):
        card([paragraph("あ" * 42_000)])
