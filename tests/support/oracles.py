"""Brute-force oracles for the small allocation county."""

from __future__ import annotations

import itertools
import math

import pyproj

from support.county import DEMAND, FACILITIES

RURAL_KMH = 40.0


DETOUR = 1.3


def facilities() -> dict[str, tuple[float, float, int]]:
    rows = [line.split(",") for line in FACILITIES.strip().splitlines()[1:]]
    return {r[0]: (float(r[4]), float(r[5]), int(r[6])) for r in rows}


def minutes(a: tuple[float, float], b: tuple[float, float]) -> float:
    to_gk = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:4544", always_xy=True)
    (x1, y1), (x2, y2) = to_gk.transform(*a), to_gk.transform(*b)
    return math.hypot(x1 - x2, y1 - y2) * DETOUR / (RURAL_KMH * 1000 / 60)


def brute_force(cap_per_1000: float, limit: float) -> tuple[float, set[tuple[str, ...]]]:
    """Best rural coverage over feasible pairs, and every pair reaching it."""
    sites = facilities()
    population = 50000
    room = math.floor(cap_per_1000 * population / 1000) - sum(b for _, _, b in sites.values())
    best, argbest = -1.0, set()
    for pair in itertools.combinations(["T2", "T3", "T4", "T5"], 2):
        extra = sum(max(0, 100 - sites[s][2]) for s in pair)
        if extra > room:
            continue
        open_sites = ["H1", *pair]
        covered = sum(
            p for d, town, p, x, y in DEMAND if town != "500000001"
            and any(minutes((x, y), sites[s][:2]) <= limit for s in open_sites)
        )
        if covered > best + 1e-9:
            best, argbest = covered, {tuple(sorted(pair))}
        elif abs(covered - best) <= 1e-9:
            argbest.add(tuple(sorted(pair)))
    return best, argbest
