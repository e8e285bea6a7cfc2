"""Per-point result files of a sweep: written atomically, read back to resume a sweep.

Each finished point is ``points/<point_id>.json`` in the sweep's output folder. A file is written
to a temporary name in the same folder and renamed into place (``os.replace``), so a killed sweep
leaves whole files or none; a leftover temporary file is ignored. On a rerun, a point whose file
exists and carries the same fingerprint (base scenario and fixed overrides) is not solved again.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["point_path", "read_points", "write_atomically", "write_point"]


def point_path(points_dir: Path, point_id: str) -> Path:
    """Where the result of a point is stored."""
    return points_dir / f"{point_id}.json"


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_point(points_dir: Path, record: dict[str, Any]) -> Path:
    """Store one point's record as sorted, indented JSON; return the file written."""
    path = point_path(points_dir, str(record["point_id"]))
    text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False)
    write_atomically(path, (text + "\n").encode("utf-8"))
    return path


def read_points(points_dir: Path, point_ids: Iterable[str],
                fingerprint: str) -> dict[str, dict[str, Any]]:
    """The stored records of ``point_ids`` computed with ``fingerprint``, keyed by point id.

    A file that is unreadable (it cannot be half-written, but it can be edited by hand) or was
    computed from another base scenario is left out, so the point is solved again.
    """
    found: dict[str, dict[str, Any]] = {}
    for pid in point_ids:
        path = point_path(points_dir, pid)
        if not path.is_file():
            continue
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (isinstance(record, dict) and record.get("point_id") == pid
                and record.get("fingerprint") == fingerprint):
            found[pid] = record
    return found
