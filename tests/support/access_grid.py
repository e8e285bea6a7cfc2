"""access (pysal)'s test inputs: a 5 x 5 grid of unit supply, Euclidean costs, sampled demand."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from optimizer.spatial.access_models import TravelColumns

COLUMNS = TravelColumns(origin="origin", destination="dest", cost="cost")
CELLS = list(range(1, 26))  # id = 5 x + y + 1, as access's create_nxn_grid numbers them


def grid(sample: int, seed: int = 0) -> tuple[pd.DataFrame, pd.Series, pd.Series]:
    """Cost table (every pair of cells), demand (``sample`` seeded cells, value 1), supply
    (every cell, value 1). access samples its demand cells at random; every value its tests
    assert holds for any sample, so seeded samples stand in for theirs."""
    xy = dict(zip(CELLS, itertools.product(range(5), range(5)), strict=True))
    table = pd.DataFrame([(a, b, math.dist(xy[a], xy[b])) for a in CELLS for b in CELLS],
                         columns=["origin", "dest", "cost"])
    chosen = sorted(np.random.default_rng(seed).choice(CELLS, sample, replace=False).tolist())
    return table, pd.Series(1.0, index=chosen), pd.Series(1.0, index=CELLS)
