"""bot.text: what counts as visible text, as the same text, and which characters can't be stored."""

from __future__ import annotations

import pytest

from bot.text import has_controls, scalar_text, text_key, visible, visible_lines, without_controls

INVISIBLE = ["", " ", "\u3000", "\u200b", "\u200d", "\ufeff", "\u200b \ufeff\u200d", "\t\n", "\u3164", "\u2060\u00ad"]


@pytest.mark.parametrize("text", INVISIBLE, ids=[repr(text) for text in INVISIBLE])
def test_text_made_only_of_spaces_or_format_characters_is_empty(text: str) -> None:
    assert visible(text) == "" and visible_lines(text) == ""


def test_visible_strips_the_ends_and_collapses_spaces_but_keeps_emoji_joiners() -> None:
    assert visible("\ufeff\u200b 今日の  ランチ?\u3000\u200d") == "今日の ランチ?"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    assert visible(f" {family} ") == family


def test_visible_lines_keeps_lines_and_drops_blank_ones_at_the_ends() -> None:
    assert visible_lines("\u200b\r\n 1行目 \r\n\r\n  2行目\u200b \n\ufeff\n") == "1行目\n\n2行目"


@pytest.mark.parametrize(
    ("a", "b"),
    [("和食", "和\u200b食"), ("和食", " 和食\ufeff"), ("ＡＢＣ", "abc"), ("Sushi", "SUSHI"), ("a  b", "a b")],
)
def test_texts_a_reader_cannot_tell_apart_are_the_same(a: str, b: str) -> None:
    assert text_key(a) == text_key(b)


def test_different_texts_stay_different() -> None:
    assert text_key("和食") != text_key("洋食") and text_key("ab") != text_key("a b")


def test_control_characters_other_than_newline_and_tab_are_found_and_removed() -> None:
    assert has_controls("a\x00b") and has_controls("\x1b[31m") and has_controls("\x7f")
    assert not has_controls("1行目\n2行目\tタブ\r\n")
    assert without_controls("a\x00b\x07\r\nc") == "ab\nc"


@pytest.mark.parametrize(("value", "expected"), [("x", "x"), (3, "3"), (None, None), (["x"], None), ({"a": 1}, None)])
def test_scalar_text_takes_strings_and_whole_numbers_only(value: object, expected: str | None) -> None:
    assert scalar_text(value) == expected
    assert scalar_text(True) is None and scalar_text(1.5) is None
