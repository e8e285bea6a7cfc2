"""The model's equity figures skip towns and residents without access, and say how many."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from optimizer.model.equity import equity_summary
from optimizer.model.tables import town_spread


def towns(beds: list[float], no_access: list[float]) -> pd.DataFrame:
    return pd.DataFrame({"town_code": ["a", "b", "c"], "year": 2030,
                         "population": [5.0, 5.0, 90.0], "beds_access_per_1000": beds,
                         "no_access_population": no_access})


def test_summary_leaves_out_towns_without_access_and_counts_them() -> None:
    entry = equity_summary(towns([1.0, 3.0, np.nan], [0.0, 2.0, 90.0]))[
        "beds_access_per_1000"]["2030"]
    assert entry == {"lowest": 1.0, "highest": 3.0, "spread": 2.0, "gini": 0.25,
                     "no_access_skipped": 1, "no_access_residents": 92.0}


def test_summary_without_gaps_has_no_counts() -> None:
    entry = equity_summary(towns([1.0, 3.0, 2.0], [0.0, 0.0, 0.0]))[
        "beds_access_per_1000"]["2030"]
    assert "no_access_skipped" not in entry
    assert "no_access_residents" not in entry


def test_spread_ignores_towns_without_access() -> None:
    part = towns([1.0, 3.0, np.nan], [0.0, 0.0, 90.0])
    assert town_spread(part, "beds_access_per_1000", relative=False) == 2.0
    # the mean over a and b only (2.0), not diluted by c's 90 residents
    assert town_spread(part, "beds_access_per_1000", relative=True) == pytest.approx(1.0)
    assert math.isnan(town_spread(part.assign(beds_access_per_1000=np.nan),
                                  "beds_access_per_1000", relative=True))
