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
from optimizer.locate.covering import _disjoint_rows
from optimizer.locate.reduce import dominated_columns, dominated_rows, merge_rows

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
    r = mclp(costs, weights, standard=1.0, p=min(p, m))
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
    r = lscp(costs, standard=1.0)
    if expected is None:
        assert r.status is SolveStatus.INFEASIBLE
    else:
        assert (r.status, r.objective) == (SolveStatus.OPTIMAL, expected)
        assert a[:, list(r.selected)].any(axis=1).all()


def test_identical_columns_keep_exactly_one() -> None:
    a = sp.csr_matrix(np.array([[1, 1, 0], [0, 0, 1], [1, 1, 1]], dtype=float))
    dom = dominated_columns(a)
    assert dom.tolist() == [False, True, False]


@settings(max_examples=60, deadline=None)
@given(a=cover_matrices)
def test_row_dominance_keeps_the_set_cover_optimum(a) -> None:
    a = a[a.any(axis=1)]
    if a.shape[0] == 0:
        return
    merged, _, _ = merge_rows(sp.csr_matrix(a.astype(float)), np.ones(a.shape[0]))
    dom = dominated_rows(merged)
    kept = merged.toarray()[~dom] > 0
    assert kept.shape[0] >= 1
    m = a.shape[1]
    for k in range(m + 1):
        for c in itertools.combinations(range(m), k):
            # a choice covers the kept rows iff it covers all rows
            assert kept[:, list(c)].any(axis=1).all() == a[:, list(c)].any(axis=1).all()


def test_row_dominance_drops_supersets_only() -> None:
    a = sp.csr_matrix(np.array([[1, 0, 0], [1, 1, 0], [0, 1, 1], [1, 1, 1]], dtype=float))
    assert dominated_rows(a).tolist() == [False, True, False, True]
    same = sp.csr_matrix(np.array([[1, 1], [1, 1]], dtype=float))
    assert dominated_rows(same).tolist() == [False, False]  # identical rows: merge_rows' job


@settings(max_examples=60, deadline=None)
@given(a=cover_matrices, w=weight_lists, p=st.integers(1, 4))
def test_full_cover_shortcut_agrees_with_enumeration(a, w, p) -> None:
    # many rows, few sites: p often reaches the set-cover size, so the cover test decides
    a = np.vstack([a, np.eye(a.shape[1], dtype=bool)])
    weights = np.asarray((w * 2)[: a.shape[0]], dtype=float) + 1.0
    costs = np.where(a, 1.0, 5.0)
    m = a.shape[1]
    r = mclp(costs, weights, standard=1.0, p=min(p, m))
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == best_cover(a, weights, min(p, m), list(range(m)))
    if r.stats.get("cover_test") == 1:
        assert r.objective == weights.sum()


def test_cover_test_proves_the_trivial_bound_where_greedy_fails() -> None:
    # greedy opens site 0 (four points) and then cannot cover points 4 and 5 with one more
    # site; sites 1 and 2 together cover everything, which the exact cover test finds
    a = np.array([[1, 1, 0], [1, 1, 0], [1, 0, 1], [1, 0, 1], [0, 1, 0], [0, 0, 1]], dtype=bool)
    r = mclp(np.where(a, 1.0, 5.0), np.ones(6), standard=1.0, p=2)
    assert r.stats["cover_test"] == 1
    assert (r.status, r.objective, r.selected) == (SolveStatus.OPTIMAL, 6.0, (1, 2))


def test_disjoint_rows_bound_the_set_cover_size() -> None:
    a = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 1, 0], [0, 1, 1, 0], [0, 0, 0, 1]], float))
    assert _disjoint_rows(a, 10) == 3  # rows 1, 3 and then 0 share no site
    assert _disjoint_rows(a, 1) == 2  # stops once above the limit
