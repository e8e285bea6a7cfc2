r"""Each chosen site's worth: the set without it (leave-one-out) and its best single swap.

For a chosen site s of the set C, ``marginal`` is what C loses when s is left out (value of C
minus value of C \ {s}, in the measure's better direction, so a positive number is what s
adds), and the best swap is the pool site c outside C for which C \ {s} ∪ {c} is best; its
``swap_gain`` is how much better that set is than C (negative when every swap is worse, i.e.
s is the right site given the other two).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.justify.sites import SitePool

__all__ = ["loo_and_swap_sets", "marginal_table"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Valuer = Callable[[tuple[int, ...]], float | None]


def loo_and_swap_sets(pool: SitePool) -> list[tuple[int, ...]]:
    """Every leave-one-out and single-swap set of the chosen set (sorted positions)."""
    chosen = tuple(sorted(pool.chosen))
    outside = [p for p in range(len(pool.town_codes)) if p not in chosen]
    found: list[tuple[int, ...]] = []
    for site in chosen:
        rest = tuple(p for p in chosen if p != site)
        found.append(rest)
        found += [tuple(sorted((*rest, other))) for other in outside]
    return list(dict.fromkeys(found))


def _gain(better: float | None, base: float | None, sense: str) -> float:
    if better is None or base is None or not (math.isfinite(better) and math.isfinite(base)):
        return math.nan
    return better - base if sense == "max" else base - better


def marginal_table(pool: SitePool, criteria: Mapping[str, tuple[str, Valuer]],
                   order: Sequence[str]) -> pd.DataFrame:
    """One row per chosen site and criterion.

    Parameters
    ----------
    pool : SitePool
        The pool with the chosen positions.
    criteria : mapping
        Criterion name -> (sense, function giving a set's value or None when unknown).
    order : sequence of str
        Criterion names in report order.

    Returns
    -------
    pandas.DataFrame
        ``site`` (town name), ``town_code``, ``criterion``, ``chosen_value``, ``without_value``,
        ``marginal``, ``swap_in`` (town name), ``swap_in_code``, ``swap_value``, ``swap_gain``;
        sites in the order named, criteria in ``order``.
    """
    chosen = tuple(sorted(pool.chosen))
    outside = [p for p in range(len(pool.town_codes)) if p not in chosen]
    rows = []
    for site in pool.chosen:
        rest = tuple(p for p in chosen if p != site)
        for name in order:
            sense, value = criteria[name]
            base = value(chosen)
            without = value(rest)
            best_in: int | None = None
            best_value: float | None = None
            for other in outside:
                candidate = value(tuple(sorted((*rest, other))))
                if candidate is None or not math.isfinite(candidate):
                    continue
                if best_value is None or _gain(candidate, best_value, sense) > 1e-9 * max(
                        abs(best_value), 1.0):
                    best_in, best_value = other, candidate
            rows.append({
                "site": pool.names_zh[site], "site_en": pool.names_en[site],
                "town_code": pool.town_codes[site], "criterion": name,
                "chosen_value": base, "without_value": without,
                "marginal": _gain(base, without, sense),
                "swap_in": pool.names_zh[best_in] if best_in is not None else "",
                "swap_in_en": pool.names_en[best_in] if best_in is not None else "",
                "swap_in_code": pool.town_codes[best_in] if best_in is not None else "",
                "swap_value": best_value, "swap_gain": _gain(best_value, base, sense),
            })
    return pd.DataFrame(rows)
