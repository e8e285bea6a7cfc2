"""spopt 0.7 locate test cases for the added models, rebuilt (their expected values are facts).

Real-world inputs are the San Francisco network distances that ship inside the installed spopt
package (read, never downloaded); the k-nearest p-median case is rebuilt by hand. Tally (see
README): agree 4, disagree 1 (LSCP-B's backup percentage, explained), not expressible 0.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.locate import SolveStatus, capacitated_p_median, lscp_b

spopt = pytest.importorskip("spopt")
DATA = Path(spopt.__file__).parent / "tests" / "test_locate" / "data"


@pytest.fixture(scope="module")
def sf_costs() -> np.ndarray:
    path = DATA / "SF_network_distance_candidateStore_16_censusTract_205_new.csv"
    if not path.exists():
        pytest.skip("spopt's test data is not installed")
    frame = pd.read_csv(path)
    return frame.pivot_table(values="distance", index="DestinationName",
                             columns="name").to_numpy()


def test_lscpb_backup_percentage(sf_costs: np.ndarray) -> None:
    r = lscp_b(sf_costs, standard=5000.0)
    assert r.status is SolveStatus.OPTIMAL
    # DISAGREE (definition, not optimum): spopt 0.7 reports backup_perc 81.46341463414633 for
    # the same eight sites. Its LSCP-B leaves U_i free for a tract only one store can cover
    # (constraint sum >= 1 + 0 U_i), so such tracts count as backed up; they are a constant of
    # the instance, so the chosen sites agree. We report the tracts covered at least twice.
    assert len(r.selected) == 8
    times = (sf_costs[:, list(r.selected)] <= 5000.0).sum(axis=1)
    assert r.backup_weight == float((times >= 2).sum()) == 145.0
    single = int(((sf_costs <= 5000.0).sum(axis=1) == 1).sum())
    assert (r.backup_weight + single) / 205 * 100 == pytest.approx(81.46341463414633)


def test_lscpb_infeasible(sf_costs: np.ndarray) -> None:
    assert lscp_b(sf_costs, standard=20.0).status is SolveStatus.INFEASIBLE
    assert lscp_b(sf_costs, standard=0.0).status is SolveStatus.INFEASIBLE


def test_knearest_p_median_hand_case() -> None:
    demand = np.array([[0.5, 1.0], [1.5, 1.0]])
    sites = np.array([[1.0, 1.0], [0.0, 2.0], [2.0, 0.0]])
    costs = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))
    r = capacitated_p_median(costs, [1, 1], p=2, capacity=[1, 1, 1], single_source=True,
                             k_nearest=1, site_ids=[101, 102, 103])
    assert r.status is SolveStatus.OPTIMAL
    assert r.mean_cost == pytest.approx(0.8090169943749475)  # spopt's mean_dist
    # spopt: fac2cli [[1], [0], []]; the mirror assignment (101 -> 0, 103 -> 1) ties
    assert r.objective == pytest.approx(2 * 0.8090169943749475)
    assert r.uncovered_count == 0


def test_capacitated_p_median_infeasible_when_p_is_zero(sf_costs: np.ndarray) -> None:
    r = capacitated_p_median(sf_costs, None, p=0, capacity=np.full(16, 50.0))
    assert r.status is SolveStatus.INFEASIBLE
