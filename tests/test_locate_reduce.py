"""The exact reductions keep the optimum: property tests on tiny coverage instances."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from optimizer.locate import SolveStatus, lscp, mclp
from optimizer.locate.reduce import dominated_columns, merge_rows

cover_matrices = arrays(np.bool_, st.tuples(st.integers(1, 9), st.integers(1, 6)))
weight_lists = st.lists(st.integers(0, 20), min_size=9, max_size=9)


def best_cover(a: np.ndarray, w: np.ndarray, p: int, cols: list[int]) -> float:
    """Max weight covered by at most p of `cols` (unreduced enumeration)."""
    best = 0.0
    for k in range(min(p, len(cols)) + 1):
        for c in itertools.combinations(cols, k):
            best = max(best, float(w[a[:, list(c)].any(axis=1)].sum()) if c else 0.0)
    return best


@settings(max_examples=60, deadline=None)
@given(a=cover_matrices, w=weight_lists, p=st.integers(1, 4))
def test_merge_and_dominance_keep_the_mclp_optimum(a, w, p) -> None:
    weights = np.asarray(w[: a.shape[0]], dtype=float)
    merged, mw, mapping = merge_rows(sp.csr_matrix(a.astype(float)), weights)
    assert mw.sum() == pytest.approx(weights.sum())
    assert (merged.toarray()[mapping] == a).all()  # every row is its merged row
    dom = dominated_columns(merged)
    kept = [j for j in range(a.shape[1]) if not dom[j]]
    assert kept  # never every column
    reduced = best_cover(merged.toarray() > 0, mw, p, kept)
    assert reduced == best_cover(a, weights, p, list(range(a.shape[1])))


@settings(max_examples=40, deadline=None)
@given(a=cover_matrices, w=weight_lists, p=st.integers(1, 4))
def test_mclp_kernel_equals_unreduced_enumeration(a, w, p) -> None:
    weights = np.asarray(w[: a.shape[0]], dtype=float)
    costs = np.where(a, 1.0, 5.0)
    m = a.shape[1]
    r = mclp(costs, weights, 1.0, min(p, m))
    assert r.status is SolveStatus.OPTIMAL
    assert len(r.selected) == min(p, m)
    assert r.objective == best_cover(a, weights, min(p, m), list(range(m)))


@settings(max_examples=40, deadline=None)
@given(a=cover_matrices)
def test_lscp_kernel_equals_unreduced_enumeration(a) -> None:
    costs = np.where(a, 1.0, 5.0)
    m = a.shape[1]
    expected = next(
        (
            k
            for k in range(m + 1)
            for c in itertools.combinations(range(m), k)
            if a[:, list(c)].any(axis=1).all()
        ),
        None,
    )
    r = lscp(costs, 1.0)
    if expected is None:
        assert r.status is SolveStatus.INFEASIBLE
    else:
        assert (r.status, r.objective) == (SolveStatus.OPTIMAL, expected)
        assert a[:, list(r.selected)].any(axis=1).all()


def test_identical_columns_keep_exactly_one() -> None:
    a = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=float))
    dom = dominated_columns(a)
    assert dom.tolist() == [False, True, False]
