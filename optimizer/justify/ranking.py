"""Rank sub-centre sets by each measure: ranks, the optimum, the chosen set's regret.

Ranks are competition ranks (1 = best; sets within 1e-9 relative of each other tie and share
the better rank), so "rank 1" means "no set does better", not "the solver happened to list it
first". Regret is the optimum's value minus the chosen set's value in the measure's better
direction (never negative), and as a percentage of the optimum's value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.justify.sites import SitePool

__all__ = ["Comparison", "compare", "rank_values", "ranking_table", "regret_of",
           "set_positions"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
_REL = 1e-9


def set_positions(row: IntArray | list[int] | tuple[int, ...]) -> tuple[int, ...]:
    """The pool positions of one padded set row, sorted."""
    return tuple(sorted(int(p) for p in row if int(p) >= 0))


def _better_key(values: FloatArray, sense: str) -> FloatArray:
    """Smaller is better: values for ``min``, negated for ``max``; NaN/inf last."""
    key = values.astype(np.float64) if sense == "min" else -values.astype(np.float64)
    return np.where(np.isnan(key), np.inf, key)


def rank_values(values: FloatArray, sense: str) -> IntArray:
    """Competition ranks (1 = best) of ``values`` for ``sense`` ``"max"`` or ``"min"``."""
    key = _better_key(values, sense)
    order = np.sort(key)
    finite = np.isfinite(key)
    shifted = np.where(finite, key - np.maximum(np.abs(np.where(finite, key, 0.0)), 1.0) * _REL,
                       key)
    # a set's rank = 1 + number of sets better than it by more than the tolerance
    return (np.searchsorted(order, shifted, side="left") + 1).astype(np.int64)


@dataclass(frozen=True)
class Comparison:
    """The chosen set against every ranked set, by one measure.

    Attributes
    ----------
    measure, sense : str
        The measure and whether larger (``max``) or smaller (``min``) is better.
    chosen_value, best_value : float
        The chosen set's value and the optimum's.
    best : tuple of int
        Pool positions of the optimum (the first in id order among ties).
    ties : int
        How many sets share the optimum's value.
    regret, regret_pct : float
        How much worse the chosen set is than the optimum, absolute and in % of the optimum.
    rank : int or None
        The chosen set's rank (None when the chosen set was not ranked).
    ranked : int
        How many sets were ranked.
    exhaustive : bool
        Whether every admissible set was ranked.
    """

    measure: str
    sense: str
    chosen_value: float
    best_value: float
    best: tuple[int, ...]
    ties: int
    regret: float
    regret_pct: float
    rank: int | None
    ranked: int
    exhaustive: bool


def regret_of(chosen: float, best: float, sense: str) -> tuple[float, float]:
    """Absolute regret (>= 0 up to rounding) and regret in % of ``best``."""
    gap = best - chosen if sense == "max" else chosen - best
    gap = max(gap, 0.0) if math.isfinite(gap) else math.inf
    pct = 100.0 * gap / abs(best) if best and math.isfinite(best) else (0.0 if not gap else
                                                                       math.inf)
    return gap, pct


def compare(measure: str, sense: str, sets: IntArray, values: FloatArray,
            chosen_row: int | None, chosen_value: float, *, exhaustive: bool) -> Comparison:
    """Compare the chosen set (row ``chosen_row`` of ``sets``, or only its value) with all."""
    key = _better_key(values, sense)
    best_row = int(np.lexsort((np.arange(len(key)), key))[0])
    ranks = rank_values(values, sense)
    best_value = float(values[best_row])
    ties = int((ranks == ranks[best_row]).sum())
    if chosen_row is not None:
        rank: int | None = int(ranks[chosen_row])
    else:
        chosen_key = _better_key(np.asarray([chosen_value]), sense)[0]
        rank = int((key < chosen_key - max(abs(chosen_key), 1.0) * _REL).sum()) + 1
    if chosen_row is None and not exhaustive:
        rank = None
    regret, pct = regret_of(chosen_value, best_value, sense)
    return Comparison(measure, sense, float(chosen_value), best_value,
                      set_positions(sets[best_row]), ties, regret, pct, rank, len(values),
                      exhaustive)


def ranking_table(pool: SitePool, sets: IntArray, values: Mapping[str, FloatArray],
                  senses: Mapping[str, str], chosen: tuple[int, ...]) -> pd.DataFrame:
    """One row per set: its towns, ids, each measure's value and rank, and the chosen flag.

    Sorted by the first measure's rank, then by facility ids.
    """
    positions = [set_positions(row) for row in sets]
    frame = pd.DataFrame({
        "set": ["+".join(pool.ids(p)) for p in positions],
        "towns": [pool.label(p) for p in positions],
        "towns_en": [pool.label_en(p) for p in positions],
        "size": [len(p) for p in positions],
        "chosen": [p == tuple(sorted(chosen)) for p in positions],
    })
    for name, array in values.items():
        frame[name] = array
        frame[f"{name}_rank"] = rank_values(array, senses[name])
    first = next(iter(values))
    return frame.sort_values([f"{first}_rank", "set"], kind="stable").reset_index(drop=True)
