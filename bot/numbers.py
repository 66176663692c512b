"""Whole numbers people type (or card data carries): the one way the bot reads them.

Python is generous with digits: `str.isdigit()` is true for "²" and "①", which `int()` then refuses (a crash
after the check passed), and `int()` and the regex `\\d` take Arabic-Indic "٣" or Devanagari "३" as 3. The bot
reads ASCII 0-9 only, plus full-width ０-９, which Japanese IMEs type; anything else is not a number, and the
form that asked says what to type instead.
"""

from __future__ import annotations

import re

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_WHOLE = re.compile(r"[0-9]{1,18}")  # ASCII only ([0-9], never \d); 18 digits: any number a field means


def fold_digits(text: str) -> str:
    """`text` with full-width digits ０-９ as ASCII 0-9; every other character as it is."""
    return text.translate(_FULL_WIDTH_DIGITS)


def whole_number(text: str) -> int | None:
    """The number `text` spells in digits 0-9 (or ０-９), spaces around it ignored; None for anything else:
    other scripts' digits, superscripts, circled numbers, signs, fractions, an empty text."""
    typed = fold_digits(text.strip())
    return int(typed) if _WHOLE.fullmatch(typed) else None
