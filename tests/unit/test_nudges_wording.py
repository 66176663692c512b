"""The nudges' messages as a reader meets them (wording settled in review; the keys and placeholders stay)."""

from __future__ import annotations

from bot.i18n import catalog, t


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
