"""Read an uncertainty folder's files back for reports, and find the one a justification used.

``medalloc uncertainty`` (and ``justify --draws``) write ``uncertainty.json``,
``probabilities.csv``, ``towns_in_best.csv`` and ``sensitivity.csv`` (with more tables) into
their folder (:mod:`optimizer.uncertainty.job`). A justification made with draws records that
folder in ``justification.json`` (``uncertainty.folder``, relative to the justification folder),
so its report shows the probabilities of the very draws its conclusion quotes. Absent or
unreadable files read as ``None``; the section then says what is missing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from optimizer.results.files import read_output_csv

__all__ = ["UncertaintyOutputs", "read_uncertainty_outputs", "uncertainty_folder"]

FILES = ("uncertainty.json", "probabilities.csv", "towns_in_best.csv", "sensitivity.csv")


@dataclass(frozen=True)
class UncertaintyOutputs:
    """The files of an uncertainty folder that a report shows; each ``None`` when absent.

    Attributes
    ----------
    folder : pathlib.Path
        Where they were read.
    facts : dict or None
        ``uncertainty.json``: chosen set, draws, headline measure, conclusion, the data that
        would settle each input group.
    probabilities, towns_in_best, sensitivity : pandas.DataFrame or None
        The tables of the same names.
    """

    folder: Path
    facts: dict[str, Any] | None
    probabilities: pd.DataFrame | None
    towns_in_best: pd.DataFrame | None
    sensitivity: pd.DataFrame | None

    @property
    def missing(self) -> tuple[str, ...]:
        """The files of :data:`FILES` that could not be read."""
        parts = (self.facts, self.probabilities, self.towns_in_best, self.sensitivity)
        return tuple(name for name, part in zip(FILES, parts, strict=True) if part is None)


def _table(path: Path, ids: tuple[str, ...] = ()) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        return read_output_csv(path, dtype=dict.fromkeys(ids, str))
    except (OSError, ValueError):
        return None


def read_uncertainty_outputs(folder: Path) -> UncertaintyOutputs:
    """Read whichever of the section's files exist in ``folder``."""
    facts: dict[str, Any] | None = None
    try:
        data = json.loads((folder / "uncertainty.json").read_text(encoding="utf-8"))
        facts = data if isinstance(data, dict) else None
    except (OSError, ValueError):
        facts = None
    return UncertaintyOutputs(
        folder=folder, facts=facts,
        probabilities=_table(folder / "probabilities.csv"),
        towns_in_best=_table(folder / "towns_in_best.csv", ("town_code",)),
        sensitivity=_table(folder / "sensitivity.csv", ("group",)),
    )


def uncertainty_folder(justify_folder: Path, justification: dict[str, Any] | None) -> Path | None:
    """The uncertainty folder ``justification.json`` records, resolved from its own folder.

    None when the justification was made without draws.
    """
    record = (justification or {}).get("uncertainty")
    if not isinstance(record, dict) or not isinstance(record.get("folder"), str):
        return None
    return justify_folder / str(record["folder"])
