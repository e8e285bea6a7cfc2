"""One JSON record per unit of work (a sweep point, an uncertainty draw), written atomically.

A record is written to a temporary file beside its path and renamed into place
(``os.replace``), so a killed job leaves whole files or none. A record is read back only when it
names the unit it belongs to and carries the fingerprint of what produced it; anything else (a
file edited by hand, one from another base scenario) reads as absent, so the unit runs again.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["read_record", "write_atomically", "write_record"]

Record = dict[str, Any]


def write_atomically(path: Path, data: bytes, *, fsync: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path``, then rename it over ``path``.

    ``fsync=False`` skips flushing to the disk before the rename: the file is still whole or
    absent after a crash of the process, but not necessarily after a power cut. Records that are
    cheap to recompute (uncertainty draws, thousands of them) use it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if fsync:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_record(path: Path, record: Record, *, compact: bool = False,
                 fsync: bool = True) -> Path:
    """Store ``record`` as sorted JSON (indented, or one line with ``compact``); return ``path``."""
    write_atomically(path, record_bytes(record, compact=compact), fsync=fsync)
    return path


def record_bytes(record: Record, *, compact: bool = False) -> bytes:
    """``record`` as the bytes `write_record` stores: sorted JSON, UTF-8, one final newline."""
    if compact:
        text = json.dumps(record, ensure_ascii=False, sort_keys=True, allow_nan=False,
                          separators=(",", ":"))
    else:
        text = json.dumps(record, ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False)
    return (text + "\n").encode("utf-8")


def read_record(path: Path, key: str, value: object, fingerprint: str) -> Record | None:
    """The record at ``path`` if its ``key`` is ``value`` and its fingerprint matches, else None."""
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (isinstance(record, dict) and record.get(key) == value
            and record.get("fingerprint") == fingerprint):
        return record
    return None
