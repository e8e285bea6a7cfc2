"""Datasets in the workbench: which exist, loading and validating one, uploads, map layers.

A dataset is a folder the CLI reads (``towns.*``, ``facilities.*``, ``demand.*``, optional
``boundary.*`` and ``roads.*``): the app's data folder, each of its sub-folders holding a towns
layer, and each upload (saved under the workspace's ``uploads/<id>/``). Loading is the CLI's own
(:func:`optimizer.dataset.load.load_dataset`), so the app shows the same problems, each with file,
row, column, value and fix.
"""

from __future__ import annotations

import csv
import io
import json
import secrets
import shutil
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl

from optimizer.app.safety import AppConfig, UnsafePathError, inside, safe_name
from optimizer.dataset.load import Dataset, load_dataset, role_of
from optimizer.dataset.summary import summarise
from optimizer.errors import DataError, Problem

__all__ = [
    "LAYER_ROLES",
    "Checked",
    "DatasetRef",
    "check_dataset",
    "list_datasets",
    "map_layers",
    "offending_rows",
    "resolve_dataset",
    "save_upload",
]

LAYER_ROLES = ("towns", "facilities", "demand", "boundary", "roads")
_SIMPLIFY_DEGREES = 0.0003  # about 30 m: plenty for a county overview map, a tenth the size


@dataclass(frozen=True)
class DatasetRef:
    """A dataset the app may read: its id in URLs, its folder and a label."""

    dataset_id: str
    folder: Path
    label: str


@dataclass
class Checked:
    """A dataset after loading: the data and its summary, or its problems."""

    ref: DatasetRef
    dataset: Dataset | None
    summary: dict[str, Any] | None
    problems: list[Problem]
    notes: list[Problem] = field(default_factory=list)


def _has_towns(folder: Path) -> bool:
    return any(role_of(p) == "towns" for p in folder.iterdir() if p.is_file()) or any(
        p.suffix.lower() == ".xlsx" for p in folder.iterdir() if p.is_file())


def list_datasets(config: AppConfig) -> list[DatasetRef]:
    """The data folder, its sub-folders with a towns layer, then uploads (newest first)."""
    found: list[DatasetRef] = []
    if config.data.is_dir():
        if _has_towns(config.data):
            found.append(DatasetRef("data", config.data, config.data.name))
        for sub in sorted(p for p in config.data.iterdir() if p.is_dir()):
            if not sub.name.startswith(".") and _has_towns(sub):
                found.append(DatasetRef(f"data:{sub.name}", sub, f"{config.data.name}/{sub.name}"))
    uploads = config.workspace / "uploads"
    for sub in sorted(uploads.iterdir(), reverse=True) if uploads.is_dir() else []:
        if sub.is_dir() and not sub.name.startswith("."):
            found.append(DatasetRef(f"upload:{sub.name}", sub, f"upload {sub.name}"))
    return found


def resolve_dataset(config: AppConfig, dataset_id: str) -> DatasetRef:
    """The dataset named ``dataset_id`` (``data``, ``data:<sub>``, ``upload:<id>``).

    Raises
    ------
    UnsafePathError
        For an id that names no dataset or leaves the app's folders.
    """
    kind, _, name = dataset_id.partition(":")
    if kind == "data" and not name:
        return DatasetRef("data", config.data, config.data.name)
    roots = {"data": config.data, "upload": config.workspace / "uploads"}
    if kind not in roots:
        raise UnsafePathError(f"dataset {dataset_id!r} is not known; pick one from the list")
    folder = inside(roots[kind], name)
    if not folder.is_dir():
        raise UnsafePathError(f"dataset {dataset_id!r} is not known; pick one from the list")
    return DatasetRef(dataset_id, folder, name if kind == "data" else f"upload {name}")


def dataset_id_for(config: AppConfig, folder: Path) -> str | None:
    """The id of the dataset in ``folder``, if the app knows it."""
    resolved = folder.resolve()
    for ref in list_datasets(config):
        if ref.folder == resolved:
            return ref.dataset_id
    return None


_CACHE: dict[tuple[str, tuple[tuple[str, float], ...]], Checked] = {}


def check_dataset(ref: DatasetRef) -> Checked:
    """Load and validate a dataset (cached until one of its files changes)."""
    stamp = tuple(sorted((p.name, p.stat().st_mtime) for p in ref.folder.iterdir()
                         if p.is_file()))
    key = (str(ref.folder), stamp)
    if key in _CACHE:
        return _CACHE[key]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the notes are kept on the dataset and shown
        try:
            dataset = load_dataset([ref.folder])
        except DataError as error:
            checked = Checked(ref, None, None, [_relabel(p, ref.folder) for p in error.problems])
        else:
            checked = Checked(ref, dataset, summarise(dataset), [],
                              [_relabel(p, ref.folder) for p in dataset.notes])
    _CACHE[key] = checked
    return checked


def _relabel(problem: Problem, folder: Path) -> Problem:
    """A problem naming its file by name, not by the app's folder on this machine."""
    name = problem.file
    for prefix in (str(folder) + "/", str(folder)):
        name = name.removeprefix(prefix)
    return Problem(name or folder.name, problem.row, problem.column, problem.value,
                   problem.message, problem.fix)


def offending_rows(folder: Path, problems: list[Problem], limit: int = 50
                   ) -> dict[str, dict[str, Any]]:
    """The CSV rows that problems name, for a table with the offending cells highlighted.

    Returns, per CSV file, its header, the rows (line number and cells) and the set of
    ``(line, column)`` cells a problem names.
    """
    wanted: dict[str, set[int]] = {}
    cells: dict[str, set[tuple[int, str]]] = {}
    for problem in problems:
        number = problem.row.removeprefix("line ")
        if problem.file.lower().endswith(".csv") and number.isdigit():
            wanted.setdefault(problem.file, set()).add(int(number))
            cells.setdefault(problem.file, set()).add((int(number), problem.column))
    shown: dict[str, dict[str, Any]] = {}
    for name, lines in wanted.items():
        try:
            path = inside(folder, name)
            with path.open(encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.reader(handle))
        except (UnsafePathError, OSError, UnicodeDecodeError, csv.Error):
            continue
        if not rows:
            continue
        picked = [(n, rows[n - 1]) for n in sorted(lines)[:limit] if 1 < n <= len(rows)]
        shown[name] = {"header": rows[0], "rows": picked, "cells": cells[name]}
    return shown


def save_upload(config: AppConfig, files: dict[str, tuple[str, bytes]],
                base: DatasetRef | None) -> DatasetRef:
    """Save uploaded registry files as a new dataset under ``uploads/<id>/``.

    Parameters
    ----------
    files : dict
        Layer role (``towns``, ``facilities``, ...; ``workbook`` for an .xlsx with a sheet per
        layer) -> (the name the user gave, the bytes).
    base : DatasetRef, optional
        Layers not uploaded are copied from this dataset, so a new facility registry can be
        checked against the shipped towns and villages.

    Raises
    ------
    UnsafePathError
        For an unknown role, a name that cannot be made safe or a suffix not accepted, or when
        the upload is larger than the limit. Nothing is saved then.
    """
    total = sum(len(data) for _, data in files.values())
    if total > config.max_upload_bytes:
        raise UnsafePathError(f"the upload is {total / 1e6:.1f} MB; the limit is "
                         f"{config.max_upload_bytes / 1e6:.0f} MB: split the registry or start "
                         "the app with a larger --max-upload-mb")
    names: dict[str, tuple[str, bytes]] = {}
    for role, (given, data) in files.items():
        if role not in (*LAYER_ROLES, "workbook"):
            raise UnsafePathError(f"unknown layer {role!r}; use one of {', '.join(LAYER_ROLES)}")
        clean = safe_name(given)
        suffix = Path(clean).suffix
        target = Path(clean).stem if role == "workbook" else role
        if role == "workbook" and suffix != ".xlsx":
            raise UnsafePathError(f"file {given!r}: a workbook must be an .xlsx file")
        if suffix == ".txt":
            suffix = ".csv"
        names[role] = (f"{target}{suffix}", data)
    upload_id = f"{time.strftime('%Y%m%d-%H%M%S')}-{secrets.token_hex(3)}"
    folder = inside(config.workspace / "uploads", upload_id)
    folder.mkdir()
    for name, data in names.values():
        (folder / name).write_bytes(data)
    uploaded_roles = set(files) | _sheet_roles(files.get("workbook"))
    if base is not None:
        for source in sorted(base.folder.iterdir()):
            found = role_of(source) if source.is_file() else None
            if found is not None and found not in uploaded_roles:
                shutil.copy2(source, folder / source.name)
    (folder / ".upload.json").write_text(json.dumps(
        {"files": {role: given for role, (given, _) in files.items()},
         "base": base.dataset_id if base else None}, ensure_ascii=False), encoding="utf-8")
    return DatasetRef(f"upload:{upload_id}", folder, f"upload {upload_id}")


def _sheet_roles(workbook: tuple[str, bytes] | None) -> set[str]:
    """The layers a workbook's sheets hold (none when it cannot be opened: the loader says why)."""
    if workbook is None:
        return set()
    try:
        book = openpyxl.load_workbook(io.BytesIO(workbook[1]), read_only=True)
    except Exception:  # any unreadable workbook: the loader names the problem
        return set()
    try:
        return {name.strip().lower() for name in book.sheetnames} & set(LAYER_ROLES)
    finally:
        book.close()


def map_layers(dataset: Dataset) -> dict[str, Any]:
    """Towns, villages and facilities as GeoJSON (WGS84) for the data page's map."""
    towns = dataset.towns.to_crs(4326)
    keep = [c for c in ("code", "name_zh", "name_en", "kind", "pop_2020") if c in towns.columns]
    towns = towns[[*keep, "geometry"]].copy()
    towns["geometry"] = towns.geometry.simplify(_SIMPLIFY_DEGREES)
    demand = dataset.demand.to_crs(4326)
    demand = demand[[c for c in ("demand_id", "name_zh", "population", "geometry")
                     if c in demand.columns]]
    facilities = dataset.facilities.to_crs(4326)
    columns = ["facility_id", "name_zh", "name_en", "tier", *dataset.resources, "geometry"]
    facilities = facilities[[c for c in dict.fromkeys(columns) if c in facilities.columns]]
    return {name: json.loads(frame.to_json(drop_id=True)) for name, frame in
            (("towns", towns), ("demand", demand), ("facilities", facilities))}
