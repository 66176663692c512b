"""The one reading of typed whole numbers: ASCII digits and full-width ones, nothing that merely looks numeric."""

from __future__ import annotations

import pytest

from bot.numbers import whole_number


@pytest.mark.parametrize(("typed", "number"), [("7", 7), (" 28 ", 28), ("１５", 15), ("0", 0), ("\u300012\u3000", 12)])
def test_ascii_and_full_width_digits_are_numbers(typed: str, number: int) -> None:
    assert whole_number(typed) == number


@pytest.mark.parametrize(
    "typed",
    ["", " ", "²", "①", "١٥", "३", "¹⁷", "-1", "+2", "1.5", "1,000", "1 2", "0x10", "9" * 19],
    ids=lambda typed: typed.encode("unicode_escape").decode() or "empty",
)
def test_everything_else_is_not(typed: str) -> None:
    assert whole_number(typed) is None
