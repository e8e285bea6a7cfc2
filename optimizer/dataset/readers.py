"""Read input files as they are, reporting unreadable ones as problems instead of crashing."""

from __future__ import annotations

import codecs
import csv
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from optimizer.errors import Problem

__all__ = ["RawTable", "decode_text", "read_csv_text", "read_vector"]

_EXCEL_FIX = (
    "re-save it as UTF-8 (Excel: File > Save As > 'CSV UTF-8'; or "
    "`iconv -f GB18030 -t UTF-8 in.csv > out.csv`)"
)
# Byte-order marks, longest first: a UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
_DELIMITERS = {",": "','", ";": "';'", "\t": "a tab", "|": "'|'"}
# A number written with a decimal comma: 1,5 or 105,85 (optionally 1.234,5 with a dot per
# thousand). Only looked for when the delimiter is not a comma: with commas between cells a
# comma inside a number can only be a thousands separator.
_DECIMAL_COMMA = re.compile(r"[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+")


@dataclass(frozen=True)
class RawTable:
    """A table as read: cells as text, and where each row is as the user's tool shows it.

    Attributes
    ----------
    frame : pandas.DataFrame
        One column per header cell, values as stripped text (empty cells as ``""``).
    rows : tuple of str
        The place of each row, ``"line 7"`` in a CSV or ``"row 7"`` in a spreadsheet.
    header : str
        The place of the header row.
    decimal_comma : bool
        Numbers are written with a decimal comma (``1,5``), so a comma is not a thousands mark.
    notes : tuple of Problem
        Things the reader worked around (a semicolon delimiter, decimal commas), to tell the user.
    """

    frame: pd.DataFrame
    rows: tuple[str, ...]
    header: str
    decimal_comma: bool = False
    notes: tuple[Problem, ...] = ()


def decode_text(path: Path, label: str) -> tuple[str | None, list[Problem]]:
    """Read a text file as UTF-8, or as UTF-16/32 when it starts with their byte-order mark.

    Returns the text, or ``None`` and the problems: a missing file, an empty file, or bytes that
    cannot be decoded (named with the line of the first bad byte and, when the file decodes as
    GB18030, the likely cause).
    """
    if not path.exists():
        return None, [Problem(label, "", "", "", "file not found", "check the path")]
    if path.is_dir():
        return None, [Problem(label, "", "", "", "is a folder, not a file", "name the file")]
    raw = path.read_bytes()
    codec, name = next(((c, n) for bom, c, n in _BOMS if raw.startswith(bom)), ("utf-8", ""))
    if not name and b"\x00" in raw:
        # NUL bytes are valid UTF-8 but never in a text table: UTF-16 saved without its mark.
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        return None, [Problem(label, f"line {line}", "", f"bytes {raw[:4].hex(' ')}",
                              "looks like UTF-16 text without a byte-order mark, not UTF-8",
                              _EXCEL_FIX)]
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as err:
        if name and name != "UTF-8":
            return None, [Problem(label, "", "", f"bytes {raw[:4].hex(' ')}",
                                  f"starts with a {name} byte-order mark but is not valid {name}",
                                  "save it again as 'CSV UTF-8' (Excel: File > Save As)")]
        line = raw[: err.start].count(b"\n") + 1
        bad = raw[err.start : err.start + 4].hex(" ")
        try:
            raw.decode("gb18030")
            cause = "is encoded in GBK/GB18030 (as Excel saves CSV on Chinese Windows), not UTF-8"
        except UnicodeDecodeError:
            cause = "is not valid UTF-8 text"
        return None, [Problem(label, f"line {line}", "", f"bytes {bad}", cause, _EXCEL_FIX)]
    if not text.strip().strip("\x00"):
        return None, [
            Problem(label, "", "", "", "file is empty", "export the layer again with its rows")
        ]
    return text, []


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the header line into the most cells (a comma on ties)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: len(next(csv.reader([header], delimiter=d))) for d in _DELIMITERS}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] > 1 else ","


def read_csv_text(text: str, label: str) -> tuple[RawTable | None, list[Problem]]:
    """Parse CSV text into text cells, header on line 1, delimiter and decimal mark detected.

    A semicolon, tab or bar delimiter is read as such (Excel writes semicolons where the decimal
    mark is a comma) and noted; so are decimal commas under such a delimiter.
    """
    delimiter = sniff_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skipinitialspace=True,
            sep=delimiter, skip_blank_lines=False,
        )
    except pd.errors.EmptyDataError:
        return None, [Problem(label, "", "", "", "file has no header row", "add the header")]
    except pd.errors.ParserError as err:
        return None, [
            Problem(label, "", "", "", f"not readable as CSV ({err})",
                    f"check quoting and that every line has as many {_DELIMITERS[delimiter]} "
                    "as the header")
        ]
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    # Blank lines are skipped, but counted, so that line numbers match the file.
    frame = frame[(frame != "").any(axis=1)]
    rows = tuple(f"line {int(i) + 2}" for i in frame.index)
    frame = frame.reset_index(drop=True)
    if frame.empty:
        return None, [
            Problem(label, "", "", "", "file has a header but no data rows", "add the rows")
        ]
    notes = []
    if delimiter != ",":
        notes.append(Problem(
            label, "line 1", "", "", f"this file uses {_DELIMITERS[delimiter]} as its delimiter, "
            "not ','; it was read that way",
            "nothing, unless its columns look wrong; Excel's 'CSV UTF-8 (comma delimited)' "
            "avoids the question"))
    decimal_comma = False
    if delimiter != ",":
        hit = _first_match(frame, _DECIMAL_COMMA)
        if hit is not None:
            decimal_comma = True
            position, column, value = hit
            notes.append(Problem(
                label, rows[position], column, value, "numbers use a decimal comma; read "
                f"'{value}' as {value.replace('.', '').replace(',', '.')}",
                "nothing, unless a comma in this file separates thousands"))
    return RawTable(frame, rows, "line 1", decimal_comma, tuple(notes)), []


def _first_match(frame: pd.DataFrame, pattern: re.Pattern[str]) -> tuple[int, str, str] | None:
    """The first cell (position, column, text) that ``pattern`` matches in full."""
    for column in frame.columns:
        found = frame[column].str.fullmatch(pattern)
        if found.any():
            position = int(found.to_numpy().argmax())
            return position, str(column), str(frame[column].iloc[position])
    return None


def read_vector(
    path: Path, label: str, layer: str
) -> tuple[gpd.GeoDataFrame | None, list[Problem]]:
    """Read a GeoJSON/GeoPackage layer; choose the layer named like ``layer`` if there are many.

    GeoJSON is decoded first (UTF-8, or UTF-16/32 with a byte-order mark) and handed over as
    UTF-8, so that its names survive any encoding the file was saved in.
    """
    source: Path | io.BytesIO = path
    if path.suffix.lower() in {".geojson", ".json"}:
        text, problems = decode_text(path, label)
        if text is None:
            return None, problems
        source = io.BytesIO(text.encode("utf-8"))
    elif not path.exists():
        return None, [Problem(label, "", "", "", "file not found", "check the path")]
    elif path.stat().st_size == 0:
        return None, [
            Problem(label, "", "", "", "file is empty", "export the layer again with its rows")
        ]
    try:
        chosen = None
        if isinstance(source, Path):
            layers = [str(name) for name, _ in pyogrio.list_layers(source)]
            chosen = layer if layer in layers else layers[0]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            frame = gpd.read_file(source, layer=chosen, engine="pyogrio")
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
