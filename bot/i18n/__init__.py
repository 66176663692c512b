"""Message catalogs: Japanese first, English when the user's Teams locale is English.

Every user-visible string lives in `ja/<part>.json` and `en/<part>.json` under the same key with the same
placeholders (a test checks both). Each feature owns its own part file; a key may be defined only once.
Lookups never raise: a missing key falls back to Japanese, then to the key itself.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from string import Formatter

LANGUAGES = ("ja", "en")
DEFAULT_LANGUAGE = "ja"
_DIR = Path(__file__).parent


@cache
def catalog(lang: str) -> dict[str, str]:
    """The catalog of one language (all its part files merged), loaded once."""
    merged: dict[str, str] = {}
    for part in sorted((_DIR / lang).glob("*.json")):
        entries = json.loads(part.read_text(encoding="utf-8"))
        duplicated = merged.keys() & entries.keys()
        if duplicated:
            raise ValueError(f"{part}: keys already defined in another part: {sorted(duplicated)}")
        merged.update(entries)
    return merged


def language_of(locale: str | None) -> str:
    """Map a Teams locale (`ja-JP`, `en-US`, `en-GB`…) to a catalog language; anything unknown is Japanese."""
    if locale and locale.strip().lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def placeholders(text: str) -> set[str]:
    """The `{name}` placeholders of a catalog string."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


def t(key: str, lang: str = DEFAULT_LANGUAGE, **params: object) -> str:
    """Translate `key` into `lang`, filling placeholders."""
    text = catalog(lang if lang in LANGUAGES else DEFAULT_LANGUAGE).get(key) or catalog(DEFAULT_LANGUAGE).get(key, key)
    return text.format(**params) if params else text
