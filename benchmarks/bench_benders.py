"""Benchmark the Benders kernels at the literature's scale on the shared seeded instances.

Prints, for the targets of issue 16 (p-median and tight MCLP, p = 10, at 20 000 x 1 000: proven
in under 120 s; LSCP and MCLP at 100 000 x 2 000: proven in under 60 s), the status, objective,
bound, gap and times of our kernels with ``method="benders"`` (and, with ``--compact``, of the
compact models for comparison), and the ratio of our total time to spopt's.

spopt is not run here: at these sizes it needs minutes to build its models (or cannot, by its
per-pair Python objects), so the ratio uses the spopt + HiGHS figures of the shared baseline
(``shared/bench/RESULTS.md``, same instances, same 2-core machine, 120 s limit). When spopt
stopped at its limit unproven, its time only bounds the time it would need, and the ratio is
printed as ``<r``. Times are wall-clock on whatever else the machine is running.

Usage:
    python benchmarks/bench_benders.py                   # the four targets
    python benchmarks/bench_benders.py --medium          # also the medium cases spopt ran
    python benchmarks/bench_benders.py --compact --cases large:pmedian
    python benchmarks/bench_benders.py --cases large:pmedian --time-limit 2400  # how far from proof

``--time-limit`` gives every case that limit instead of its target (``met`` still compares the
total time with the target).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import instances

from optimizer.locate import lscp, mclp, p_median

# (size, model): target seconds
TARGETS = {
    ("large", "pmedian"): 120.0,
    ("large", "mclp_tight"): 120.0,
    ("xlarge", "lscp"): 60.0,
    ("xlarge", "mclp"): 60.0,
}
MEDIUM = {("medium", "pmedian"): 120.0, ("medium", "mclp_tight"): 120.0}
# spopt + HiGHS totals (s) from the shared baseline, and whether spopt proved its answer;
# None where the baseline skipped spopt (its size guard: it cannot build the model).
SPOPT = {
    ("medium", "pmedian"): (274.0, False),
    ("medium", "mclp_tight"): (133.0, False),
    ("large", "pmedian"): None,
    ("large", "mclp_tight"): (354.0, False),
    ("xlarge", "lscp"): None,
    ("xlarge", "mclp"): None,
}


def run(model: str, inst: instances.Instance, cost: np.ndarray, tl: float, method: str) -> Any:
    w = inst.population.astype(float)
    if model == "pmedian":
        return p_median(cost, w, p=inst.p, time_limit=tl, method=method)
    if model == "lscp":
        return lscp(cost, standard=inst.service_min, time_limit=tl, method=method)
    p = inst.p_tight if model == "mclp_tight" else inst.p
    return mclp(cost, w, standard=inst.service_min, p=p, time_limit=tl, method=method)


def ratio(total: float, spopt: tuple[float, bool] | None) -> str:
    if spopt is None:
        return "- (spopt cannot build it)"
    seconds, proven = spopt
    r = total / seconds
    return f"{r:.3f}" if proven else f"<{r:.3f} (spopt unproven at {seconds:.0f} s)"


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--cases", default="", help="comma list of size:model (default: targets)")
    ap.add_argument("--medium", action="store_true", help="add the medium cases spopt ran")
    ap.add_argument("--compact", action="store_true", help="also run the compact models")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds per case instead of its target")
    args = ap.parse_args()
    cases = dict(TARGETS)
    if args.medium:
        cases = {**MEDIUM, **cases}
    if args.cases:
        cases = {}
        for item in args.cases.split(","):
            size, model = item.split(":")
            cases[(size, model)] = TARGETS.get((size, model), MEDIUM.get((size, model), 120.0))
    methods = ("benders", "compact") if args.compact else ("benders",)
    header = (
        "size", "model", "method", "status", "objective", "bound", "gap",
        "build s", "solve s", "total s", "target s", "met", "ours/spopt",
    )  # fmt: skip
    rows = []
    for size in dict.fromkeys(s for s, _ in cases):
        t0 = time.perf_counter()
        inst = instances.generate(size)
        cost = inst.cost_matrix()
        print(f"{size}: {inst.n} x {inst.m}, instance built in {time.perf_counter() - t0:.1f} s")
        for (s, model), target in cases.items():
            if s != size:
                continue
            for method in methods:
                t1 = time.perf_counter()
                limit = target if args.time_limit is None else args.time_limit
                r = run(model, inst, cost, limit, method)
                total = time.perf_counter() - t1
                met = r.is_optimal and total <= target
                row = (
                    size, model, method, r.status.value, f"{r.objective:,.2f}",
                    f"{r.best_bound:,.2f}", f"{r.gap:.2e}" if math.isfinite(r.gap) else "inf",
                    f"{r.build_seconds:.1f}", f"{r.solve_seconds:.1f}", f"{total:.1f}",
                    f"{target:.0f}", "yes" if met else "no", ratio(total, SPOPT.get((size, model))),
                )  # fmt: skip
                rows.append(row)
                print(" | ".join(row), dict(r.stats), flush=True)
        inst.drop_cost_matrix()
        del cost
    print()
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
