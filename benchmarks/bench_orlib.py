"""p-median and p-center on Beasley's OR-Library instances against the published optima.

Reads ``pmedN.txt`` and ``optima.csv`` from the shared OR-Library folder (default
``../shared/orlib`` relative to the repository root; see its PROVENANCE.md) and prints, per
instance, our objective, status and time next to the published optimum.

Usage:
    python benchmarks/bench_orlib.py --instances pmed1,pmed2,pmed6,pmed11
    python benchmarks/bench_orlib.py --orlib path/to/orlib --instances all --time-limit 60
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
    ap.add_argument("--instances", default="pmed1,pmed2,pmed3,pmed6,pmed11", help="or 'all'")
    ap.add_argument("--models", default="pmedian,pcenter")
    ap.add_argument("--time-limit", type=float, default=120.0)
    args = ap.parse_args()
    optima = {r["instance"]: r for r in csv.DictReader((args.orlib / "optima.csv").open())}
    names = list(optima) if args.instances == "all" else args.instances.split(",")
    header = ("instance", "n", "p", "model", "ours", "published", "match", "status", "seconds")
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in names:
        inst = load(args.orlib / f"{name}.txt")
        for model in args.models.split(","):
            t0 = time.perf_counter()
            if model == "pmedian":
                r = p_median(inst.costs, None, inst.p, time_limit=args.time_limit)
                published = float(optima[name]["pmedian_opt"])
            else:
                r = p_center(inst.costs, inst.p, time_limit=args.time_limit)
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


if __name__ == "__main__":
    main()
