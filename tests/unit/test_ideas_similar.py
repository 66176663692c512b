"""Similar ideas first (issue 11): the paraphrase corpus ranks each idea's rewording first, orthographic variants
fold, unrelated or hostile text finds nothing and breaks nothing, and add/remove keep the index consistent."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.ideas.analyser import MAX_ANALYSED_CHARS, analyse
from bot.ideas.similar import SimilarIdeas
from tests.support.similar_ideas import Corpus, Direction, evaluate, index_of, load_corpus

ROOT = Path(__file__).resolve().parents[2]
TARGET_PRECISION_AT_1 = 0.90
TARGET_TOP3 = 0.98


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus()


@pytest.fixture(scope="module")
def index(corpus: Corpus) -> SimilarIdeas:
    """The corpus as loaded at start-up (originals indexed); tests that add an idea remove it again."""
    return index_of(corpus, "original→paraphrase")


def _words(text: str) -> set[str]:
    return {feature for feature in analyse(text).morph if feature.startswith("w:")}


def test_the_corpus_has_enough_genuine_paraphrases(corpus: Corpus) -> None:
    assert len(corpus.pairs) >= 40 and len(corpus.unrelated) >= 300
    texts = [*corpus.unrelated, *(p.original for p in corpus.pairs), *(p.paraphrase for p in corpus.pairs)]
    assert len(set(texts)) == len(texts), "an idea appears twice"
    # A paraphrase is reworded, not copied: fewer than half of the (normalized) words of the pair are in both.
    for pair in corpus.pairs:
        a, b = _words(pair.original), _words(pair.paraphrase)
        assert len(a & b) / len(a | b) < 0.5, pair.topic


def test_the_paraphrase_ranks_first_for_90_percent_and_in_the_top_3_for_98(corpus: Corpus) -> None:
    direction: Direction = "original→paraphrase"
    result = evaluate(index_of(corpus, direction), corpus, direction)
    summary = f"p@1 {result.precision_at_1:.3f}, top-3 {result.recall_at_3:.3f}; misses:\n" + "\n".join(result.misses)
    assert result.pairs == len(corpus.pairs)
    assert result.precision_at_1 >= TARGET_PRECISION_AT_1, summary
    assert result.recall_at_3 >= TARGET_TOP3, summary


def test_the_other_way_round_the_original_is_in_the_top_3(corpus: Corpus) -> None:
    """Indexing the paraphrases and querying with the originals is harder (the near-miss ideas were written
    around the originals' wording): top-3 holds, precision@1 is lower (see docs/BENCHMARKS.md)."""
    direction: Direction = "paraphrase→original"
    result = evaluate(index_of(corpus, direction), corpus, direction)
    summary = f"p@1 {result.precision_at_1:.3f}, top-3 {result.recall_at_3:.3f}; misses:\n" + "\n".join(result.misses)
    assert result.recall_at_3 >= TARGET_TOP3, summary


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("打合せ", "打ち合わせ"),
        ("引越の手続", "引っ越しの手続き"),
        ("申込み", "申し込み"),
        ("ハンコ", "判子"),
        ("ＦＡＸ", "FAX"),
        ("ﾍﾟｰﾊﾟｰﾚｽ", "ペーパーレス"),
        ("Ｔｅａｍｓで会議", "teams で会議"),
    ],
)
def test_orthographic_variants_fold_to_the_same_words(one: str, other: str) -> None:
    assert _words(one) and _words(one) == _words(other)


@pytest.mark.parametrize(
    ("indexed", "query"),
    [
        ("打合せの日程調整を自動化する", "打ち合わせの日程を自動で調整"),
        ("引越の手続をまとめてオンラインで", "引っ越し手続きを一括オンライン化"),
        ("ＦＡＸでの受付をやめる", "FAXの受付廃止"),
        ("Book meeting rooms online", "Online booking of a meeting room"),
    ],
)
def test_a_variant_finds_its_idea_first(index: SimilarIdeas, indexed: str, query: str) -> None:
    index.add("variant", indexed)
    try:
        matches = index.query(query)
    finally:
        index.remove("variant")
    assert matches and matches[0].idea_id == "variant", matches


@pytest.mark.parametrize(
    "text",
    [
        "週末に富士山に登ります。天気が良ければ山頂でご来光を見たい。",
        "猫がかわいい",
        "よろしくお願いします",
        "Weekend hiking trip to Mount Takao with my family",
        "😀🎉👍",
        "",
    ],
)
def test_an_unrelated_text_finds_nothing(index: SimilarIdeas, text: str) -> None:
    assert index.query(text) == []


HOSTILE = [
    "",
    "   \n\t ",
    "会議" * 5000,  # 10,000 characters
    "x" * 10_000,
    "😀🎉👍🏽‍🔥" * 50,
    "!!!???…※★☆",
    "NUL\x00BEL\x07ESC\x1b[31m DEL\x7f",
    "lone \ud800 surrogate \udfff here",
    "\u200b\u200d\ufeff",
    "Stop printing handouts for meetings; share slides on screen instead.",
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_text_is_indexed_and_queried_without_error(index: SimilarIdeas, text: str) -> None:
    size = len(index)
    matches = index.query(text, limit=5)
    assert len(matches) <= 5 and all(0 < m.score <= 1.0001 for m in matches)
    index.add("hostile", text)
    assert len(index) == size + 1 and "hostile" in index
    index.query(text)
    index.remove("hostile")
    assert len(index) == size and "hostile" not in index


def test_only_the_first_characters_are_analysed() -> None:
    head = "会議資料のペーパーレス化"
    assert analyse(head + "あ" * MAX_ANALYSED_CHARS) == analyse((head + "あ" * MAX_ANALYSED_CHARS)[:MAX_ANALYSED_CHARS])


def test_matches_are_best_first_within_the_limit(index: SimilarIdeas) -> None:
    matches = index.query("会議の資料を紙で配らずに画面で共有する", limit=3)
    assert len(matches) == 3
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    assert index.query("会議の資料を紙で配らずに画面で共有する", limit=0) == []
    assert SimilarIdeas().query("会議") == []


def test_add_replace_and_remove_keep_the_index_consistent() -> None:
    index = SimilarIdeas()
    index.add("a", "会議資料のペーパーレス化\n打合せの資料を印刷せず画面で共有する")
    index.add("b", "引越の手続をオンラインでまとめて申し込めるようにする")
    index.add("c", "テレワークの申請を勤怠システムで")
    assert len(index) == 3
    assert [m.idea_id for m in index.query("打ち合わせで紙の資料を配らない")][:1] == ["a"]

    index.add("a", "職員食堂に野菜たっぷりメニュー")  # the same id again: replaced, not duplicated
    assert len(index) == 3
    assert "a" not in [m.idea_id for m in index.query("打ち合わせで紙の資料を配らない")]
    assert [m.idea_id for m in index.query("食堂の野菜メニュー")][:1] == ["a"]

    index.remove("b")
    index.remove("b")  # unknown ids are ignored
    index.remove("never-added")
    assert len(index) == 2 and "b" not in index
    assert "b" not in [m.idea_id for m in index.query("引っ越し手続きをオンラインで")]

    index.add("d", "引っ越し手続きをまとめてスマホで")  # takes b's free slot
    assert [m.idea_id for m in index.query("引越の手続をオンラインで")][:1] == ["d"]

    for idea_id in ("a", "c", "d"):
        index.remove(idea_id)
    assert len(index) == 0 and index.query("引越の手続をオンラインで") == []


def test_the_ideas_domain_loads_no_teams_http_or_database_code() -> None:
    probe = (
        "import sys, bot.ideas.analyser, bot.ideas.similar\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {'botbuilder', 'aiohttp', 'sqlalchemy'})))"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
