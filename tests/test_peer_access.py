"""access (pysal) test cases rebuilt: a 5 x 5 unit-supply grid, five demand cells, Euclidean cost.

Their expected values are facts about the measures; the inputs are rebuilt here (access's own
test draws the five demand cells at random, and every asserted value holds for any draw).
Tally (see README): agree 8, disagree 0, not expressible: access's class-level bookkeeping
(column overwrites, default-cost choice). access's six RAAM cases agree, in
test_peer_access_raam.py.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from support.access_grid import COLUMNS, grid

from optimizer.spatial.access_models import (
    AccessWarning,
    cumulative_opportunities,
    fca_ratio,
    normalise,
    three_step_fca,
    two_step_fca_decay,
)


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AccessWarning)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("seed", range(3))
def test_fca_ratio_cases(seed: int) -> None:
    table, demand, supply = grid(5, seed)
    large = quiet(fca_ratio, table, table, demand, supply, columns=COLUMNS)
    assert large["access"].iloc[0] == supply.sum() / demand.sum()  # access: total ratio
    small = quiet(fca_ratio, table, table, demand, supply, max_cost=0.9, columns=COLUMNS)
    assert (small["access"] == 1).all()
    zero = quiet(fca_ratio, table, table, demand, supply, max_cost=-1, columns=COLUMNS)
    assert math.isnan(zero["access"].iloc[0])
    assert zero["no_access"].all()


@pytest.mark.parametrize("seed", range(3))
def test_two_stage_cases(seed: int) -> None:
    table, demand, supply = grid(5, seed)
    assert quiet(two_step_fca_decay, table, demand, supply,
                 columns=COLUMNS)["access"].iloc[0] == pytest.approx(5)
    assert quiet(two_step_fca_decay, table, demand, supply, max_cost=0.9,
                 columns=COLUMNS)["access"].iloc[0] == 1
    zero = quiet(two_step_fca_decay, table, demand, supply, max_cost=-1, columns=COLUMNS)
    assert math.isnan(zero["access"].iloc[0])
    # access's 3SFCA on a large catchment: demand weighted by G spreads supply evenly
    three = quiet(three_step_fca, table, demand, supply, columns=COLUMNS)
    assert three["access"].iloc[0] == pytest.approx(5)


def test_weighted_catchment_and_normalised() -> None:
    table, demand, supply = grid(5, 1)
    cum = quiet(cumulative_opportunities, table, supply, demand.index, columns=COLUMNS)
    assert (cum["access"] == 25).all()  # every unit of supply in reach
    near = quiet(cumulative_opportunities, table, supply, demand.index, max_cost=1.0,
                 columns=COLUMNS)
    assert near["access"].between(3, 5).all()  # itself and its 2-4 grid neighbours
    flat = normalise(quiet(two_step_fca_decay, table, demand, supply, columns=COLUMNS), demand)
    assert flat["access"].to_numpy() == pytest.approx(np.ones(5))


def test_unknown_origins_are_counted_not_refused() -> None:
    table, demand, supply = grid(5, 2)
    with pytest.warns(AccessWarning, match="20 rows have an origin"):
        two_step_fca_decay(table[table["dest"].eq(1)], demand, supply, columns=COLUMNS)
