"""spopt's synthetic test instance rebuilt: points on a 10 x 10 street lattice, network costs.

spopt's locate tests (``spopt/tests/conftest.py``, ``network_instance``) draw clients and
facilities at random inside a 0.2 buffer around the unit street lattice of the square
(0, 0)-(10, 10), snap them to the nearest street and take network distances between the snapped
points. This module rebuilds the same instance with our own code: the same 220 unit street
segments, the same rejection sampling with the same legacy NumPy seeds (5 for clients, 6 for
facilities; spopt reseeds the global generator, so its later ``numpy.random.randint`` weights
continue the facility stream, which `LatticeInstance.weights` reproduces), the perpendicular
snap to the nearest segment, and the network distance: along the segment for two points on the
same segment, otherwise the shortest way through either end of each segment, where the node to
node distance on a complete unit lattice is the Manhattan distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from shapely.geometry import LineString, Point

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

SIZE = 10
BUFFER = 0.2


def _segments() -> FloatArray:
    """The 220 unit street segments as rows (x0, y0, x1, y1)."""
    rows = []
    for a in range(SIZE + 1):
        for b in range(SIZE):
            rows.append((b, a, b + 1, a))  # horizontal street y = a
            rows.append((a, b, a, b + 1))  # vertical street x = a
    return np.array(rows, dtype=np.float64)


SEGMENTS = _segments()
STREETS = shapely.union_all([LineString([(s[0], s[1]), (s[2], s[3])]).buffer(BUFFER)
                             for s in SEGMENTS])


def _draw(rng: np.random.RandomState, needed: int) -> FloatArray:
    """spopt's ``simulated_geo_points``: uniform in the bounds, kept when inside the streets."""
    xmin, ymin, xmax, ymax = STREETS.bounds
    kept: list[tuple[float, float]] = []
    while len(kept) < needed:
        x = float(rng.uniform(xmin, xmax, 1)[0])
        y = float(rng.uniform(ymin, ymax, 1)[0])
        if STREETS.intersects(Point(x, y)):
            kept.append((x, y))
    return np.array(kept, dtype=np.float64)


@dataclass(frozen=True)
class Snapped:
    """Points snapped to their nearest street segment."""

    xy: FloatArray          # snapped coordinates, (n, 2)
    segment: IntArray       # index into SEGMENTS
    to_start: FloatArray    # distance along the segment to its first end
    to_end: FloatArray      # distance along the segment to its second end


def snap(points: FloatArray) -> Snapped:
    """Perpendicular projection of each point onto its nearest segment."""
    a, b = SEGMENTS[None, :, :2], SEGMENTS[None, :, 2:]
    p = points[:, None, :]
    t = np.clip(((p - a) * (b - a)).sum(-1), 0.0, 1.0)  # unit segments: |b - a| = 1
    foot = a + t[..., None] * (b - a)
    seg = np.argmin(((p - foot) ** 2).sum(-1), axis=1)
    rows = np.arange(len(points))
    tt = t[rows, seg]
    return Snapped(foot[rows, seg], seg.astype(np.int64), tt, 1.0 - tt)


def network_costs(src: Snapped, dst: Snapped) -> FloatArray:
    """Shortest street distance between every snapped source and destination point."""
    ends_s = (SEGMENTS[src.segment, :2], SEGMENTS[src.segment, 2:])
    ends_d = (SEGMENTS[dst.segment, :2], SEGMENTS[dst.segment, 2:])
    off_s = (src.to_start, src.to_end)
    off_d = (dst.to_start, dst.to_end)
    best = np.full((len(src.xy), len(dst.xy)), np.inf)
    for es, os_ in zip(ends_s, off_s, strict=True):
        for ed, od in zip(ends_d, off_d, strict=True):
            manhattan = np.abs(es[:, None, :] - ed[None, :, :]).sum(-1)
            best = np.minimum(best, os_[:, None] + manhattan + od[None, :])
    same = src.segment[:, None] == dst.segment[None, :]
    direct = np.sqrt(((src.xy[:, None, :] - dst.xy[None, :, :]) ** 2).sum(-1))
    return np.where(same, direct, best)


@dataclass(frozen=True)
class LatticeInstance:
    """Snapped clients and facilities, their network costs and spopt's follow-on weights."""

    clients: FloatArray        # snapped client coordinates (empty for p-dispersion)
    facilities: FloatArray     # snapped facility coordinates
    costs: FloatArray          # network costs, clients x facilities (or facilities x facilities)
    weights: IntArray          # numpy.random.randint(1, 12, clients) after the draws

    def euclidean(self) -> FloatArray:
        """Straight-line costs between the snapped points (spopt's ``from_geodataframe``)."""
        a = self.clients if len(self.clients) else self.facilities
        return np.sqrt(((a[:, None, :] - self.facilities[None, :, :]) ** 2).sum(-1))


def network_instance(client_count: int | None, facility_count: int) -> LatticeInstance:
    """spopt's ``network_instance(client_count, facility_count)``, rebuilt."""
    clients = (snap(_draw(np.random.RandomState(5), client_count)) if client_count
               else None)
    rng = np.random.RandomState(6)
    facilities = snap(_draw(rng, facility_count))
    weights = rng.randint(1, 12, client_count or 0).astype(np.int64)
    source = clients if clients is not None else facilities
    return LatticeInstance(
        clients=clients.xy if clients is not None else np.empty((0, 2)),
        facilities=facilities.xy,
        costs=network_costs(source, facilities),
        weights=weights,
    )
