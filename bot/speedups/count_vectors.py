"""CountVectorsFeaturizer._create_features: a message's count matrices built directly as COO.

Each count-vector featurizer asks scikit-learn for two count matrices a message (one row per token, and the
sentence); Rasa then sorts each and converts it to COO, and scipy's checks cost three times the counting
(about 1 ms a message for the two featurizers). The same COO matrices are built here from the vectorizer's own
analyzer and vocabulary, made and checked once for each fitted vectorizer. No message words are kept between
messages: they may be names.
"""

from __future__ import annotations

import weakref
from collections import Counter
from typing import Any, List, Optional, Tuple

import numpy as np
import scipy.sparse
from rasa.nlu.constants import DENSE_FEATURIZABLE_ATTRIBUTES
from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import CountVectorsFeaturizer

from bot.speedups._patch import Patch

_rasas_create_count_features = CountVectorsFeaturizer._create_features


class _Analysis:
    """A fitted vectorizer's analyzer and vocabulary, checked once rather than on every message."""

    def __init__(self, vectorizer: Any):
        vectorizer._check_vocabulary()  # scikit-learn's own errors for an unfitted or empty vocabulary
        self.vocabulary = vectorizer.vocabulary_
        self.analyze = vectorizer.build_analyzer()


_analyses: weakref.WeakKeyDictionary[Any, _Analysis] = weakref.WeakKeyDictionary()


def _analysis(vectorizer: Any) -> _Analysis:
    """The vectorizer's analysis, made again if it has been fitted since (a new vocabulary)."""
    analysis = _analyses.get(vectorizer)
    if analysis is None or analysis.vocabulary is not vectorizer.vocabulary_:
        analysis = _analyses[vectorizer] = _Analysis(vectorizer)
    return analysis


def _token_counts(vectorizer: Any, documents: List[str]) -> scipy.sparse.coo_matrix:
    """`vectorizer.transform(documents)`, its indices sorted, as COO: what Rasa keeps, built directly."""
    analysis = _analysis(vectorizer)
    rows: List[int] = []
    columns: List[int] = []
    counts: List[int] = []
    for row, document in enumerate(documents):
        counter = Counter(map(analysis.vocabulary.get, analysis.analyze(document)))
        counter.pop(None, None)  # features outside the vocabulary
        for column in sorted(counter):
            rows.append(row)
            columns.append(column)
            counts.append(counter[column])
    data = np.asarray(counts, dtype=vectorizer.dtype)
    if vectorizer.binary:
        data.fill(1)
    shape = (len(documents), len(analysis.vocabulary))
    index = (np.asarray(rows, dtype=np.int32), np.asarray(columns, dtype=np.int32))
    return scipy.sparse.coo_matrix((data, index), shape=shape)


def _create_count_features(
    self: CountVectorsFeaturizer, attribute: str, all_tokens: List[List[str]]
) -> Tuple[List[Optional[scipy.sparse.spmatrix]], List[Optional[scipy.sparse.spmatrix]]]:
    """Each message's token rows and sentence row, as Rasa makes them."""
    vectorizer = self.vectorizers.get(attribute)
    if not vectorizer:
        return [None], [None]
    sequences: List[Optional[scipy.sparse.spmatrix]] = []
    sentences: List[Optional[scipy.sparse.spmatrix]] = []
    for tokens in all_tokens:
        if not tokens:
            sequences.append(None)
            sentences.append(None)
            continue
        sequences.append(_token_counts(vectorizer, tokens))
        dense = attribute in DENSE_FEATURIZABLE_ATTRIBUTES
        sentences.append(_token_counts(vectorizer, [" ".join(tokens)]) if dense else None)
    return sequences, sentences


PATCH = Patch(CountVectorsFeaturizer, "_create_features", _create_count_features)
