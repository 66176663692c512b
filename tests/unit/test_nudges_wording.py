"""The nudges' messages as a reader meets them (wording settled in review; the keys and placeholders stay)."""

from __future__ import annotations

from datetime import date, time

from bot.i18n import catalog, t
from bot.recurrence import Kind, Schedule
from cards.nudges import describe


def test_snoozing_says_where_it_works_and_who_can_pause_a_channels_nudge() -> None:
    assert t("nudges.snooze_personal_only", "ja") == (
        "ナッジの1週間停止は、ボットとの個人チャットでのみ利用できます。"
        "チャネルのナッジは、作成者またはチームの所有者が一覧から一時停止できます。"
    )
    english = t("nudges.snooze_personal_only", "en")
    assert "week" in english and "team owner" in english


def test_working_days_are_government_working_days() -> None:
    assert t("nudges.form.working_days", "ja") == "開庁日のみ(土日・祝日・年末年始に当たる場合は翌開庁日に送信)"
    assert t("nudges.form.working_days", "en") == (
        "Working days only (moved to the next working day if it falls on a weekend, holiday or the year-end break)"
    )


def test_the_list_command_and_lengths_use_the_settled_words() -> None:
    assert "一覧表示します" in t("nudges.command.list", "ja")
    for key, text in catalog("ja").items():
        if key.startswith("nudges.") and "{length}" in text:
            assert "現在{length}文字" in text and "いま{length}" not in text, key


def test_control_characters_are_explained_without_jargon() -> None:
    assert t("nudges.error.control", "ja").startswith("表示されない特殊な文字が含まれていたため取り除きました。")
    assert "NUL" not in t("nudges.error.control", "en")


def test_schedules_read_the_japanese_way_with_their_conditions_in_one_bracket() -> None:
    once = Schedule(Kind.ONCE, time(9, 0), on=date(2026, 11, 28), working_days_only=True)
    weekly = Schedule(Kind.WEEKLY, time(16, 30), weekdays=(0, 4), working_days_only=True)
    assert describe(once, "ja") == "11月28日(土) 9:00(1回だけ・開庁日のみ)"
    assert describe(weekly, "ja") == "毎週 月・金 16:30(開庁日のみ)"
    assert describe(Schedule(Kind.MONTHLY, time(9, 5), day=31), "ja") == "毎月31日 9:05"
    assert describe(once, "en") == "Sat, Nov 28 at 9:00 (once, working days only)"


def test_working_days_have_one_word_everywhere() -> None:
    """The form says 開庁日 (the government's working days); no string calls them 平日."""
    assert not [key for key, text in catalog("ja").items() if "平日" in text]
