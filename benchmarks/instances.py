# Copied from the shared benchmark folder (shared/bench/instances.py, the generator behind
# shared/bench/RESULTS.md) so our timings run on the very same seeded instances; only
# lint-level edits (formatting, type hints), no change to what is generated.
"""Deterministic generator of realistic facility-location benchmark instances.

Region: 40 km x 40 km.  Demand points are "villages" clustered around a dozen
town seats plus a uniform rural background; populations are lognormal and
larger near a town seat.  Candidate sites are demand-point locations:

  * a coverage backbone (greedy set cover over grid-snapped villages) that
    guarantees every demand point is within the service standard of at least
    one candidate, so the LSCP is feasible,
  * the village nearest to each town seat,
  * the rest sampled from villages with probability ~ sqrt(population).

Travel cost (minutes) = Euclidean km * DETOUR / SPEED_KMH * 60.
Service standard S = 15 minutes, p = M // 10 (and P_TIGHT = 10 for the
'mclp_tight' variant).

Usage:  python bench/instances.py --size small   (prints a description)
"""

from __future__ import annotations

import argparse
import hashlib
import time
from dataclasses import dataclass, field

import numpy as np
from scipy.spatial import cKDTree

REGION_KM = 40.0
DETOUR = 1.3
SPEED_KMH = 30.0
SERVICE_MIN = 15.0
MIN_PER_KM = DETOUR / SPEED_KMH * 60.0  # 2.6 minutes per Euclidean km
N_TOWNS = 12
# Second MCLP variant: with p = M/10 the MCLP covers 100% of the population from
# 'medium' up (the LSCP needs fewer than M/10 sites), so a tight p is added.
P_TIGHT = 10

SIZES = {
    "small": (500, 50),
    "medium": (5000, 300),
    "large": (20000, 1000),
    "xlarge": (100000, 2000),
}
SEEDS = {"small": 101, "medium": 202, "large": 303, "xlarge": 404}


def travel_minutes(dx: np.ndarray, dy: np.ndarray) -> np.ndarray:
    """The one cost formula used everywhere (dense and sparse paths alike)."""
    return np.sqrt(dx * dx + dy * dy) * MIN_PER_KM


@dataclass
class Instance:
    name: str
    seed: int
    demand_xy: np.ndarray  # (N, 2) km
    population: np.ndarray  # (N,) int64
    site_xy: np.ndarray  # (M, 2) km
    site_demand_index: np.ndarray  # (M,) index of the village the site sits in
    service_min: float = SERVICE_MIN
    p: int = 0
    p_tight: int = P_TIGHT
    n_backbone: int = 0
    _cost: np.ndarray | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.demand_xy)

    @property
    def m(self) -> int:
        return len(self.site_xy)

    def cost_matrix(self, dtype=np.float64, chunk: int = 5000) -> np.ndarray:
        """Dense (N, M) travel-time matrix in minutes (cached)."""
        if self._cost is None or self._cost.dtype != dtype:
            out = np.empty((self.n, self.m), dtype=dtype)
            sx = self.site_xy[:, 0][None, :]
            sy = self.site_xy[:, 1][None, :]
            for a in range(0, self.n, chunk):
                b = min(a + chunk, self.n)
                dx = self.demand_xy[a:b, 0][:, None] - sx
                dy = self.demand_xy[a:b, 1][:, None] - sy
                out[a:b] = travel_minutes(dx, dy)
            self._cost = out
        return self._cost

    def drop_cost_matrix(self) -> None:
        self._cost = None

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for arr in (self.demand_xy, self.population, self.site_xy):
            h.update(np.ascontiguousarray(arr).tobytes())
        h.update(f"{self.service_min}|{self.p}".encode())
        return h.hexdigest()[:16]

    def describe(self) -> dict:
        return {
            "name": self.name,
            "seed": self.seed,
            "N": self.n,
            "M": self.m,
            "p": self.p,
            "p_tight": self.p_tight,
            "S_min": self.service_min,
            "total_population": int(self.population.sum()),
            "backbone_sites": self.n_backbone,
            "fingerprint": self.fingerprint(),
        }


def _greedy_backbone(demand_xy: np.ndarray, radius_km: float, cell_km: float = 2.0):
    """Greedy set cover over the villages nearest to grid-cell centres.

    The village nearest to a non-empty cell's centre is within cell_km/sqrt(2)
    of the centre, hence within cell_km*sqrt(2) (2.83 km) of every village of
    that cell, far inside the 5.77 km service radius: the cover always exists.
    """
    n = len(demand_xy)
    tree = cKDTree(demand_xy)
    cells = np.floor(demand_xy / cell_km).astype(np.int64)
    ncell = int(np.ceil(REGION_KM / cell_km))
    cell_id = np.unique(cells[:, 0] * ncell + cells[:, 1])
    centres = np.stack([(cell_id // ncell + 0.5) * cell_km, (cell_id % ncell + 0.5) * cell_km], 1)
    _, near = tree.query(centres)
    pos = np.unique(near)
    cover = tree.query_ball_point(demand_xy[pos], r=radius_km)
    cover = [np.asarray(c, dtype=np.int64) for c in cover]
    uncovered = np.ones(n, dtype=bool)
    chosen = []
    gains = np.array([len(c) for c in cover])
    while uncovered.any():
        # lazy greedy: recompute exact gains (positions are few, <= 400)
        gains = np.array([uncovered[c].sum() for c in cover])
        k = int(np.argmax(gains))
        if gains[k] == 0:  # cannot happen (see docstring)
            raise RuntimeError("backbone cover failed")
        chosen.append(int(pos[k]))
        uncovered[cover[k]] = False
    return np.array(chosen, dtype=np.int64)


def generate(
    size: str = "small", seed: int | None = None, n: int | None = None, m: int | None = None
) -> Instance:
    n0, m0 = SIZES.get(size, (0, 0))
    n = n or n0
    m = m or m0
    seed = SEEDS.get(size, 1) if seed is None else seed
    rng = np.random.default_rng(seed)

    # town seats and their "pull"
    towns = rng.uniform(4.0, REGION_KM - 4.0, size=(N_TOWNS, 2))
    town_w = rng.lognormal(0.0, 0.7, size=N_TOWNS)
    town_w /= town_w.sum()
    town_sigma = rng.uniform(1.5, 4.0, size=N_TOWNS)

    n_clustered = round(0.75 * n)
    which = rng.choice(N_TOWNS, size=n_clustered, p=town_w)
    xy_c = towns[which] + rng.normal(size=(n_clustered, 2)) * town_sigma[which, None]
    xy_r = rng.uniform(0.0, REGION_KM, size=(n - n_clustered, 2))
    xy = np.clip(np.vstack([xy_c, xy_r]), 0.0, REGION_KM - 1e-9)
    perm = rng.permutation(n)
    xy = xy[perm]

    # population: lognormal, boosted near the nearest town seat
    d_town = np.sqrt(((xy[:, None, :] - towns[None, :, :]) ** 2).sum(-1))
    k_near = d_town.argmin(1)
    d_near = d_town[np.arange(n), k_near]
    boost = 1.0 + 4.0 * np.exp(-((d_near / town_sigma[k_near]) ** 2))
    pop = np.maximum(1, np.round(rng.lognormal(4.0, 1.0, size=n) * boost)).astype(np.int64)

    radius_km = SERVICE_MIN / MIN_PER_KM
    backbone = _greedy_backbone(xy, radius_km)
    tree = cKDTree(xy)
    _, seat_village = tree.query(towns)
    fixed = list(dict.fromkeys(list(backbone) + [int(v) for v in seat_village]))
    if len(fixed) > m:
        raise ValueError(f"M={m} too small for a coverable instance ({len(fixed)} needed)")
    rest = np.setdiff1d(np.arange(n), np.array(fixed))
    w = np.sqrt(pop[rest].astype(float))
    extra = rng.choice(rest, size=m - len(fixed), replace=False, p=w / w.sum())
    site_idx = np.array(fixed + sorted(int(e) for e in extra), dtype=np.int64)
    site_idx = site_idx[rng.permutation(len(site_idx))]

    return Instance(
        name=size,
        seed=seed,
        demand_xy=xy,
        population=pop,
        site_xy=xy[site_idx].copy(),
        site_demand_index=site_idx,
        service_min=SERVICE_MIN,
        p=max(1, m // 10),
        n_backbone=len(backbone),
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", default="small", choices=list(SIZES))
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    inst = generate(args.size, seed=args.seed)
    t1 = time.perf_counter()
    cost = inst.cost_matrix()
    t2 = time.perf_counter()
    cov = cost <= inst.service_min
    per_row = cov.sum(1)
    d = inst.describe()
    print(d)
    print(f"generate {t1 - t0:.2f}s, cost matrix {t2 - t1:.2f}s ({cost.nbytes / 2**20:.0f} MiB)")
    print(
        f"covering candidates per demand point: min {per_row.min()}, "
        f"median {int(np.median(per_row))}, max {per_row.max()}; coverage density {cov.mean():.3f}"
    )
    print(
        f"SUMMARY instances size={args.size} N={inst.n} M={inst.m} p={inst.p} "
        f"pop={d['total_population']} fingerprint={d['fingerprint']}"
    )


if __name__ == "__main__":
    main()
