"""p-median and p-center on Beasley's OR-Library instances against the published optima.

Reads ``pmedN.txt`` and ``optima.csv`` from the shared OR-Library folder (default
``../shared/orlib`` relative to the repository root; see its PROVENANCE.md) and prints, per
instance, our objective, status and time next to the published optimum, then how many published
optima were reached (and how many of those proven optimal) per model, with the total time.
"Reached" means our objective equals the published value; a time-limited run reports its
incumbent as ``feasible`` and counts as reached only if that incumbent equals the optimum.

Usage:
    python benchmarks/bench_orlib.py                        # all 40, 45 s per model run
    python benchmarks/bench_orlib.py --instances pmed1,pmed2,pmed6,pmed11
    python benchmarks/bench_orlib.py --orlib path/to/orlib --time-limit 60
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path

from optimizer.locate import p_center, p_median
from optimizer.locate.orlib import load

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--orlib", type=Path, default=ROOT.parent / "shared" / "orlib")
    ap.add_argument("--instances", default="all", help="comma list, or 'all'")
    ap.add_argument("--models", default="pmedian,pcenter")
    ap.add_argument(
        "--time-limit", type=float, default=45.0, help="per instance and model (s); 40 x 2 runs"
    )
    args = ap.parse_args()
    optima = {r["instance"]: r for r in csv.DictReader((args.orlib / "optima.csv").open())}
    names = list(optima) if args.instances == "all" else args.instances.split(",")
    header = ("instance", "n", "p", "model", "ours", "published", "match", "status", "seconds")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    summary: dict[str, list[int | float]] = {}  # model -> [runs, reached, proven, seconds]
    for name in names:
        inst = load(args.orlib / f"{name}.txt")
        for model in args.models.split(","):
            t0 = time.perf_counter()
            if model == "pmedian":
                r = p_median(inst.costs, None, p=inst.p, time_limit=args.time_limit)
                published = float(optima[name]["pmedian_opt"])
            else:
                r = p_center(inst.costs, p=inst.p, time_limit=args.time_limit)
                published = float(optima[name]["pcenter_opt"])
            seconds = time.perf_counter() - t0
            row = (
                name,
                str(inst.n),
                str(inst.p),
                model,
                f"{r.objective:g}",
                f"{published:g}",
                "yes" if r.objective == published else "NO",
                r.status.value,
                f"{seconds:.2f}",
            )
            print("| " + " | ".join(row) + " |", flush=True)
            tally = summary.setdefault(model, [0, 0, 0, 0.0])
            tally[0] += 1
            tally[1] += int(r.objective == published)
            tally[2] += int(r.objective == published and r.is_optimal)
            tally[3] += seconds
    print()
    print("| model | instances | published optimum reached | of which proven optimal | seconds |")
    print("|---|---|---|---|---|")
    for model, (runs, reached, proven, secs) in summary.items():
        print(f"| {model} | {runs} | {reached} | {proven} | {secs:.0f} |")


if __name__ == "__main__":
    main()
