"""Travel tables kept on disk by a hash of the road network, the points and the settings.

A road table costs seconds to minutes; the same one is asked for by every stage of a run, by
``justify``'s hundreds of evaluations and by every run of a sweep. Each result is stored as one
``.npz`` file (plain arrays, never pickles) named by the SHA-256 of everything it depends on:
the network's nodes, edges, speeds and directions, the points' projected coordinates, the speeds
and the cap. A change to any of them is a new name, so a stale table is never read.

The folder is ``MEDALLOC_CACHE_DIR`` when set (``off`` turns the cache off), else
``$XDG_CACHE_HOME/medalloc/travel`` or ``~/.cache/medalloc/travel``: never the user's data
folder. Files are written to a temporary name in the same folder and renamed into place, so
concurrent writers (a sweep's workers) each leave a complete file and a reader never sees half
of one. A file that cannot be read is recomputed; a folder that cannot be written is skipped
with no error (the cache only saves time). The warnings a computation gave (points far from
any road, island points, one-way traps) are stored with it and given again on every read.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import warnings
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from optimizer.errors import MedallocWarning
from optimizer.travel.network import RoadNetwork

__all__ = ["CACHE_ENV", "cache_dir", "cached_arrays", "cached_pairs", "network_digest"]

CACHE_ENV = "MEDALLOC_CACHE_DIR"
_VERSION = b"medalloc-routing-1"
_RECENT: OrderedDict[str, tuple[float, tuple[np.ndarray, ...], list[str]]] = OrderedDict()
_RECENT_SIZE = 4


def cache_dir() -> Path | None:
    """The cache folder, or None when ``MEDALLOC_CACHE_DIR=off``."""
    given = os.environ.get(CACHE_ENV)
    if given is not None:
        return None if given.strip().lower() in ("off", "0", "") else Path(given)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "medalloc" / "travel"


def _feed(digest: hashlib._Hash, array: np.ndarray) -> None:
    contiguous = np.ascontiguousarray(array)
    digest.update(f"{contiguous.dtype.str}{contiguous.shape}".encode())
    digest.update(contiguous.tobytes())


def network_digest(network: RoadNetwork) -> str:
    """SHA-256 of the network's geometry, speeds and directions."""
    digest = hashlib.sha256(_VERSION)
    for array in (network.node_xy, network.edge_u, network.edge_v, network.edge_length_m,
                  network.edge_speed_kmh, network.oneway):
        _feed(digest, array)
    digest.update(network.crs.encode())
    return digest.hexdigest()


def cached_arrays(kind: str, network: RoadNetwork, points: Sequence[np.ndarray],
                  params: Sequence[float | bool | str],
                  compute: Callable[[], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Return ``compute()``'s arrays, from the cache when an identical call stored them."""
    folder = cache_dir()
    if folder is None:
        return compute()
    digest = hashlib.sha256(_VERSION + kind.encode())
    digest.update(network_digest(network).encode())
    for array in points:
        _feed(digest, np.asarray(array, dtype=np.float64))
    digest.update(repr(tuple(params)).encode())
    path = folder / f"{kind}-{digest.hexdigest()}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            arrays = tuple(stored[f"arr_{k}"] for k in range(len(stored.files) - 1))
            messages = [str(m) for m in stored["messages"]]
        for message in messages:  # the warnings the computation gave, given again
            warnings.warn(message, MedallocWarning, stacklevel=3)
        return arrays
    except (OSError, ValueError, KeyError):
        pass
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = compute()
    messages = []
    for found in caught:
        if issubclass(found.category, MedallocWarning):
            messages.append(str(found.message))
        warnings.warn_explicit(found.message, found.category, found.filename, found.lineno)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, *result, messages=np.array(messages, dtype=str))
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass  # a read-only or full disk costs time, not results
    return result


def cached_pairs(network: RoadNetwork, points: Sequence[np.ndarray],
                 params: Sequence[float | bool | str], max_minutes: float,
                 compute: Callable[[float], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """A pair table (origin, destination, distance_m, minutes) under ``max_minutes``.

    A table computed in this process for the same network, points and settings under a larger
    cap is filtered instead of recomputed (coverage asks for 30 and 60 minutes by car, the
    model for each service's threshold); otherwise :func:`cached_arrays` on disk.
    """
    digest = hashlib.sha256(_VERSION + b"recent")
    digest.update(network_digest(network).encode())
    for array in points:
        _feed(digest, np.asarray(array, dtype=np.float64))
    digest.update(repr(tuple(params)).encode())
    key = digest.hexdigest()
    found = _RECENT.get(key)
    if found is not None and found[0] >= max_minutes:
        _RECENT.move_to_end(key)
        for message in found[2]:
            warnings.warn(message, MedallocWarning, stacklevel=3)
        keep = found[1][3] <= max_minutes
        return tuple(a[keep] for a in found[1])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        arrays = cached_arrays("pairs", network, points, (*params, max_minutes),
                               lambda: compute(max_minutes))
    messages = [str(w.message) for w in caught if issubclass(w.category, MedallocWarning)]
    for w in caught:
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    _RECENT[key] = (max_minutes, arrays, messages)
    while len(_RECENT) > _RECENT_SIZE:
        _RECENT.popitem(last=False)
    return arrays
