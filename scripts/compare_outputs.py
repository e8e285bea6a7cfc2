"""Compare two output trees (e.g. ``out/`` before and after a refactor) file by file.

Usage: ``python scripts/compare_outputs.py BEFORE AFTER``. Every file must exist in both trees.
A file passes when its bytes are identical, or when the only differences are wall-clock
figures: JSON keys ``seconds``, ``runtime_s``, ``build_seconds`` and ``solve_seconds``, "... s"
timings in text and HTML, and a GeoPackage's write timestamps (its layers are compared as
tables). Exits 1 and lists the files that differ otherwise.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

TIMING_KEYS = {"seconds", "runtime_s", "build_seconds", "solve_seconds"}
# "12.3 s", "0.154 s", "in 38 s", and JSON-ish "seconds": 1.2 inside HTML
TIMING_TEXT = re.compile(r"\d+(?:\.\d+)?\s?s\b|\"(?:seconds|runtime_s)\": \d+(?:\.\d+)?")


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in TIMING_KEYS}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def _same_gpkg(a: Path, b: Path) -> bool:
    import pyogrio  # noqa: PLC0415 - only for GeoPackages

    layers_a = [name for name, _ in pyogrio.list_layers(a)]
    layers_b = [name for name, _ in pyogrio.list_layers(b)]
    if layers_a != layers_b:
        return False
    for layer in layers_a:
        fa = pyogrio.read_dataframe(a, layer=layer)
        fb = pyogrio.read_dataframe(b, layer=layer)
        if not fa.equals(fb):
            return False
    return True


def same(a: Path, b: Path) -> str | None:
    """``None`` when the files agree (bytes, or up to timings), else how they differ."""
    da, db = a.read_bytes(), b.read_bytes()
    if da == db:
        return None
    suffix = a.suffix.lower()
    if suffix == ".json":
        if _strip(json.loads(da)) == _strip(json.loads(db)):
            return None
        return "JSON differs beyond timings"
    if suffix in {".html", ".md", ".txt", ".csv"}:
        ta, tb = (TIMING_TEXT.sub("<t>", d.decode("utf-8")) for d in (da, db))
        return None if ta == tb else "text differs beyond timings"
    if suffix == ".gpkg":
        return None if _same_gpkg(a, b) else "GeoPackage layers differ"
    return "bytes differ"


def main(argv: list[str]) -> int:
    """Compare the trees named in ``argv``; print one line per file and a verdict."""
    if len(argv) != 2:
        print(__doc__)
        return 2
    before, after = (Path(p) for p in argv)
    files_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    files_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    bad = [f"only in {before}: {p}" for p in sorted(files_a - files_b)]
    bad += [f"only in {after}: {p}" for p in sorted(files_b - files_a)]
    identical = 0
    for rel in sorted(files_a & files_b):
        if (before / rel).read_bytes() == (after / rel).read_bytes():
            identical += 1
            continue
        why = same(before / rel, after / rel)
        if why is None:
            print(f"same up to timings: {rel}")
        else:
            bad.append(f"{why}: {rel}")
    print(f"{identical} of {len(files_a & files_b)} files byte-identical")
    for line in bad:
        print(line)
    print("SAME" if not bad else f"DIFFERENT ({len(bad)} files)")
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
