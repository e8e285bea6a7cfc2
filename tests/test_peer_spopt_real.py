"""spopt 0.7's real-world locate cases: San Francisco stores and the London schools.

Inputs are the data files that ship inside the installed spopt package (read, never
downloaded; skipped with a reason when absent). spopt's ``from_geodataframe`` cases measure
straight lines on longitude/latitude; our `from_geodataframes` refuses degrees by design, so
those cases pass the same degree distances as a dense cost matrix. Numbers spopt's tests state
are asserted as stated; infeasible models (spopt raises) must come back with status
``infeasible``. Each test names the spopt test it rebuilds; the tally is in the README.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from optimizer.locate import (
    SolveStatus,
    capacitated_p_median,
    lscp,
    lscp_b,
    mclp,
    p_center,
    p_dispersion,
    p_median,
)

spopt = pytest.importorskip("spopt")
DATA = Path(spopt.__file__).parent / "tests" / "test_locate" / "data"


def read(name: str) -> pd.DataFrame:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"spopt's test data file {name} is not installed with spopt")
    return pd.read_csv(path)


def degrees(frame: pd.DataFrame) -> np.ndarray:
    """Longitude/latitude of a layer sorted by NAME, as spopt's tests sort it."""
    f = frame.sort_values(by=["NAME"]).reset_index()
    return f[["long", "lat"]].to_numpy(dtype=float)


class SF:
    """The 205 census tracts and 16 candidate stores with network distances in metres."""

    def __init__(self) -> None:
        net = read("SF_network_distance_candidateStore_16_censusTract_205_new.csv")
        self.costs = net.pivot_table(values="distance", index="DestinationName",
                                     columns="name").to_numpy()
        demand = read("SF_demand_205_centroid_uniform_weight.csv")
        self.weights = demand.sort_values(by=["NAME"]).reset_index()["POP2000"].to_numpy()
        self.demand_deg = degrees(demand)
        self.sites_deg = degrees(read("SF_store_site_16_longlat.csv"))

    def degree_costs(self) -> np.ndarray:
        """spopt's ``from_geodataframe``: Euclidean distance in degrees, tracts x stores."""
        d = self.demand_deg[:, None, :] - self.sites_deg[None, :, :]
        return np.sqrt((d ** 2).sum(-1))


@pytest.fixture(scope="module")
def sf() -> SF:
    return SF()


# --- LSCP, MCLP, p-median, p-center (TestRealWorld* in test_lscp/mclp/p_median/p_center) -----

def test_lscp_optimal_and_infeasible(sf: SF) -> None:
    """test_optimality_lscp_from_cost_matrix / _from_geodataframe (5000) and
    test_infeasibility_lscp_from_cost_matrix (20) / _from_geodataframe (0)."""
    assert lscp(sf.costs, standard=5000.0).status is SolveStatus.OPTIMAL
    assert lscp(sf.degree_costs(), standard=5000.0).status is SolveStatus.OPTIMAL
    assert lscp(sf.costs, standard=20.0).status is SolveStatus.INFEASIBLE
    assert lscp(sf.degree_costs(), standard=0.0).status is SolveStatus.INFEASIBLE


def test_mclp_stated_values(sf: SF) -> None:
    """test_mixin_mclp_get_uncovered_clients (21) and _get_percentage (89.75609756097561):
    p 4 within 5000 m, tracts weighted by POP2000."""
    r = mclp(sf.costs, sf.weights, standard=5000.0, p=4)
    assert r.status is SolveStatus.OPTIMAL
    assert r.uncovered_count == 21
    assert (1 - r.uncovered_count / 205) * 100 == pytest.approx(89.75609756097561)
    assert mclp(sf.degree_costs(), sf.weights, standard=5000.0,
                p=4).status is SolveStatus.OPTIMAL


@pytest.mark.parametrize("degree", [False, True])
def test_mclp_more_sites_than_candidates(sf: SF, degree: bool) -> None:
    """test_infeasibility_mclp_from_cost_matrix / _from_geodataframe: p 1000 of 16 stores."""
    costs = sf.degree_costs() if degree else sf.costs
    assert mclp(costs, sf.weights, standard=5000.0, p=1000).status is SolveStatus.INFEASIBLE


def test_p_median_stated_mean(sf: SF) -> None:
    """test_mixin_mean_distance: 2982.1268579890657; optimal from the degree costs too."""
    r = p_median(sf.costs, sf.weights, p=4)
    assert r.status is SolveStatus.OPTIMAL
    assert r.mean_cost == pytest.approx(2982.1268579890657)
    assert p_median(sf.degree_costs(), sf.weights, p=4).status is SolveStatus.OPTIMAL


def test_zero_sites_infeasible(sf: SF) -> None:
    """test_infeasibility_pmedian_* and test_infeasibility_pcenter_*: p 0."""
    assert p_median(sf.costs, sf.weights, p=0).status is SolveStatus.INFEASIBLE
    assert p_median(sf.degree_costs(), sf.weights, p=0).status is SolveStatus.INFEASIBLE
    assert p_center(sf.costs, p=0).status is SolveStatus.INFEASIBLE
    assert p_center(sf.degree_costs(), p=0).status is SolveStatus.INFEASIBLE


def test_p_center_optimal(sf: SF) -> None:
    """test_optimality_pcenter_from_cost_matrix / _from_geodataframe (p 4)."""
    assert p_center(sf.costs, p=4).status is SolveStatus.OPTIMAL
    assert p_center(sf.degree_costs(), p=4).status is SolveStatus.OPTIMAL


def test_lscpb_degree_costs(sf: SF) -> None:
    """test_optimality_lscpb_from_geodataframe (5000) / test_infeasibility_..._geodataframe."""
    assert lscp_b(sf.degree_costs(), standard=5000.0).status is SolveStatus.OPTIMAL
    assert lscp_b(sf.degree_costs(), standard=0.0).status is SolveStatus.INFEASIBLE


# --- p-dispersion (test_p_dispersion.py, TestRealWorldLocate) ---------------------------------

def upper(block: np.ndarray) -> np.ndarray:
    """Symmetric matrix from the upper triangle of ``block``: spopt reads d[i, j] for i < j."""
    up = np.triu(block, 1)
    return up + up.T


def test_p_dispersion_from_cost_matrix(sf: SF) -> None:
    """test_optimality_p_dispersion_from_cost_matrix: sites y_0, y_1, y_14, y_15; p 17 fails.

    spopt's test passes the 205 x 16 tract-by-store matrix; its model indexes the 16 stores
    and reads ``cost_matrix[i, j]`` for stores i < j, i.e. the upper triangle of the first 16
    rows. We pass exactly those numbers.
    """
    block = upper(sf.costs[:16, :16])
    r = p_dispersion(block, p=4)
    assert r.status is SolveStatus.OPTIMAL
    assert r.selected == (0, 1, 14, 15)
    assert p_dispersion(block, p=17).status is SolveStatus.INFEASIBLE


def test_p_dispersion_from_geodataframe(sf: SF) -> None:
    """test_optimality_p_dispersion_from_geodataframe: y_0, y_2, y_8, y_14 (degrees); p 17."""
    d = sf.sites_deg[:, None, :] - sf.sites_deg[None, :, :]
    r = p_dispersion(np.sqrt((d ** 2).sum(-1)), p=4)
    assert r.status is SolveStatus.OPTIMAL
    assert r.selected == (0, 2, 8, 14)
    assert p_dispersion(np.sqrt((d ** 2).sum(-1)), p=17).status is SolveStatus.INFEASIBLE


# --- capacitated p-median on the schools (test_c_p_median.py, TestRealWorldLocate) ------------

class Schools:
    """10 students, 74 schools, public-transport minutes (10000 where no journey is listed)."""

    def __init__(self) -> None:
        table = read("example_subject_student_school_journeys.csv")
        self.costs = table.pivot_table(columns="school", fill_value=10000, index="student",
                                       sort=False, values="time").astype(int).to_numpy()
        schools = read("example_subject_schools.csv")
        self.n = len(read("example_subject_students.csv"))
        # spopt's test pairs capacities in the schools file's order with the matrix columns
        # in order of first appearance; the same arrays are passed here.
        self.capacity = schools["Count"].to_numpy(dtype=float)
        self.priority = schools["priority"].to_numpy()

    def first(self, level: int) -> list[int]:
        return np.flatnonzero(self.priority == level).tolist()


@pytest.fixture(scope="module")
def schools() -> Schools:
    return Schools()


def test_capacitated_p_median_stated_mean(schools: Schools) -> None:
    """test_optimality_capacitated_pmedian_with_predefined_facilities and
    test_mixin_mean_time: priority-1 schools filled, p 10, mean 87.2 minutes."""
    r = capacitated_p_median(schools.costs, np.ones(schools.n), p=10,
                             capacity=schools.capacity, required=schools.first(1),
                             fill_required=True, single_source=True)
    assert r.status is SolveStatus.OPTIMAL
    assert r.mean_cost == pytest.approx(87.2)
    assert set(schools.first(1)) <= set(r.selected)


@pytest.mark.parametrize(
    ("case", "p", "demand", "level"),
    [("p_zero", 0, 1.0, None), ("priority_3_unfillable", 10, 1.0, 3),
     ("capacity_below_demand", 10, 5.0, 1)],
)
def test_capacitated_p_median_infeasible(schools: Schools, case: str, p: int, demand: float,
                                         level: int | None) -> None:
    """test_infeasibility_capacitated_pmedian (p 0),
    test_infeasibility_predefined_facilities_fulfillment_error (priority-3 schools cannot all be
    filled by 10 students) and test_infeasibility_capacity_smaller_than_demand_error (demand 5
    each); spopt raises before solving, ours reports the model infeasible."""
    required = [] if level is None else schools.first(level)
    r = capacitated_p_median(schools.costs, np.full(schools.n, demand), p=p,
                             capacity=schools.capacity, required=required,
                             fill_required=level is not None, single_source=True)
    assert r.status is SolveStatus.INFEASIBLE, case
