"""Turns an idea's text into the features the similar-ideas index compares (see docs/BENCHMARKS.md for why these).

Two families of features, each weighted by TF-IDF and compared by cosine on its own, then averaged:

- `morph`: SudachiPy (dictionary `sudachidict_core`, split mode A, the shortest units, so 在宅勤務 also matches 勤務)
  gives each content word its normalized form, which folds orthographic variants (打合せ/打ち合わせ, 引越/引っ越し,
  申込/申し込み, はんこ/ハンコ/判子, FAX/ファックス). Each word adds its Sudachi synonym groups (会議, ミーティング
  and 打ち合わせ share one) and the kanji of its surface (電子決裁 and 決裁 share 決 and 裁). English words
  are lower-cased and stripped of plural/verb endings (forms → form, booking → book) and function words; those
  the dictionary knows also add their Japanese form (office → オフィス, e-mail → Eメール, fax → ファックス).
- `chars`: character unigrams and bigrams of the folded text, which need no dictionary and catch what it splits
  differently (unknown words, compounds, partial katakana loanwords). Not of ASCII letters and digits: letter
  pairs of English words match anything (an English text has only `morph` features).

Folding for both: NFKC (full width = half width), case folding, control and format characters as spaces,
lone surrogates dropped; `chars` also folds katakana to hiragana. Text past `MAX_ANALYSED_CHARS` is ignored:
an idea is at most about 2,000 characters, and SudachiPy refuses inputs over 49,149 bytes.

The dictionary is memory-mapped (200 MB on disk, loaded in about 0.05 s) and built once, on first use. The
tokenizer is not thread-safe: call from one thread (the bot's event loop).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from sudachipy import Dictionary, SplitMode, Tokenizer

MAX_ANALYSED_CHARS = 4000
SYNONYM_WEIGHT = 0.5  # shared by all the synonym groups of one word
CONTENT_POS = frozenset({"名詞", "動詞", "形容詞", "形状詞", "副詞", "接頭辞", "接尾辞"})
ENGLISH_FUNCTION_WORDS = (
    "a an the and or but if so of to in on at by for with from into as is are was were be been being it its this"
    " that these those there here we our you your they them their he she his her i me my not no do does did can"
    " could will would should may might must than then also just only very more most all any each every some such"
    " who whom which what when where why how about over under between out up down off too per via have has had"
    " get got make made let please thank thanks"
)
ENGLISH_STOPWORDS = frozenset(ENGLISH_FUNCTION_WORDS.split())
ENGLISH_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""))
LATIN_WORD = re.compile(r"[a-z0-9][a-z0-9'\-]*")
ASCII_LETTER = re.compile(r"[a-z]")
NON_LATIN_RUN = re.compile(r"[^\W\x00-\x7f]+")  # word characters other than ASCII letters and digits
KATAKANA_TO_HIRAGANA = {code: code - 0x60 for code in range(ord("ァ"), ord("ヶ") + 1)}


@dataclass(frozen=True)
class Features:
    """Feature weights (term frequency) of one text, per family."""

    morph: Mapping[str, float]
    chars: Mapping[str, float]


@cache
def _tokenizer() -> Tokenizer:
    return Dictionary(dict="core").tokenizer(mode=SplitMode.A)


def fold(text: str) -> str:
    """NFKC and case folded, control/format characters as spaces, lone surrogates dropped, length capped."""
    text = text[:MAX_ANALYSED_CHARS].encode("utf-8", "ignore").decode("utf-8")
    text = unicodedata.normalize("NFKC", text).casefold()
    return "".join(" " if unicodedata.category(char)[0] == "C" else char for char in text)


def _is_kanji(char: str) -> bool:
    return "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff" or char == "々"


def english_stem(word: str) -> str:
    """Plural and verb endings off, leaving at least three letters (racks → rack, parking → park)."""
    for suffix, replacement in ENGLISH_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)] + replacement
    return word


def _morph_features(folded: str) -> dict[str, float]:
    features: defaultdict[str, float] = defaultdict(float)  # a synonym group counts a fraction
    for word in LATIN_WORD.findall(folded):
        if ASCII_LETTER.search(word) and word not in ENGLISH_STOPWORDS and len(word) > 1:  # numbers: Sudachi's
            features["w:" + english_stem(word)] += 1
    for morpheme in _tokenizer().tokenize(folded):
        surface = morpheme.surface()
        if ASCII_LETTER.search(surface):
            # English is counted above; a word the dictionary knows also bridges to its Japanese form.
            if not LATIN_WORD.fullmatch(surface) or surface in ENGLISH_STOPWORDS or morpheme.is_oov():
                continue
        elif morpheme.part_of_speech()[0] not in CONTENT_POS:
            continue
        features["w:" + morpheme.normalized_form().translate(KATAKANA_TO_HIRAGANA)] += 1
        groups = morpheme.synonym_group_ids()
        for group in groups:
            features[f"s:{group}"] += SYNONYM_WEIGHT / len(groups)
        for char in surface:
            if _is_kanji(char):
                features["k:" + char] += 1
    return dict(features)


def _char_features(folded: str) -> dict[str, float]:
    features: Counter[str] = Counter()
    for run in NON_LATIN_RUN.findall(folded.translate(KATAKANA_TO_HIRAGANA)):
        features.update(run)
        features.update(run[i : i + 2] for i in range(len(run) - 1))
    return dict(features)


def analyse(text: str) -> Features:
    """The features of any text: empty, huge, emoji-only or malformed text gives few or none, never an error."""
    folded = fold(text)
    return Features(morph=_morph_features(folded), chars=_char_features(folded))
