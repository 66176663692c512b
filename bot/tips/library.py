"""The curated tip library: content is data (`content/tips.json`), reviewed like code, loaded once.

Every tip has a Japanese and an English text; categories carry their names in both languages plus aliases, so
「ヒント ペーパーレス」, `tip paperless` and `tip FAX` all find the same category.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.text import katakana

CONTENT = Path(__file__).parent / "content" / "tips.json"


@dataclass(frozen=True)
class TipText:
    title: str
    body: str
    action: str | None = None  # a concrete "try this today" step, where one helps


@dataclass(frozen=True)
class Tip:
    id: str
    category: str
    texts: dict[str, TipText]

    def text(self, lang: str) -> TipText:
        return self.texts.get(lang) or self.texts["ja"]


@dataclass(frozen=True)
class Category:
    id: str
    names: dict[str, str]
    aliases: tuple[str, ...] = ()

    def name(self, lang: str) -> str:
        return self.names.get(lang) or self.names["ja"]

    def match_keys(self) -> set[str]:
        return {fold(word) for word in (self.id, *self.names.values(), *self.aliases)}


def fold(text: str) -> str:
    """Forgiving form for matching: full-width folded, case folded, hiragana as katakana, spaces and separators
    dropped."""
    return re.sub(r"[\s_\-・/&、,.]+", "", katakana(unicodedata.normalize("NFKC", text).casefold()))


@dataclass(frozen=True)
class Library:
    tips: tuple[Tip, ...]
    categories: tuple[Category, ...]

    def tip(self, tip_id: str) -> Tip | None:
        return next((tip for tip in self.tips if tip.id == tip_id), None)

    def category(self, category_id: str) -> Category:
        return next(category for category in self.categories if category.id == category_id)

    def in_category(self, category_id: str | None) -> list[Tip]:
        return [tip for tip in self.tips if category_id is None or tip.category == category_id]

    def find_category(self, query: str) -> Category | None:
        """Exact name or alias first; else the one category a partial word points to (None if ambiguous)."""
        wanted = fold(query)
        if not wanted:
            return None
        exact = [c for c in self.categories if wanted in c.match_keys()]
        if exact:
            return exact[0]
        partial = [c for c in self.categories if any(wanted in key or key in wanted for key in c.match_keys())]
        return partial[0] if len(partial) == 1 else None


def parse(document: dict[str, Any]) -> Library:
    categories = tuple(
        Category(c["id"], {"ja": c["ja"], "en": c["en"]}, tuple(c.get("aliases", ()))) for c in document["categories"]
    )
    tips = tuple(
        Tip(item["id"], item["category"], {lang: TipText(**item[lang]) for lang in ("ja", "en")})
        for item in document["tips"]
    )
    return Library(tips, categories)


@cache
def default_library() -> Library:
    return parse(json.loads(CONTENT.read_text(encoding="utf-8")))
