"""spopt 0.7 locate test cases for the added models, rebuilt (their expected values are facts).

Real-world inputs are the San Francisco network distances that ship inside the installed spopt
package (read, never downloaded); the k-nearest p-median case is rebuilt by hand. Tally (see
README).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from optimizer.errors import DataError
from optimizer.locate import (
    SolveStatus,
    capacitated_p_median,
    from_geodataframes,
    lscp_b,
    p_median,
)

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


def _hand_costs() -> np.ndarray:
    demand = np.array([[0.5, 1.0], [1.5, 1.0]])
    sites = np.array([[1.0, 1.0], [0.0, 2.0], [2.0, 0.0]])
    return np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))


@pytest.mark.parametrize("k", [3, 4, 10])
def test_knearest_k_beyond_the_sites(k: int) -> None:
    """spopt's test_error_overflow_k / test_error_k_array_invalid_value refuse k above the site
    count. DISAGREE (by design): our k only sparsifies a model that is grown until exact, so a
    k above the site count means "every site" and the answer is the same optimum."""
    r = capacitated_p_median(_hand_costs(), [1, 1], p=2, capacity=[1, 1, 1],
                             single_source=True, k_nearest=k)
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == pytest.approx(2 * 0.8090169943749475)


def test_knearest_capacity_below_demand_infeasible() -> None:
    """test_error_high_capacity: demand 10 at each client, capacity 1, p 1: infeasible."""
    r = capacitated_p_median(_hand_costs(), [10, 10], p=1, capacity=[1, 1, 1],
                             single_source=True, k_nearest=1)
    assert r.status is SolveStatus.INFEASIBLE


def test_input_checks_of_from_geodataframe() -> None:
    """spopt's input-check cases (TestErrorsWarnings, test_error_no_crs_*): a layer without a
    CRS is refused by both (agree); a geographic CRS and polygon layers draw a warning from
    spopt and a refusal from us (stricter by design); layers in different CRS make spopt raise,
    while we reproject the sites to the demand layer's CRS (by design)."""
    pts = gpd.GeoDataFrame(geometry=[Point(0, 0), Point(1000, 0)], crs="EPSG:32648")
    with pytest.raises(DataError, match="has no CRS"):
        from_geodataframes(pts.set_crs(None, allow_override=True), pts)
    with pytest.raises(DataError, match="geographic"):
        from_geodataframes(pts.to_crs("EPSG:4326"), pts.to_crs("EPSG:4326"))
    polygons = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:32648")
    with pytest.raises(DataError, match="must be points"):
        from_geodataframes(polygons, pts)
    moved = from_geodataframes(pts, pts.to_crs("EPSG:3857"))
    assert p_median(moved, None, p=2).objective == pytest.approx(0.0, abs=1e-6)


def test_capacities_are_required() -> None:
    """test_no_capacity_data_predefined_facilities_error: without capacities spopt refuses the
    capacitated model; ours cannot be called without them."""
    with pytest.raises(TypeError, match="capacity"):
        capacitated_p_median(_hand_costs(), [1, 1], p=2)  # type: ignore[call-arg]
