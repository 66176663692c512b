"""Free text people type into forms and commands: what counts as visible, what counts as the same, and which
characters can't be stored.

- `visible(text)`: the text as a reader sees it — whitespace runs collapsed to one space, and whitespace and
  invisible format characters (Unicode category Cf: zero-width space U+200B, joiners U+200C/U+200D, BOM U+FEFF,
  bidi marks…) or blank fillers (U+3164 and friends) removed at both ends. Format characters inside the text
  are kept (emoji ZWJ sequences need them). A text made only of such characters becomes "".
- `visible_lines(text)`: the same per line, for multi-line text; empty lines at both ends are dropped.
- `text_key(text)`: what two texts must share to count as the same — visible, NFKC-folded (full-width =
  half-width), case-folded and stripped of every format character: "和食" and "和\u200b食" or "ＡＢＣ" and "abc"
  are one option.
- `katakana(text)`: hiragana written as katakana, so 「ひんと」 is 「ヒント」 (an IME left unconverted).
- `has_controls(text)` / `without_controls(text)`: control characters (category Cc) other than newline and tab,
  e.g. NUL, which PostgreSQL refuses in text columns. CR and CRLF count as newlines (`lines_normalized`).
"""

from __future__ import annotations

import re
import unicodedata

# Not category Cf, but shown as nothing by every font Teams uses.
BLANK_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
ALLOWED_CONTROLS = frozenset("\n\t")
_SPACES = re.compile(r"\s+")


def _blank(char: str) -> bool:
    return char.isspace() or char in BLANK_FILLERS or unicodedata.category(char) == "Cf"


def _strip_blank(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _blank(text[start]):
        start += 1
    while end > start and _blank(text[end - 1]):
        end -= 1
    return text[start:end]


def lines_normalized(text: str) -> str:
    """CRLF and lone CR as LF (clients differ in what a multi-line input sends)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def visible(text: str) -> str:
    """One line of text as a reader sees it: inner whitespace runs as one space, nothing invisible at the ends."""
    return _strip_blank(_SPACES.sub(" ", _strip_blank(text)))


def visible_lines(text: str) -> str:
    """Multi-line text as a reader sees it: each line `visible`, blank lines at both ends dropped."""
    lines = [visible(line) for line in lines_normalized(text).split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


def text_key(text: str) -> str:
    """What two texts must share to count as the same (see the module's docstring)."""
    folded = unicodedata.normalize("NFKC", visible(text)).casefold()
    return visible("".join(char for char in folded if unicodedata.category(char) != "Cf"))


_HIRAGANA_TO_KATAKANA = {code: code + 0x60 for code in range(ord("ぁ"), ord("ゖ") + 1)}
_HIRAGANA_TO_KATAKANA |= {ord("ゝ"): ord("ヽ"), ord("ゞ"): ord("ヾ")}


def katakana(text: str) -> str:
    """Hiragana as katakana (ひ→ヒ, ゞ→ヾ); everything else as it is."""
    return text.translate(_HIRAGANA_TO_KATAKANA)


def _control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char not in ALLOWED_CONTROLS


def has_controls(text: str) -> bool:
    """Whether `text` holds a control character other than newline/tab (CR counts as a newline)."""
    return any(_control(char) for char in lines_normalized(text))


def without_controls(text: str) -> str:
    """`text` with those control characters removed (newlines normalized to LF)."""
    return "".join(char for char in lines_normalized(text) if not _control(char))


def scalar_text(value: object) -> str | None:
    """A card data value as text: a string as is, a whole number as its digits; None for anything else (lists,
    objects, null, booleans, fractions) — card data comes from clients and may be forged."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None
