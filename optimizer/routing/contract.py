"""Chains of road nodes with two neighbours merged away: fewer nodes, the same shortest times.

Real road lines carry a vertex every few metres, and each is a graph node with exactly two
neighbours. Such a node x between a and b (kept nodes are never removed: the points' feet)
is replaced by the arcs a -> b (when a -> x and x -> b exist, at the sum of their minutes and
metres) and b -> a likewise, so one-way chains stay one-way. Each pass removes an independent
set of such nodes (no two neighbours in one pass, chosen by a fixed pseudo-random priority), so
a chain of length L goes in about log(L) passes. Every path between kept nodes keeps its time
and length exactly (up to the order of floating-point additions).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix

__all__ = ["contract_chains"]

Arcs = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _fastest(src: np.ndarray, dst: np.ndarray, minutes: np.ndarray, length: np.ndarray) -> Arcs:
    keep = src != dst
    src, dst, minutes, length = src[keep], dst[keep], minutes[keep], length[keep]
    order = np.lexsort((minutes, dst, src))
    src, dst, minutes, length = src[order], dst[order], minutes[order], length[order]
    first = np.ones(len(src), dtype=bool)
    first[1:] = (src[1:] != src[:-1]) | (dst[1:] != dst[:-1])
    return src[first], dst[first], minutes[first], length[first]


def _slots(x: np.ndarray) -> np.ndarray:
    """Position of each entry among the entries with the same x (x sorted)."""
    return np.arange(len(x)) - np.searchsorted(x, x, side="left")


def contract_chains(src: np.ndarray, dst: np.ndarray, minutes: np.ndarray, length: np.ndarray,
                    keep: np.ndarray, *, max_passes: int = 64) -> Arcs:
    """Merge away unkept nodes with two neighbours (see the module docstring).

    Parameters
    ----------
    src, dst, minutes, length : numpy.ndarray
        Arcs ``src -> dst`` with their minutes and metres.
    keep : numpy.ndarray of bool
        Nodes that must stay (one entry per node).

    Returns
    -------
    tuple of numpy.ndarray
        The arcs of the contracted graph; removed nodes have none.
    """
    n = len(keep)
    priority = (np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(11)
    src, dst, minutes, length = _fastest(src, dst, minutes, length)
    for _ in range(max_passes):
        # Distinct neighbours per node: the symmetric pattern, duplicates summed away.
        sym = coo_matrix((np.ones(2 * len(src)), (np.concatenate([src, dst]),
                                                  np.concatenate([dst, src]))),
                         shape=(n, n)).tocsr()
        sym.sum_duplicates()
        degree = np.diff(sym.indptr)
        rows = np.repeat(np.arange(n), degree)
        upper = rows < sym.indices
        a, b = rows[upper], sym.indices[upper].astype(np.int64)
        candidate = (degree == 2) & ~keep
        if not candidate.any():
            break
        # A candidate goes this pass if it outranks its candidate neighbours.
        blocked = np.zeros(n, dtype=bool)
        both = candidate[a] & candidate[b]
        loser = np.where(priority[a[both]] < priority[b[both]], a[both], b[both])
        blocked[loser] = True
        chosen = candidate & ~blocked
        into = chosen[dst]
        out_of = chosen[src]
        rest = ~(into | out_of)
        # In-arcs a -> x and out-arcs x -> b of every chosen x, at most two of each.
        i_order = np.argsort(dst[into], kind="stable")
        i_x, i_src = dst[into][i_order], src[into][i_order]
        i_min, i_len = minutes[into][i_order], length[into][i_order]
        o_order = np.argsort(src[out_of], kind="stable")
        o_x, o_dst = src[out_of][o_order], dst[out_of][o_order]
        o_min, o_len = minutes[out_of][o_order], length[out_of][o_order]
        new_s, new_d, new_m, new_l = [], [], [], []
        i_slot, o_slot = _slots(i_x), _slots(o_x)
        for si in (0, 1):
            for so in (0, 1):
                left = i_slot == si
                right = o_slot == so
                lx, rx = i_x[left], o_x[right]
                _, li, ri = np.intersect1d(lx, rx, assume_unique=True, return_indices=True)
                s_ = i_src[left][li]
                d_ = o_dst[right][ri]
                ok = s_ != d_
                new_s.append(s_[ok])
                new_d.append(d_[ok])
                new_m.append(i_min[left][li][ok] + o_min[right][ri][ok])
                new_l.append(i_len[left][li][ok] + o_len[right][ri][ok])
        src, dst, minutes, length = _fastest(
            np.concatenate([src[rest], *new_s]), np.concatenate([dst[rest], *new_d]),
            np.concatenate([minutes[rest], *new_m]), np.concatenate([length[rest], *new_l]))
    return src, dst, minutes, length
