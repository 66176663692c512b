"""Whole numbers people type (or card data carries): the one way the bot reads them.

Python is generous with digits: `str.isdigit()` is true for "²" and "①", which `int()` then refuses (a crash
after the check passed), and `int()` and the regex `\\d` take Arabic-Indic "٣" or Devanagari "३" as 3. The bot
reads ASCII 0-9 only, plus full-width ０-９, which Japanese IMEs type; anything else is not a number, and the
form that asked says what to type instead.
"""

from __future__ import annotations

import re

# Full-width ASCII (what a Japanese IME types: ８：３０) folds to ASCII; other digits (², ①, ٣) stay and fail.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_WHOLE = re.compile(r"[0-9]{1,18}")  # ASCII only ([0-9], never \d); 18 digits: any number a field means


def fold_width(text: str) -> str:
    """Full-width ASCII letters, digits and signs (and the ideographic space) as ASCII; nothing else changes."""
    return text.translate(_FULL_WIDTH)


def whole_number(text: str) -> int | None:
    """The number `text` spells in digits 0-9 (or ０-９), spaces around it ignored; None for anything else:
    other scripts' digits, superscripts, circled numbers, signs, fractions, an empty text."""
    typed = fold_width(text).strip()
    return int(typed) if _WHOLE.fullmatch(typed) else None
