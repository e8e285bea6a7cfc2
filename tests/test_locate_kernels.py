"""Location kernels against brute-force enumeration, on small random instances."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest

from optimizer.errors import DataError
from optimizer.locate import SolveStatus, lscp, mclp, p_center, p_median


def instance(seed: int, n: int = 25, m: int = 7) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    costs = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))
    weights = rng.integers(1, 50, n).astype(float)
    return costs, weights


# Independent oracles: enumerate every site set (positions), no reductions, no solver.
def sets(m: int, p: int, required=(), forbidden=()):
    pool = [j for j in range(m) if j not in forbidden and j not in required]
    for extra in itertools.combinations(pool, p - len(required)):
        yield list(required) + list(extra)


def bf_lscp(costs, s, required=(), forbidden=()):
    m = costs.shape[1]
    for p in range(len(required), m + 1):
        for chosen in sets(m, p, required, forbidden):
            if (costs[:, chosen] <= s).any(axis=1).all():
                return p
    return None


def bf_mclp(costs, w, s, p, required=(), forbidden=()):
    return max(
        w[(costs[:, c] <= s).any(axis=1)].sum() if c else 0.0
        for c in sets(costs.shape[1], p, required, forbidden)
    )


def bf_p_median(costs, w, p, required=(), forbidden=()):
    return min(w @ costs[:, c].min(axis=1) for c in sets(costs.shape[1], p, required, forbidden))


def bf_p_center(costs, p, required=(), forbidden=()):
    return min(costs[:, c].min(axis=1).max() for c in sets(costs.shape[1], p, required, forbidden))


@pytest.mark.parametrize("seed", range(4))
def test_kernels_match_enumeration(seed: int) -> None:
    costs, w = instance(seed)
    s = 3.5 + seed * 0.5
    r = lscp(costs, standard=s)
    expected = bf_lscp(costs, s)
    if expected is None:
        assert r.status is SolveStatus.INFEASIBLE
    else:
        assert r.status is SolveStatus.OPTIMAL
        assert r.objective == expected == len(r.selected)
    for p in (1, 2, 3):
        r = mclp(costs, w, standard=s, p=p)
        assert r.status is SolveStatus.OPTIMAL
        assert r.objective == pytest.approx(bf_mclp(costs, w, s, p))
        assert len(r.selected) == p
        r = p_median(costs, w, p=p)
        assert r.status is SolveStatus.OPTIMAL
        assert r.objective == pytest.approx(bf_p_median(costs, w, p))
        assert r.best_bound == pytest.approx(r.objective)
        assert len(r.selected) == p
        r = p_center(costs, p=p)
        assert r.status is SolveStatus.OPTIMAL
        assert r.objective == pytest.approx(bf_p_center(costs, p))
        assert len(r.selected) == p


def test_cbc_matches_enumeration() -> None:
    costs, w = instance(11)
    s = 4.0
    assert lscp(costs, standard=7.0, solver="cbc").objective == bf_lscp(costs, 7.0)
    r = mclp(costs, w, standard=s, p=2, solver="cbc")
    assert (r.status, r.objective) == (SolveStatus.OPTIMAL, bf_mclp(costs, w, s, 2))
    r = p_median(costs, w, p=3, solver="cbc")
    assert r.status is SolveStatus.OPTIMAL
    assert r.objective == pytest.approx(bf_p_median(costs, w, 3))
    assert p_center(costs, p=2, solver="cbc").objective == pytest.approx(bf_p_center(costs, 2))


def test_required_and_forbidden_sites_are_respected() -> None:
    costs, w = instance(5)
    ids = [f"S{j}" for j in range(costs.shape[1])]
    req, forb = [1], [0, 4]
    kw = {"site_ids": ids, "required": [ids[j] for j in req], "forbidden": [ids[j] for j in forb]}
    s = 4.5
    for r, expected in (
        (mclp(costs, w, standard=s, p=3, **kw), bf_mclp(costs, w, s, 3, req, forb)),
        (p_median(costs, w, p=3, **kw), bf_p_median(costs, w, 3, req, forb)),
        (p_center(costs, p=3, **kw), bf_p_center(costs, 3, req, forb)),
    ):
        assert r.objective == pytest.approx(expected)
        assert "S1" in r.selected
        assert "S0" not in r.selected
        assert "S4" not in r.selected
    r = lscp(costs, standard=6.0, **kw)
    assert r.objective == bf_lscp(costs, 6.0, req, forb)
    assert "S1" in r.selected
    assert not {"S0", "S4"} & set(r.selected)


def test_infeasible_cases_return_status_not_exception() -> None:
    costs, w = instance(2)
    assert lscp(costs, standard=0.01).status is SolveStatus.INFEASIBLE
    assert mclp(costs, w, standard=3.0, p=costs.shape[1] + 1).status is SolveStatus.INFEASIBLE
    assert mclp(costs, w, standard=3.0, p=1, required=[0, 1]).status is SolveStatus.INFEASIBLE
    r = p_median(costs, w, p=2, forbidden=list(range(costs.shape[1] - 1)))
    assert r.status is SolveStatus.INFEASIBLE
    assert math.isnan(r.objective)


def test_long_table_equals_dense() -> None:
    costs, w = instance(7, n=30, m=8)
    costs[3, :4] = np.inf  # some unreachable pairs, left out of the long table
    demand = [f"d{i}" for i in range(costs.shape[0])]
    sites = [f"s{j}" for j in range(costs.shape[1])]
    ii, jj = np.nonzero(np.isfinite(costs))
    table = pd.DataFrame(
        {"from": np.asarray(demand)[ii], "to": np.asarray(sites)[jj], "minutes": costs[ii, jj]}
    ).sample(frac=1.0, random_state=0)
    weights = pd.Series(w, index=demand)
    kw_long = {"columns": ("from", "to", "minutes"), "demand_ids": demand, "site_ids": sites}
    kw_dense = {"demand_ids": demand, "site_ids": sites}
    pairs = [
        (lscp(table, standard=5.0, **kw_long), lscp(costs, standard=5.0, **kw_dense)),
        (
            mclp(table, weights, standard=4.0, p=3, **kw_long),
            mclp(costs, w, standard=4.0, p=3, **kw_dense),
        ),
        (p_median(table, weights, p=3, **kw_long), p_median(costs, w, p=3, **kw_dense)),
        (p_center(table, p=3, **kw_long), p_center(costs, p=3, **kw_dense)),
    ]
    for long_r, dense_r in pairs:
        assert long_r.status is dense_r.status is SolveStatus.OPTIMAL
        assert long_r.objective == pytest.approx(dense_r.objective)
    assert pairs[2][0].objective == pytest.approx(bf_p_median(costs, w, 3))


def test_assignment_and_coverage_are_consistent() -> None:
    costs, w = instance(3)
    r = mclp(costs, w, standard=4.0, p=2, demand_ids=[f"d{i}" for i in range(len(w))])
    frame = r.assignment
    assert list(frame.columns) == ["demand_id", "site_id", "cost", "weight"]
    assert frame["demand_id"].iloc[0] == "d0"
    assert set(frame["site_id"]) <= set(r.selected)
    assert r.covered_weight == pytest.approx(w[frame["cost"].to_numpy() <= 4.0].sum())
    assert r.covered_weight == pytest.approx(r.objective)
    assert r.total_weight == pytest.approx(w.sum())


def test_more_sites_never_hurt() -> None:
    costs, w = instance(9, n=40, m=9)
    cover = [mclp(costs, w, standard=3.0, p=p).objective for p in range(1, 6)]
    median = [p_median(costs, w, p=p).objective for p in range(1, 6)]
    assert all(a <= b for a, b in itertools.pairwise(cover))
    assert all(a >= b for a, b in itertools.pairwise(median))


def test_bad_input_is_rejected_with_a_fix() -> None:
    costs, w = instance(1)
    with pytest.raises(DataError, match="negative cost"):
        lscp(-costs, standard=1.0)
    bad = costs.copy()
    bad[0, 0] = np.nan
    with pytest.raises(DataError, match="NaN"):
        p_median(bad, w, p=2)
    with pytest.raises(DataError, match="weights: 3 values"):
        mclp(costs, w[:3], standard=1.0, p=2)
    with pytest.raises(DataError, match="not among the candidate sites"):
        mclp(costs, w, standard=1.0, p=2, required=[99])
    with pytest.raises(DataError, match="both required and forbidden"):
        p_center(costs, p=2, required=[1], forbidden=[1])
    with pytest.raises(DataError, match="solver"):
        lscp(costs, standard=1.0, solver="gurobi")
    with pytest.raises(DataError, match="missing columns"):
        lscp(pd.DataFrame({"a": [1]}), standard=1.0)
    table = pd.DataFrame({"demand_id": [0, 0], "site_id": [1, 1], "cost": [1.0, 2.0]})
    with pytest.raises(DataError, match="more than once"):
        lscp(table, standard=1.0)
