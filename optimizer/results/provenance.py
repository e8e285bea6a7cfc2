"""What a result was computed from: the scenario and data files by name and SHA-256."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from optimizer.config.scenario import Scenario
    from optimizer.dataset.load import Dataset

__all__ = ["input_files", "sha256_file"]


def sha256_file(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, in hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def input_files(scenario: Scenario, dataset: Dataset) -> dict[str, dict[str, str]]:
    """Role -> ``{"file": name, "sha256": hash}`` for the scenario file and every data layer."""
    files: dict[str, dict[str, str]] = {}
    if scenario.source is not None and Path(scenario.source).is_file():
        files["scenario"] = {"file": Path(scenario.source).name,
                             "sha256": sha256_file(scenario.source)}
    for role, name in sorted(dataset.files.items()):
        files[role] = {"file": Path(name).name, "sha256": sha256_file(name)}
    return files
