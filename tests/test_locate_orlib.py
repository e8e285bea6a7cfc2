"""OR-Library instances: the reader's duplicate-edge rule and the published optima."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from optimizer.errors import DataError
from optimizer.locate import SolveStatus, p_center, p_median
from optimizer.locate.orlib import load

ORLIB = Path(__file__).parent / "data" / "orlib"
OPTIMA = {row["instance"]: row for row in csv.DictReader((ORLIB / "optima.csv").open())}


def test_last_copy_of_a_pair_wins_then_shortest_paths(tmp_path: Path) -> None:
    f = tmp_path / "tiny.txt"
    # pair (1,2) listed twice: 5 then 9, so the last cost 9 holds; 1-3-2 costs 2 + 3 = 5 < 9
    f.write_text("3 4 1\n1 2 5\n2 3 3\n1 3 2\n2 1 9\n")
    inst = load(f)
    assert inst.p == 1
    np.testing.assert_array_equal(inst.costs, [[0, 5, 2], [5, 0, 3], [2, 3, 0]])
    f.write_text("3 3 1\n1 2 1\n2 3 3\n1 2 7\n")
    assert load(f).costs[0, 1] == 7  # not the cheaper first copy
    assert load(f).costs[0, 2] == 10


def test_malformed_file_is_rejected(tmp_path: Path) -> None:
    f = tmp_path / "bad.txt"
    f.write_text("3 4 1\n1 2 5\n")
    with pytest.raises(DataError, match="header says 4 edges"):
        load(f)


@pytest.mark.parametrize("name", sorted(OPTIMA))
def test_p_median_and_p_center_reach_published_optima(name: str) -> None:
    inst = load(ORLIB / f"{name}.txt")
    row = OPTIMA[name]
    assert (inst.n, inst.p) == (int(row["n"]), int(row["p"]))
    median = p_median(inst.costs, None, p=inst.p)
    assert median.status is SolveStatus.OPTIMAL
    assert median.objective == float(row["pmedian_opt"])
    center = p_center(inst.costs, p=inst.p)
    assert center.status is SolveStatus.OPTIMAL
    assert center.objective == float(row["pcenter_opt"])
