"""The tip library as reviewed content: both languages, card-sized, unique ids, every category used.

Limits (characters): title ≤ 30 in Japanese / 60 in English (one or two lines of a card heading), body ≤ 200 / 400
(a few sentences), "try this today" ≤ 80 / 160 (one line of action).
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.timetext import parse_clock
from bot.tips.library import default_library

LIMITS = {"ja": {"title": 30, "body": 200, "action": 80}, "en": {"title": 60, "body": 400, "action": 160}}
LIBRARY = default_library()


def test_at_least_60_tips_with_unique_ids() -> None:
    assert len(LIBRARY.tips) >= 60
    duplicated = [tip_id for tip_id, n in Counter(tip.id for tip in LIBRARY.tips).items() if n > 1]
    assert duplicated == []


@pytest.mark.parametrize("tip", LIBRARY.tips, ids=lambda tip: tip.id)
def test_every_tip_has_both_languages_and_fits_a_card(tip) -> None:  # type: ignore[no-untyped-def]
    assert set(tip.texts) == {"ja", "en"}
    for lang, limits in LIMITS.items():
        text = tip.texts[lang]
        assert text.title.strip() and text.body.strip(), lang
        for field, limit in limits.items():
            value = getattr(text, field) or ""
            assert len(value) <= limit, f"{tip.id} {lang} {field}: {len(value)} > {limit} characters"
    # A "try this today" step is offered in both languages or in neither.
    assert (tip.texts["ja"].action is None) == (tip.texts["en"].action is None)


def test_every_category_has_tips_and_every_tip_a_known_category() -> None:
    categories = {category.id for category in LIBRARY.categories}
    assert {tip.category for tip in LIBRARY.tips} == categories
    assert all(len(LIBRARY.in_category(category)) >= 5 for category in categories)
    assert all(category.names["ja"] and category.names["en"] for category in LIBRARY.categories)


@pytest.mark.parametrize(
    ("typed", "category"),
    [
        ("ペーパーレス", "paperless"),
        ("Paperless", "paperless"),
        ("ｆａｘ", "paperless"),
        ("窓口", "counter"),
        ("キャッシュレス", "counter"),
        ("service design", "service_design"),
        ("BPR", "bpr"),
        ("デジタル改善ポスト", "feedback"),
        ("デジタル", "feedback"),
        ("オープン&フラット", "open_flat"),
        ("open & flat", "open_flat"),
        ("テレワーク", "workstyle"),
        ("Teams", "teams"),
        ("アナログ規制", "analog_rules"),
        ("目視", "analog_rules"),
    ],
)
def test_category_names_match_forgivingly_in_both_languages(typed: str, category: str) -> None:
    found = LIBRARY.find_category(typed)
    assert found is not None and found.id == category


def test_unknown_or_ambiguous_category_words_match_nothing() -> None:
    assert LIBRARY.find_category("xyz") is None
    assert LIBRARY.find_category("") is None
    assert LIBRARY.find_category("e") is None  # in many names: ambiguous, so no guess


@pytest.mark.parametrize(
    ("typed", "time"),
    [
        ("8:30", (8, 30)),
        ("08:30", (8, 30)),
        ("８：３０", (8, 30)),
        ("8時30分", (8, 30)),
        ("7時", (7, 0)),
        ("8時半", (8, 30)),
    ],
)
def test_times_are_read_forgivingly(typed: str, time: tuple[int, int]) -> None:
    parsed = parse_clock(typed)
    assert parsed is not None and (parsed.hour, parsed.minute) == time


@pytest.mark.parametrize("typed", ["25:61", "24:00", "8:60", "abc", "8:30pm", "-1", "", "²:①", "8:"])
def test_impossible_times_are_refused(typed: str) -> None:
    assert parse_clock(typed) is None
