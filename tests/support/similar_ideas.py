"""The similar-ideas corpus (tests/data/ideas_similar.json) and how the index is measured on it, shared by the unit
test and `bench.ideas_similar`.

One side of each paraphrase pair is indexed among the unrelated ideas; the other side is the query. A pair is a
hit at 1 when its own idea ranks first, in the top 3 when it ranks among the first three.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from bot.ideas.similar import FAMILY_WEIGHTS, SimilarIdeas

CORPUS_FILE = Path(__file__).resolve().parents[1] / "data" / "ideas_similar.json"
Direction = Literal["original→paraphrase", "paraphrase→original"]


@dataclass(frozen=True)
class Pair:
    topic: str
    original: str
    paraphrase: str


@dataclass(frozen=True)
class Corpus:
    pairs: list[Pair]
    unrelated: list[str]


@dataclass
class Evaluation:
    pairs: int = 0
    first: int = 0
    top3: int = 0
    misses: list[str] = field(default_factory=list)  # "topic: rank n (score) behind idea (score)"

    @property
    def precision_at_1(self) -> float:
        return self.first / self.pairs

    @property
    def recall_at_3(self) -> float:
        return self.top3 / self.pairs


def joined(idea: list[str]) -> str:
    """Title and description as the idea box passes them: one text, title first."""
    return "\n".join(idea)


def load_corpus() -> Corpus:
    data = json.loads(CORPUS_FILE.read_text(encoding="utf-8"))
    pairs = [Pair(p["topic"], joined(p["original"]), joined(p["paraphrase"])) for p in data["pairs"]]
    return Corpus(pairs=pairs, unrelated=[joined(idea) for idea in data["unrelated"]])


def pair_id(number: int) -> str:
    return f"pair-{number}"


def index_of(
    corpus: Corpus, direction: Direction, extra: Sequence[str] = (), weights: Mapping[str, float] = FAMILY_WEIGHTS
) -> SimilarIdeas:
    """The unrelated ideas (and `extra` ones), plus the indexed side of every pair, loaded as at start-up."""
    index = SimilarIdeas(weights=weights)
    indexed_side = "original" if direction == "original→paraphrase" else "paraphrase"
    ideas = [(f"unrelated-{i}", text) for i, text in enumerate([*corpus.unrelated, *extra])]
    ideas += [(pair_id(n), getattr(pair, indexed_side)) for n, pair in enumerate(corpus.pairs)]
    index.add_many(ideas)
    return index


def evaluate(index: SimilarIdeas, corpus: Corpus, direction: Direction) -> Evaluation:
    """Queries the other side of every pair against an index built by `index_of(corpus, direction)`."""
    query_side = "paraphrase" if direction == "original→paraphrase" else "original"
    result = Evaluation()
    for n, pair in enumerate(corpus.pairs):
        matches = index.query(getattr(pair, query_side), limit=len(index))
        ranked = [match.idea_id for match in matches]
        result.pairs += 1
        rank = ranked.index(pair_id(n)) + 1 if pair_id(n) in ranked else None
        result.first += rank == 1
        result.top3 += rank is not None and rank <= 3
        if rank != 1:
            own = next((f"{m.score:.3f}" for m in matches if m.idea_id == pair_id(n)), "below the minimum score")
            top = f"{matches[0].idea_id} ({matches[0].score:.3f})" if matches else "nothing"
            result.misses.append(f"{pair.topic}: rank {rank or '-'} ({own}) behind {top}")
    return result
