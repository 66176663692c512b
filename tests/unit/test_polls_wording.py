"""The polls' messages as a reader meets them (wording settled in review; the keys and placeholders stay)."""

from __future__ import annotations

from bot.i18n import catalog, t


def test_the_privacy_threshold_says_why_and_when_in_plain_words() -> None:
    assert (
        t("polls.results.threshold", "ja", threshold=5)
        == "匿名の投票のため、回答者が5人に達するまで内訳は表示しません。"
    )
    assert (
        t("polls.results.threshold", "en", threshold=5)
        == "This poll is anonymous, so the breakdown appears once 5 people have answered."
    )


def test_control_characters_are_explained_without_jargon() -> None:
    assert t("polls.error.control", "ja") == (
        "表示されない特殊な文字が含まれていたため取り除きました。内容を確認して、もう一度送信してください。"
    )
    for key in ("polls.error.control", "polls.oneliner.control"):
        for lang in ("ja", "en"):
            assert "NUL" not in t(key, lang) and "制御文字" not in t(key, lang), (key, lang)
        assert t(key, "ja").startswith("表示されない特殊な文字が含まれていた")


def test_personal_reminders_count_who_could_not_be_sent_to_and_non_voters_read_naturally() -> None:
    assert "2人には送れません" in t("polls.reminded.personal", "ja", sent=3, unreachable=2)
    assert "ボット未追加" not in t("polls.reminded.personal", "ja", sent=3, unreachable=2)
    assert t("polls.non_voters.title", "en", count=4) == "Not answered yet: 4"


def test_lengths_are_reported_as_genzai() -> None:
    for key, text in catalog("ja").items():
        if key.startswith("polls.") and "{length}" in text:
            assert "いま{length}" not in text, key
    assert "現在201文字" in t("polls.error.question_long", "ja", max=200, length=201)
