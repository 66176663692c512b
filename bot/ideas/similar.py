"""Similar ideas first: before a new idea is posted, the existing ideas that look like it.

`SimilarIdeas` is an in-memory index of every open idea (title and description joined), loaded once from the
database with `add_many` at start and kept current with `add` / `remove` on every new or withdrawn idea. Each
text is analysed into two families of features (`bot.ideas.analyser`); a look-up scores every idea sharing a
feature with the query by TF-IDF cosine per family, averaged over the families the query has features in (an
English text has no `chars` features), and returns the best few above `MIN_SCORE`.

Why it stays cheap:
- Inverted index per family: a feature's postings are two compact arrays (idea slots, weights), so a look-up only
  touches ideas that share a feature, and memory grows with the number of postings, not of Python objects.
- An idea's weights are computed once, when it is added, with the document frequencies of that moment; later
  additions don't rewrite them (no rebuild). The query side always uses the current frequencies. `add_many` counts
  the frequencies of a whole batch of ideas before weighting it, so the start-up load weighs even its first ideas
  with the frequencies of thousands.
- Features found in more than `COMMON_FEATURE_SHARE` of a large index (particles such as の or を as characters)
  are not looked up: their IDF is near zero, their postings the longest.

Not thread-safe: use it from one thread (the bot's event loop).
"""

from __future__ import annotations

import heapq
import math
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import islice

from bot.ideas.analyser import Features, analyse

FAMILY_WEIGHTS = {"morph": 0.5, "chars": 0.5}
MIN_SCORE = 0.1
COMMON_FEATURE_SHARE = 0.2
COMMON_FEATURE_MIN_IDEAS = 1000  # below this, every feature is looked up
LOAD_BATCH = 2000


@dataclass(frozen=True)
class Match:
    idea_id: str
    score: float  # cosine similarity, 0..1


class _Postings:
    """The ideas (by slot) that have one feature, with the feature's weight in each."""

    __slots__ = ("slots", "weights")

    def __init__(self) -> None:
        self.slots = array("I")
        self.weights = array("f")


class _Family:
    """One family's inverted index: feature → postings. Document frequency is the length of the postings."""

    def __init__(self) -> None:
        self.postings: dict[str, _Postings] = {}

    def frequency(self, feature: str) -> int:
        postings = self.postings.get(feature)
        return len(postings.slots) if postings else 0

    def vector(
        self, frequencies: Mapping[str, float], size: int, pending: Counter[str] | None = None
    ) -> dict[str, float]:
        """Unit-length TF-IDF vector (sub-linear term frequency) against an index of `size` ideas, `pending`
        counting the ideas of a batch being added that have each feature."""
        weights = {}
        for feature, tf in frequencies.items():
            df = self.frequency(feature) + (pending[feature] if pending else 0)
            weights[feature] = (1 + math.log(tf) if tf >= 1 else tf) * math.log((size + 1) / (df + 0.5))
        norm = math.sqrt(sum(weight * weight for weight in weights.values()))
        return {feature: weight / norm for feature, weight in weights.items()} if norm else {}

    def insert(self, slot: int, vector: dict[str, float]) -> tuple[str, ...]:
        """Adds an idea's weights; returns its features (interned: each idea keeps them for `delete`)."""
        features = []
        for key, weight in vector.items():
            feature = sys.intern(key)  # one string per feature, however many ideas have it
            postings = self.postings.get(feature)
            if postings is None:
                postings = self.postings[feature] = _Postings()
            postings.slots.append(slot)
            postings.weights.append(weight)
            features.append(feature)
        return tuple(features)

    def delete(self, slot: int, features: tuple[str, ...]) -> None:
        for feature in features:
            postings = self.postings[feature]
            at = postings.slots.index(slot)
            del postings.slots[at]
            del postings.weights[at]
            if not postings.slots:
                del self.postings[feature]

    def accumulate(self, vector: dict[str, float], factor: float, scores: list[float], size: int) -> None:
        """Adds factor × cosine to the score of every idea sharing a feature with the query vector."""
        skip_above = size * COMMON_FEATURE_SHARE if size >= COMMON_FEATURE_MIN_IDEAS else size
        for feature, query_weight in vector.items():
            postings = self.postings.get(feature)
            if postings is None or len(postings.slots) > skip_above:
                continue
            weight = factor * query_weight
            for slot, idea_weight in zip(postings.slots, postings.weights, strict=True):
                scores[slot] += weight * idea_weight


class SimilarIdeas:
    """The open ideas, searchable by likeness of text."""

    def __init__(self, min_score: float = MIN_SCORE, weights: Mapping[str, float] = FAMILY_WEIGHTS) -> None:
        self.min_score = min_score
        self.weights = dict(weights)
        self._families = {name: _Family() for name in FAMILY_WEIGHTS}
        self._slot_of: dict[str, int] = {}
        self._idea_at: list[str | None] = []
        self._features_at: list[dict[str, tuple[str, ...]]] = []
        self._free: list[int] = []

    def __len__(self) -> int:
        return len(self._slot_of)

    def __contains__(self, idea_id: object) -> bool:
        return idea_id in self._slot_of

    def add(self, idea_id: str, text: str) -> None:
        """Indexes an idea (title and description joined); an idea already indexed is replaced."""
        self.add_many([(idea_id, text)])

    def add_many(self, ideas: Iterable[tuple[str, str]]) -> None:
        """Indexes many ideas (the start-up load), `LOAD_BATCH` at a time: the ideas of a batch are weighted with
        the document frequencies of the index and the whole batch, and memory stays bounded by one batch."""
        pending = iter(ideas)
        while batch := dict(islice(pending, LOAD_BATCH)):
            self._add_batch({idea_id: analyse(text) for idea_id, text in batch.items()})

    def _add_batch(self, batch: dict[str, Features]) -> None:
        for idea_id in batch:
            self.remove(idea_id)
        size = len(self) + len(batch)
        vectors: dict[str, dict[str, dict[str, float]]] = {idea_id: {} for idea_id in batch}
        for name, family in self._families.items():
            frequencies: Counter[str] = Counter()
            for features in batch.values():
                frequencies.update(getattr(features, name).keys())
            for idea_id, features in batch.items():
                vectors[idea_id][name] = family.vector(getattr(features, name), size, frequencies)
        for idea_id, by_family in vectors.items():
            slot = self._free.pop() if self._free else len(self._idea_at)
            if slot == len(self._idea_at):
                self._idea_at.append(None)
                self._features_at.append({})
            self._slot_of[idea_id] = slot
            self._idea_at[slot] = idea_id
            self._features_at[slot] = {
                name: self._families[name].insert(slot, vector) for name, vector in by_family.items()
            }

    def remove(self, idea_id: str) -> None:
        """Forgets an idea (withdrawn, merged, deleted); unknown ids are ignored."""
        slot = self._slot_of.pop(idea_id, None)
        if slot is None:
            return
        for name, family in self._families.items():
            family.delete(slot, self._features_at[slot][name])
        self._idea_at[slot] = None
        self._features_at[slot] = {}
        self._free.append(slot)

    def query(self, text: str, limit: int = 3) -> list[Match]:
        """The ideas most like `text`, best first, at most `limit`, none scoring below `min_score`."""
        size = len(self)
        if not size or limit < 1:
            return []
        features = analyse(text)
        vectors = {name: family.vector(getattr(features, name), size) for name, family in self._families.items()}
        present = sum(self.weights[name] for name, vector in vectors.items() if vector)
        scores = [0.0] * len(self._idea_at)
        for name, vector in vectors.items():
            if vector and self.weights[name]:
                self._families[name].accumulate(vector, self.weights[name] / present, scores, size)
        candidates = (slot for slot, score in enumerate(scores) if score >= self.min_score)
        best = heapq.nlargest(limit, candidates, key=scores.__getitem__)
        return [Match(idea_id=self._idea_at[slot] or "", score=round(scores[slot], 4)) for slot in best]
