"""Same problems as spopt's ``from_cost_matrix`` models: the optima must agree."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pytest

from optimizer.locate import SolveStatus, lscp, mclp, p_center, p_median

spopt_locate = pytest.importorskip("spopt.locate")
pulp = pytest.importorskip("pulp")


def instance(seed: int = 4, n: int = 60, m: int = 12) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    demand = rng.uniform(0, 10, (n, 2))
    sites = rng.uniform(0, 10, (m, 2))
    costs = np.sqrt(((demand[:, None, :] - sites[None, :, :]) ** 2).sum(-1))
    return costs, rng.integers(1, 100, n).astype(float)


def spopt_objective(build) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # spopt builds PuLP 3 style
        model = build()
        model.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0), results=False)
    assert pulp.LpStatus[model.problem.status] == "Optimal"
    return float(pulp.value(model.problem.objective))


def test_same_optima_as_spopt() -> None:
    costs, w = instance()
    s, p = 3.0, 3
    ours = lscp(costs, standard=4.5)
    assert ours.status is SolveStatus.OPTIMAL
    assert ours.objective == spopt_objective(
        lambda: spopt_locate.LSCP.from_cost_matrix(costs, service_radius=4.5)
    )
    ours = mclp(costs, w, standard=s, p=p)
    theirs = partial(spopt_locate.MCLP.from_cost_matrix, costs, w, service_radius=s, p_facilities=p)
    assert ours.objective == pytest.approx(spopt_objective(theirs))
    ours = p_median(costs, w, p=p)
    theirs = partial(spopt_locate.PMedian.from_cost_matrix, costs, w, p_facilities=p)
    assert ours.objective == pytest.approx(spopt_objective(theirs))
    ours = p_center(costs, p=p)
    theirs = partial(spopt_locate.PCenter.from_cost_matrix, costs, p_facilities=p)
    assert ours.objective == pytest.approx(spopt_objective(theirs))


def test_required_sites_like_spopt_predefined_facilities() -> None:
    costs, w = instance(seed=8)
    predefined = np.zeros(costs.shape[1], dtype=bool)
    predefined[[2, 7]] = True
    ours = mclp(costs, w, standard=2.5, p=4, required=[2, 7])
    theirs = partial(
        spopt_locate.MCLP.from_cost_matrix,
        costs,
        w,
        service_radius=2.5,
        p_facilities=4,
        predefined_facilities_arr=predefined,
    )
    assert ours.objective == pytest.approx(spopt_objective(theirs))
    assert {2, 7} <= set(ours.selected)
