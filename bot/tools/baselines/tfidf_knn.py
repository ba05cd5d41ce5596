"""Baseline 2: a TF-IDF character n-gram nearest-neighbour matcher — what a developer might build instead of Rasa.

Every training example becomes a TF-IDF vector of its character n-grams (1–4, `char_wb`); a message gets
the label of the most similar training example (cosine similarity, 1-NN). Below a similarity threshold
it is refused (`nlu_fallback`, as Rasa's FallbackClassifier would say). The threshold is chosen on the
training data only, by leave-one-out: each training example is matched against all the others, and the
threshold that gives the most good outcomes (the right label, or a refusal of an out-of-scope message)
wins, the lowest one on a tie.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

REFUSAL = "nlu_fallback"
OUT_OF_SCOPE = "out_of_scope"
# thresholds tried by leave-one-out: 0.00, 0.01, …, 0.99
CANDIDATE_THRESHOLDS = tuple(round(0.01 * i, 2) for i in range(100))


def good_outcome(gold: str, predicted: str) -> bool:
    """Right label, or a refusal of an out-of-scope message."""
    return predicted == gold or (gold == OUT_OF_SCOPE and predicted == REFUSAL)


def choose_threshold(
    gold: Sequence[str],
    nearest: Sequence[tuple[str, float]],
    candidates: Sequence[float] = CANDIDATE_THRESHOLDS,
) -> tuple[float, float]:
    """(threshold, share of good outcomes) for the best threshold, given each example's nearest (label, sim)."""
    best = (0.0, -1.0)
    for threshold in sorted(candidates):
        good = sum(
            good_outcome(g, label if sim >= threshold else REFUSAL)
            for g, (label, sim) in zip(gold, nearest, strict=True)
        )
        rate = good / len(gold)
        if rate > best[1]:  # strict: the lowest threshold wins a tie
            best = (threshold, rate)
    return best


@dataclass
class TfidfNearestNeighbour:
    """1-NN over TF-IDF character n-grams with cosine similarity, refusing below `threshold`.

    `threshold=None` chooses it by leave-one-out on the training data in `fit`; 0 never refuses.
    """

    analyzer: str = "char_wb"
    ngram_range: tuple[int, int] = (1, 4)
    threshold: float | None = None
    leave_one_out_rate: float | None = field(default=None, init=False)
    _vectorizer: TfidfVectorizer | None = field(default=None, init=False, repr=False)
    _matrix: object = field(default=None, init=False, repr=False)
    _texts: list[str] = field(default_factory=list, init=False, repr=False)
    _labels: list[str] = field(default_factory=list, init=False, repr=False)

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> TfidfNearestNeighbour:
        if len(texts) != len(labels) or not texts:
            raise ValueError("need as many labels as texts, and at least one")
        self._vectorizer = TfidfVectorizer(analyzer=self.analyzer, ngram_range=self.ngram_range)
        self._matrix = self._vectorizer.fit_transform(texts)  # rows are L2-normalised: dot = cosine
        self._texts, self._labels = list(texts), list(labels)
        if self.threshold is None:
            self.threshold, self.leave_one_out_rate = choose_threshold(self._labels, self.leave_one_out())
        return self

    def leave_one_out(self) -> list[tuple[str, float]]:
        """Each training example's nearest *other* training example: (label, similarity)."""
        sims = (self._matrix @ self._matrix.T).toarray()
        np.fill_diagonal(sims, -1.0)
        best = sims.argmax(axis=1)
        return [(self._labels[j], float(sims[i, j])) for i, j in enumerate(best)]

    def nearest(self, texts: Sequence[str]) -> list[tuple[str, float, str]]:
        """(label, similarity, training text) of the nearest training example for each message."""
        if self._vectorizer is None:
            raise RuntimeError("fit() first")
        sims = (self._vectorizer.transform(texts) @ self._matrix.T).toarray()
        best = sims.argmax(axis=1)  # the first of equals: training order breaks ties
        return [(self._labels[j], float(sims[i, j]), self._texts[j]) for i, j in enumerate(best)]

    def predict(self, texts: Sequence[str]) -> list[str]:
        threshold = self.threshold or 0.0
        return [label if sim >= threshold else REFUSAL for label, sim, _ in self.nearest(texts)]
