"""Sparse feature matrices joined side by side, as scipy's hstack joins them, without its general checks.

Used by the logistic regression (bot/nlu/classifiers.py) for a served message's sentence row, and by the
feature-joining speed-ups (bot/speedups/).
"""

from __future__ import annotations

from typing import Any, List

import numpy as np
import scipy.sparse

_INT32_MAX = np.iinfo(np.int32).max


def joinable(matrices: List[Any]) -> bool:
    """Whether side_by_side joins these as Rasa would: COO, the same rows, 32-bit indices before and after."""
    return (
        all(scipy.sparse.isspmatrix_coo(matrix) for matrix in matrices)
        and len({matrix.shape[0] for matrix in matrices}) == 1
        and all(index.dtype == np.int32 for matrix in matrices for index in (matrix.row, matrix.col))
        and sum(matrix.shape[1] for matrix in matrices) < _INT32_MAX
    )


def side_by_side(matrices: List[scipy.sparse.coo_matrix]) -> scipy.sparse.coo_matrix:
    """COO matrices with the same rows, joined column-wise by concatenating their entries: scipy's hstack, entry
    for entry."""
    offsets, width = [], 0
    for matrix in matrices:
        offsets.append(width)
        width += matrix.shape[1]
    rows = np.concatenate([matrix.row for matrix in matrices])
    columns = np.concatenate([matrix.col + offset for matrix, offset in zip(matrices, offsets)])
    data = np.concatenate([matrix.data for matrix in matrices])
    return scipy.sparse.coo_matrix((data, (rows, columns)), shape=(matrices[0].shape[0], width))
