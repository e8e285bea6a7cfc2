r"""RAAM, the Rational Agent Access Model (Saxon & Snow 2020): access as an equilibrium cost.

People at each demand point :math:`k` choose among the facilities :math:`j` in their reach, each
person minimising their own cost

.. math::  C_{kj} = \frac{t_{kj}}{\tau} + \frac{D_j}{\rho\,S_j},
           \qquad D_j = u \sum_{k'} x_{k'j},

travel time scaled by :math:`\tau` plus congestion: the demand :math:`D_j` choosing facility
:math:`j` over its supply :math:`S_j`, scaled by :math:`\rho` (by default the mean ratio,
:math:`\rho = \sum_k P_k / \sum_j S_j`, so a congestion term of 1 means an average load and
:math:`\tau` is the travel time worth as much as that). People move in whole agents of size
:math:`u` (``unit``, default one person): :math:`x_{kj}` agents of point :math:`k` use
:math:`j`, :math:`\sum_j x_{kj} = n_k = P_k / u`.

The answer is an equilibrium: no agent can lower its cost by moving alone,

.. math::  x_{kj} > 0 \;\Rightarrow\; C_{kj} \le \frac{t_{kj'}}{\tau}
           + \frac{D_{j'} + u}{\rho\,S_{j'}} \quad \text{for every } j' \ne j
           \text{ in reach of } k,

and a point's RAAM cost is what its people pay on average,
:math:`A_k = \sum_j x_{kj} C_{kj} / n_k` (higher is worse, unlike the catchment ratios). A point
with no demand gets what one agent from there would pay, :math:`\min_j C_{kj} + u/(\rho S_j)`.

Method. Every agent starts at its nearest facility. Then ``max_cycles`` damped cycles, as in
``access``: in cycle :math:`i` each point moves agents from its dearest used facility
:math:`h` to its cheapest :math:`l`, as many as would equalise the two costs were it alone,
:math:`(C_{kh} - C_{kl}) / (u/\rho S_h + u/\rho S_l)`, capped by a step
:math:`\sigma_i = \max(\text{min\_step}, \text{initial\_step} \cdot 2^{-i/\text{half\_life}})`
(a share of the point's agents, or a number of agents) and divided by the number of points
moving into or out of the same facilities that cycle (our crowding guard; access scales by
arrivals over supply in its first 20 cycles). Simultaneous moves can overshoot, so an exact
finish follows: rounds of improving moves, each round taking the points with the largest gain
whose two facilities no other move of the round touches, each moving the agents that, one after
another, lower their own cost. Every agent so moved lowers Rosenthal's potential
:math:`\Phi = \sum_{kj} x_{kj} t_{kj}/\tau + \sum_j \sum_{m=1}^{M_j} u\,m/(\rho S_j)`
(:math:`M_j` agents at :math:`j`) by exactly its own gain, so the finish ends, at an
equilibrium, after finitely many rounds (``max_rounds`` bounds them; an `AccessWarning` says
if it was not enough).

``access``'s single person on a 5 x 5 grid of unit supply therefore stays at its own cell and
pays :math:`1/(\rho \cdot 1) = 25` (:math:`\rho = 1/25`): moving to any other cell costs the
same congestion plus travel.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from optimizer.errors import DataError, ScenarioError
from optimizer.spatial.access_models import AccessWarning, TravelColumns

__all__ = ["raam", "raam_allocation"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
DEFAULT_COLUMNS = TravelColumns()


@dataclass(frozen=True)
class _Equilibrium:
    """Agents per (demand point, facility), the costs they pay, and whether it converged."""

    agents: IntArray  # (K, J) whole agents
    cost: FloatArray  # (K, J) C_kj, inf where out of reach
    unit: float
    scale: FloatArray  # (J,) rho * S_j, NaN where S_j = 0
    reached: npt.NDArray[np.bool_]  # (K,)
    converged: bool


def _check_parameters(tau: float, rho: float | None, max_cycles: int, initial_step: float,
                      half_life: float, min_step: float, step_unit: str, unit: float,
                      max_rounds: int) -> None:
    if not (isinstance(tau, int | float) and math.isfinite(tau) and tau > 0):
        raise ScenarioError(f"RAAM tau must be a travel cost > 0 (got {tau!r}); "
                            "give the travel time worth one average load, e.g. tau=60")
    if rho is not None and not (math.isfinite(rho) and rho > 0):
        raise ScenarioError(f"RAAM rho must be > 0 (got {rho!r}); give the demand per unit "
                            "of supply that counts as an average load, or None for the mean")
    for name, value in (("max_cycles", max_cycles), ("max_rounds", max_rounds)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ScenarioError(f"RAAM {name} must be a whole number >= 0 (got {value!r})")
    if not (math.isfinite(initial_step) and initial_step > 0):
        raise ScenarioError(f"RAAM initial_step must be > 0 (got {initial_step!r})")
    if not (math.isfinite(half_life) and half_life > 0):
        raise ScenarioError(f"RAAM half_life must be a number of cycles > 0 (got {half_life!r})")
    if not (math.isfinite(min_step) and min_step >= 0):
        raise ScenarioError(f"RAAM min_step must be >= 0 (got {min_step!r})")
    if step_unit not in ("share", "agents"):
        raise ScenarioError(f"RAAM step_unit: got {step_unit!r}; give 'share' (of a point's "
                            "agents) or 'agents' (a number of agents)")
    if not (math.isfinite(unit) and unit > 0):
        raise ScenarioError(f"RAAM unit (people per agent) must be > 0 (got {unit!r})")


def _values(values: pd.Series, what: str) -> FloatArray:
    v = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(v) | (v < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(f"RAAM {what}: id {values.index[k]!r} has {values.iloc[k]!r}; "
                        "give finite numbers >= 0")
    if not values.index.is_unique:
        raise DataError(f"RAAM {what}: ids repeat ({values.index[values.index.duplicated()][0]!r}"
                        "); give one row per id")
    return v


def _travel(table: pd.DataFrame, demand: pd.Series, supply: pd.Series, columns: TravelColumns,
            max_cost: float | None) -> FloatArray:
    """Dense (K, J) travel costs; inf where a pair is absent or beyond ``max_cost``."""
    missing = [c for c in (columns.origin, columns.destination, columns.cost)
               if c not in table.columns]
    if missing:
        raise DataError(
            f"RAAM travel table: missing columns {missing} (has {list(table.columns)}); "
            "pass columns=TravelColumns(origin=..., destination=..., cost=...)")
    cost = pd.to_numeric(table[columns.cost], errors="coerce").to_numpy(dtype=np.float64)
    bad = np.isnan(cost) | (cost < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(f"RAAM travel table: row {k}, column {columns.cost!r} has "
                        f"{table[columns.cost].iloc[k]!r}; costs must be numbers >= 0")
    o = demand.index.get_indexer(pd.Index(table[columns.origin]))
    d = supply.index.get_indexer(pd.Index(table[columns.destination]))
    unknown = int((o < 0).sum())
    if unknown:
        warnings.warn(f"RAAM travel table: {unknown} rows have an origin that is not a demand "
                      "point; they are ignored", AccessWarning, stacklevel=4)
    keep = (o >= 0) & (d >= 0) & np.isfinite(cost)
    if max_cost is not None:
        keep &= cost <= max_cost
    travel = np.full((len(demand), len(supply)), np.inf)
    # a pair listed twice keeps its cheaper cost
    np.minimum.at(travel, (o[keep], d[keep]), cost[keep])
    return travel


def _agents(p: FloatArray, unit: float, demand: pd.Series) -> IntArray:
    n = p / unit
    whole = np.rint(n)
    off = np.abs(n - whole) > 1e-9 * np.maximum(1.0, n)
    if off.any():
        k = int(np.flatnonzero(off)[0])
        raise DataError(
            f"RAAM demand: id {demand.index[k]!r} has {demand.iloc[k]!r}, not a whole number of "
            f"agents of {unit!r} people; round demand to whole people or pass a unit that "
            "divides every demand value (e.g. unit=0.5)")
    return whole.astype(np.int64)


def _step_cap(n: IntArray, cycle: int, initial_step: float, half_life: float, min_step: float,
              step_unit: str) -> IntArray:
    step = max(min_step, initial_step * 0.5 ** (cycle / half_life))
    if step_unit == "share":
        return np.asarray(np.floor(step * n + 1e-9), dtype=np.int64)
    return np.full(len(n), math.floor(step + 1e-9), dtype=np.int64)


def _damped_cycles(x: IntArray, t: FloatArray, scale: FloatArray, u: float, n: IntArray,
                   active: npt.NDArray[np.intp], max_cycles: int, initial_step: float,
                   half_life: float, min_step: float, step_unit: str) -> None:
    """``access``'s simultaneous moves, damped (module docstring); updates ``x`` in place."""
    rows = active
    for cycle in range(max_cycles):
        load = u * x.sum(axis=0)
        c = t[rows] + (load / scale)[None, :]
        used = x[rows] > 0
        hi = np.where(used, c, -np.inf).argmax(axis=1)
        lo = c.argmin(axis=1)
        r = np.arange(len(rows))
        gap = c[r, hi] - c[r, lo]
        want = gap / (u / scale[hi] + u / scale[lo])
        cap = _step_cap(n[rows], cycle, initial_step, half_life, min_step, step_unit)
        m = np.minimum(np.minimum(want, x[rows, hi]), cap)
        m = np.where((hi != lo) & (gap > 0), np.floor(m), 0).astype(np.int64)
        moving = m > 0
        if not moving.any():
            return
        touches = np.bincount(lo[moving], minlength=len(scale)) + np.bincount(
            hi[moving], minlength=len(scale))
        m = m // np.maximum(touches[lo], touches[hi])
        x[rows, lo] += m
        x[rows, hi] -= m


def _finish(x: IntArray, t: FloatArray, scale: FloatArray, u: float,
            active: npt.NDArray[np.intp], max_rounds: int) -> bool:
    """Rounds of improving single-point moves until none is left; True at an equilibrium."""
    rows = active
    r = np.arange(len(rows))
    for done in range(max_rounds + 1):
        load = u * x.sum(axis=0)
        c = t[rows] + (load / scale)[None, :]
        arrive = c + (u / scale)[None, :]  # what one more agent would pay
        target = arrive.argmin(axis=1)
        used = x[rows] > 0
        used[r, target] = False
        source = np.where(used, c, -np.inf).argmax(axis=1)
        have = used[r, source]
        gain = np.where(have, c[r, source] - arrive[r, target], 0.0)
        tol = 1e-10 * np.maximum(1.0, np.abs(np.where(have, c[r, source], 0.0)))
        movers = np.flatnonzero(gain > tol)
        if not len(movers):
            return True
        if done == max_rounds:
            return False
        # how many agents improve, moving one after another (the m-th leaves C - (m-1)u/a_s
        # and arrives at C_target + m u/a_t)
        a_s, a_t = scale[source[movers]], scale[target[movers]]
        limit = (c[movers, source[movers]] - c[movers, target[movers]] + u / a_s) / (
            u / a_s + u / a_t)
        m = np.maximum(np.ceil(limit - 1e-12).astype(np.int64) - 1, 1)
        m = np.minimum(m, x[rows[movers], source[movers]])
        order = np.argsort(-gain[movers], kind="stable")
        taken = np.zeros(len(scale), dtype=bool)
        for i in order:
            s, g = source[movers[i]], target[movers[i]]
            if taken[s] or taken[g]:
                continue
            taken[s] = taken[g] = True
            k = rows[movers[i]]
            x[k, s] -= m[i]
            x[k, g] += m[i]
    return False


def _equilibrium(
    table: pd.DataFrame, demand: pd.Series, supply: pd.Series, *, tau: float,
    rho: float | None, max_cost: float | None, max_cycles: int, initial_step: float,
    half_life: float, min_step: float, step_unit: str, unit: float, max_rounds: int,
    columns: TravelColumns,
) -> _Equilibrium:
    _check_parameters(tau, rho, max_cycles, initial_step, half_life, min_step, step_unit, unit,
                      max_rounds)
    p, s = _values(demand, "demand"), _values(supply, "supply")
    if rho is None:
        if not (p.sum() > 0 and s.sum() > 0):
            raise DataError(
                f"RAAM: total demand {p.sum()!r} and total supply {s.sum()!r} must both be > 0 "
                "for the default rho (their ratio); give demand and supply, or pass rho")
        rho = float(p.sum() / s.sum())
    n = _agents(p, unit, demand)
    travel = _travel(table, demand, supply, columns, max_cost)
    open_ = s > 0  # a facility without supply is no choice: solve on the others
    t = travel[:, open_] / tau
    scale = rho * s[open_]
    reached: npt.NDArray[np.bool_] = np.asarray(np.isfinite(t).any(axis=1), dtype=bool)
    x = np.zeros(t.shape, dtype=np.int64)
    active = np.flatnonzero(reached & (n > 0))
    x[active, t[active].argmin(axis=1)] = n[active]
    _damped_cycles(x, t, scale, unit, n, active, max_cycles, initial_step, half_life, min_step,
                   step_unit)
    converged = _finish(x, t, scale, unit, active, max_rounds)
    if not converged:
        warnings.warn(f"RAAM: some agents could still lower their cost after {max_rounds} "
                      "finishing rounds; the costs are close to, not at, equilibrium (raise "
                      "max_rounds or max_cycles)", AccessWarning, stacklevel=3)
    agents = np.zeros(travel.shape, dtype=np.int64)
    agents[:, open_] = x
    cost = np.full(travel.shape, np.inf)
    cost[:, open_] = t + (unit * x.sum(axis=0) / scale)[None, :]
    full_scale = np.where(open_, rho * s, np.nan)
    return _Equilibrium(agents, cost, unit, full_scale, reached, converged)


def raam(
    table: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    tau: float = 60.0,
    rho: float | None = None,
    max_cost: float | None = None,
    max_cycles: int = 150,
    initial_step: float = 0.2,
    half_life: float = 50.0,
    min_step: float = 0.005,
    step_unit: Literal["share", "agents"] = "share",
    unit: float = 1.0,
    max_rounds: int = 100_000,
    columns: TravelColumns = DEFAULT_COLUMNS,
) -> pd.DataFrame:
    """RAAM cost per demand point at equilibrium (see module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        Long travel table (origin demand id, destination facility id, cost).
    demand, supply : pandas.Series
        People per demand id (whole multiples of ``unit``), supply per facility id.
    tau : float
        Travel cost worth as much as an average load (``access``'s default 60).
    rho : float, optional
        Demand per unit of supply counted as an average load; None = total demand over
        total supply (``access``'s default).
    max_cost : float, optional
        Largest travel cost in reach; None = every pair in the table.
    max_cycles, initial_step, half_life, min_step : int, float
        The damped cycles: how many, the first step, the cycles to halve it, its floor.
    step_unit : {"share", "agents"}
        Steps as a share of a point's agents (``access``'s float steps) or as a number of
        agents (its integer steps).
    unit : float
        People per agent (the smallest amount that moves).
    max_rounds : int
        Bound on the exact finishing rounds.
    columns : TravelColumns
        Column names of ``table``.

    Returns
    -------
    pandas.DataFrame
        ``access`` (the RAAM cost; NaN when no facility is in reach) and ``no_access``,
        indexed by demand id.
    """
    eq = _equilibrium(table, demand, supply, tau=tau, rho=rho, max_cost=max_cost,
                      max_cycles=max_cycles, initial_step=initial_step, half_life=half_life,
                      min_step=min_step, step_unit=step_unit, unit=unit, max_rounds=max_rounds,
                      columns=columns)
    n = eq.agents.sum(axis=1)
    paid = np.where(eq.agents > 0, eq.cost, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (eq.agents * paid).sum(axis=1) / n
        one_more = np.where(np.isfinite(eq.cost), eq.cost + (eq.unit / eq.scale)[None, :],
                            np.inf).min(axis=1)
    value = np.where(n > 0, mean, one_more)
    n_none = int((~eq.reached).sum())
    if n_none:
        warnings.warn(f"{n_none} demand points have no facility in reach: access NaN, "
                      "no_access True", AccessWarning, stacklevel=2)
    return pd.DataFrame({"access": np.where(eq.reached, value, np.nan),
                         "no_access": ~eq.reached}, index=demand.index)


def raam_allocation(
    table: pd.DataFrame,
    demand: pd.Series,
    supply: pd.Series,
    *,
    tau: float = 60.0,
    rho: float | None = None,
    max_cost: float | None = None,
    max_cycles: int = 150,
    initial_step: float = 0.2,
    half_life: float = 50.0,
    min_step: float = 0.005,
    step_unit: Literal["share", "agents"] = "share",
    unit: float = 1.0,
    max_rounds: int = 100_000,
    columns: TravelColumns = DEFAULT_COLUMNS,
) -> pd.DataFrame:
    """Who goes where at the RAAM equilibrium: one row per used (demand point, facility).

    Same parameters as `raam`. Columns: ``columns.origin``, ``columns.destination``,
    ``demand`` (people, whole agents times ``unit``) and ``cost`` (the :math:`C_{kj}` each
    of them pays).
    """
    eq = _equilibrium(table, demand, supply, tau=tau, rho=rho, max_cost=max_cost,
                      max_cycles=max_cycles, initial_step=initial_step, half_life=half_life,
                      min_step=min_step, step_unit=step_unit, unit=unit, max_rounds=max_rounds,
                      columns=columns)
    k, j = np.nonzero(eq.agents)
    return pd.DataFrame({
        columns.origin: demand.index[k],
        columns.destination: supply.index[j],
        "demand": eq.agents[k, j] * eq.unit,
        "cost": eq.cost[k, j],
    })
