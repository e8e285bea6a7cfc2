"""Read input files as they are, reporting unreadable ones as problems instead of crashing."""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from optimizer.errors import Problem

__all__ = ["decode_text", "read_csv_text", "read_vector"]

_EXCEL_FIX = (
    "re-save it as UTF-8 (Excel: File > Save As > 'CSV UTF-8'; or "
    "`iconv -f GB18030 -t UTF-8 in.csv > out.csv`)"
)


def decode_text(path: Path, label: str) -> tuple[str | None, list[Problem]]:
    """Read a text file as UTF-8 (with or without a byte-order mark).

    Returns the text, or ``None`` and the problems: a missing file, an empty file, or bytes that
    are not UTF-8 (named with the line of the first bad byte and, when the file decodes as
    GB18030, the likely cause).
    """
    if not path.exists():
        return None, [Problem(label, "", "", "", "file not found", "check the path")]
    if path.is_dir():
        return None, [Problem(label, "", "", "", "is a folder, not a file", "name the file")]
    raw = path.read_bytes()
    if not raw.strip():
        return None, [
            Problem(label, "", "", "", "file is empty", "export the layer again with its rows")
        ]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        bad = raw[err.start : err.start + 4].hex(" ")
        try:
            raw.decode("gb18030")
            cause = "is encoded in GBK/GB18030 (as Excel saves CSV on Chinese Windows), not UTF-8"
        except UnicodeDecodeError:
            cause = "is not valid UTF-8 text"
        return None, [Problem(label, f"line {line}", "", f"bytes {bad}", cause, _EXCEL_FIX)]


def read_csv_text(text: str, label: str) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Parse CSV text into a frame of strings (empty cells as ``""``), header on line 1."""
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True
        )
    except pd.errors.EmptyDataError:
        return None, [Problem(label, "", "", "", "file has no header row", "add the header")]
    except pd.errors.ParserError as err:
        return None, [
            Problem(label, "", "", "", f"not readable as CSV ({err})", "check quoting and commas")
        ]
    frame.columns = [str(c).strip() for c in frame.columns]
    if frame.empty:
        return None, [
            Problem(label, "", "", "", "file has a header but no data rows", "add the rows")
        ]
    return frame, []


def read_vector(
    path: Path, label: str, layer: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read a GeoJSON/GeoPackage layer; choose the layer named like ``layer`` if there are many."""
    if path.suffix.lower() in {".geojson", ".json"}:
        text, problems = decode_text(path, label)
        if text is None:
            return None, problems
    elif not path.exists():
        return None, [Problem(label, "", "", "", "file not found", "check the path")]
    elif path.stat().st_size == 0:
        return None, [
            Problem(label, "", "", "", "file is empty", "export the layer again with its rows")
        ]
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
        chosen = layer if layer in layers else layers[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(path, layer=chosen, engine="pyogrio")
    except Exception as err:
        return None, [
            Problem(label, "", "", "", f"not readable as a vector layer ({err})",
                    "export it again as GeoJSON or GeoPackage")
        ]
    if frame.empty:
        return None, [
            Problem(label, "", "", "", "layer has no features", "export the layer with its rows")
        ]
    return frame, []
