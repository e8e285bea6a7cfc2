"""Benchmark medalloc's location kernels against spopt on the shared seeded instances.

Instances come from ``benchmarks/instances.py`` (a copy of the shared baseline's generator, so
the fingerprints match ``shared/bench/RESULTS.md``). For every size and model we run our kernel
(HiGHS via highspy) and, unless ``--no-spopt`` or spopt is missing, spopt's ``from_cost_matrix``
model solved with PuLP's HiGHS interface (relative gap 0, same time limit). spopt's status is
read from HiGHS itself, since PuLP reports a time-limited incumbent as "Optimal".

Usage:
    python benchmarks/bench_locate.py                      # small and medium
    python benchmarks/bench_locate.py --sizes large --models mclp,lscp --no-spopt
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import instances

from optimizer.locate import lscp, mclp, p_center, p_median

MODELS = ("mclp", "mclp_tight", "lscp", "pmedian", "pcenter")
# spopt builds one Python object per (demand, site) pair: beyond these it needs minutes/GBs.
# (spopt's p-center already needs ~40 s at small: 25,000 pairs.)
SPOPT_MAX_PAIRS = {
    "mclp": 2.5e7,
    "mclp_tight": 2.5e7,
    "lscp": 2.5e7,
    "pmedian": 2.0e6,
    "pcenter": 1.0e5,
}


def run_ours(model: str, inst: instances.Instance, cost: np.ndarray, tl: float) -> dict[str, Any]:
    w = inst.population.astype(float)
    s = inst.service_min
    t0 = time.perf_counter()
    if model == "mclp":
        r = mclp(cost, w, standard=s, p=inst.p, time_limit=tl)
    elif model == "mclp_tight":
        r = mclp(cost, w, standard=s, p=inst.p_tight, time_limit=tl)
    elif model == "lscp":
        r = lscp(cost, standard=s, time_limit=tl)
    elif model == "pmedian":
        r = p_median(cost, w, p=inst.p, time_limit=tl)
    else:
        r = p_center(cost, p=inst.p, time_limit=tl)
    total = time.perf_counter() - t0
    return {
        "seconds": total,
        "objective": r.objective,
        "status": r.status.value,
        "bound": r.best_bound,
        "gap": r.gap,
        "stats": dict(r.stats),
    }


def run_spopt(model: str, inst: instances.Instance, cost: np.ndarray, tl: float) -> dict[str, Any]:
    # spopt is optional (test extra): imported only when it is asked for
    import highspy  # noqa: PLC0415
    import pulp  # noqa: PLC0415
    from spopt.locate import LSCP, MCLP, PCenter, PMedian  # noqa: PLC0415

    n_pairs = inst.n * inst.m
    if n_pairs > SPOPT_MAX_PAIRS[model]:
        return {"seconds": math.nan, "objective": math.nan, "status": "skipped (size)"}
    w = inst.population
    s = inst.service_min
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if model == "mclp":
            mdl = MCLP.from_cost_matrix(cost, w, service_radius=s, p_facilities=inst.p)
        elif model == "mclp_tight":
            mdl = MCLP.from_cost_matrix(cost, w, service_radius=s, p_facilities=inst.p_tight)
        elif model == "lscp":
            mdl = LSCP.from_cost_matrix(cost, service_radius=s)
        elif model == "pmedian":
            mdl = PMedian.from_cost_matrix(cost, w, p_facilities=inst.p)
        else:
            mdl = PCenter.from_cost_matrix(cost, p_facilities=inst.p)
        try:
            mdl.solve(pulp.HiGHS(msg=False, timeLimit=tl, gapRel=0.0), results=False)
        except RuntimeError as exc:  # spopt raises when PuLP's status is not optimal
            return {
                "seconds": time.perf_counter() - t0,
                "objective": math.nan,
                "status": f"error: {exc}"[:40],
            }
    total = time.perf_counter() - t0
    h = mdl.problem.solverModel
    st = h.getModelStatus()
    status = "optimal" if st == highspy.HighsModelStatus.kOptimal else "feasible"
    if st == highspy.HighsModelStatus.kOptimal and h.getInfo().mip_gap > 1e-6:
        status = "feasible"
    return {
        "seconds": total,
        "objective": float(pulp.value(mdl.problem.objective)),
        "status": status,
    }


def fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.2f}"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sizes", default="small,medium", help=f"comma list of {', '.join(instances.SIZES)}"
    )
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--time-limit", type=float, default=120.0, help="per solve (s)")
    ap.add_argument("--no-spopt", action="store_true", help="skip spopt")
    args = ap.parse_args()
    use_spopt = not args.no_spopt
    if use_spopt:
        try:
            import spopt  # noqa: F401, PLC0415  (optional)
        except ImportError:
            print("spopt not installed: running ours only")
            use_spopt = False
    rows = []
    for size in args.sizes.split(","):
        inst = instances.generate(size)
        cost = inst.cost_matrix()
        for model in args.models.split(","):
            ours = run_ours(model, inst, cost, args.time_limit)
            theirs = (
                run_spopt(model, inst, cost, args.time_limit)
                if use_spopt
                else {"seconds": math.nan, "objective": math.nan, "status": "-"}
            )
            ratio = (
                ours["seconds"] / theirs["seconds"]
                if theirs["seconds"] == theirs["seconds"]
                else math.nan
            )
            row = (
                model,
                size,
                fmt(ours["seconds"]),
                fmt(theirs["seconds"]),
                "-" if math.isnan(ratio) else f"{ratio:.3f}",
                fmt(ours["objective"]),
                fmt(theirs["objective"]),
                ours["status"],
                theirs["status"],
            )
            rows.append(row)
            print(
                " | ".join(row), f"(ours: bound {fmt(ours['bound'])}, {ours['stats']})", flush=True
            )
    header = (
        "model",
        "size",
        "ours s",
        "spopt s",
        "ours/spopt",
        "ours obj",
        "spopt obj",
        "ours status",
        "spopt status",
    )
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
