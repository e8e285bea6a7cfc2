"""Say where a dataset's numbers come from (sourced or estimated), from its provenance columns."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from optimizer.dataset.load import Dataset
from optimizer.report.i18n import status_name, subject_name, text

__all__ = ["ProvenanceLine", "map_note", "provenance_lines"]

# (layer, column, what it describes)
_COLUMNS = (
    ("towns", "geometry_method", "town polygons"),
    ("towns", "pop_method", "town populations"),
    ("towns", "seat_source", "town seat points"),
    ("demand", "position_method", "village positions"),
    ("demand", "population_method", "village populations"),
    ("facilities", "tier_method", "facilities and their tiers"),
    ("facilities", "resource_method", "facility beds and staff"),
    ("boundary", "source", "district boundary"),
)


@dataclass(frozen=True)
class ProvenanceLine:
    """What one kind of number is, and where it comes from.

    Attributes
    ----------
    subject : str
        ``"town polygons"``, ``"village positions"``...
    status : str
        ``"sourced"``, ``"estimated"``, ``"synthetic"`` or ``"mixed"`` (some rows of each).
    methods : tuple of str
        The distinct method texts of the rows, most frequent first.
    """

    subject: str
    status: str
    methods: tuple[str, ...]


def provenance_lines(dataset: Dataset) -> list[ProvenanceLine]:
    """One line per provenance column present in the dataset, in a fixed order."""
    lines: list[ProvenanceLine] = []
    for layer, column, subject in _COLUMNS:
        frame = getattr(dataset, layer)
        if frame is None or column not in frame.columns:
            continue
        values = frame[column].dropna().astype(str)
        if values.empty:
            continue
        counts = values.value_counts(sort=False)
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        methods = tuple(text for text, _ in ranked)
        lines.append(ProvenanceLine(subject=subject, status=_status(methods), methods=methods))
    return lines


def map_note(dataset: Dataset, lang: str = "en") -> str:
    """A short source note for a map: what is estimated or synthetic, and attributions."""
    parts: list[str] = []
    for line in provenance_lines(dataset):
        if line.subject in {"town polygons", "village positions"} and line.status != "sourced":
            detail = _short(line.methods[0])
            parts.append(text("note.line", lang, subject=subject_name(line.subject, lang),
                              status=status_name(line.status, lang))
                         + (f" ({detail})" if detail else ""))
    texts = _all_text(dataset)
    if "geonames" in texts:
        parts.append(text("note.geonames", lang))
    if "amap" in texts or "autonavi" in texts:
        parts.append(text("note.amap", lang))
    if not parts:
        return text("note.data", lang) + ", ".join(
            sorted(name.split("/")[-1] for name in dataset.files.values()))
    return text("note.data", lang) + text("note.sep", lang).join(parts) + text("note.end", lang)


def _status(methods: tuple[str, ...]) -> str:
    kinds = {_kind(text) for text in methods}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _kind(text: str) -> str:
    head = text.strip().upper()
    if head.startswith("SYNTHETIC"):
        return "synthetic"
    if head.startswith("ESTIMATED") or head == "ESTIMATED":
        return "estimated"
    return "sourced"


def _short(method: str) -> str:
    """``"ESTIMATED: Voronoi cell of the seat point in ..."`` -> ``"Voronoi"``-like gist."""
    body = method.split(":", 1)[1] if ":" in method else method
    for keyword in ("Voronoi", "k-means", "grid"):
        if keyword.lower() in body.lower():
            return keyword
    return " ".join(body.split(";")[0].split()[:4])


def _all_text(dataset: Dataset) -> str:
    pieces: list[str] = []
    for layer, column, _ in _COLUMNS:
        frame = getattr(dataset, layer)
        if frame is not None and column in frame.columns:
            pieces.extend(pd.unique(frame[column].dropna().astype(str)))
    return " ".join(pieces).lower()
