"""The workbench's safety rules: which folders it may touch, safe upload names, size limits.

The app reads only inside its data and scenarios folders and reads and writes only inside its
workspace. Every path that comes from a request (a run id, a file name, a dataset or scenario
name) is resolved here and refused when it would leave its folder, so no request can reach a
file elsewhere on the machine.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from optimizer.errors import UsageError

__all__ = [
    "ALLOWED_UPLOADS",
    "MAX_UPLOAD_BYTES",
    "AppConfig",
    "UnsafePathError",
    "inside",
    "safe_name",
]

# Registry files a planner keeps in Excel or QGIS; anything else is refused, never opened.
ALLOWED_UPLOADS = (".csv", ".txt", ".xlsx", ".geojson", ".json", ".gpkg")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a county's registry is a few MB; 50 MB leaves room

_UNSAFE = re.compile(r"[^\w.\-]+")


class UnsafePathError(UsageError):
    """A name or path from a request that would leave its folder, or is not allowed."""


@dataclass(frozen=True)
class AppConfig:
    """The folders the workbench may use.

    Attributes
    ----------
    data : pathlib.Path
        Dataset folder (read only); its sub-folders holding a towns layer are datasets too.
    scenarios : pathlib.Path
        Shipped scenario files (read only).
    workspace : pathlib.Path
        The app's own folder: uploads, saved scenarios, one folder per run.
    max_upload_bytes : int
        Largest upload accepted, all files of one upload together.
    """

    data: Path
    scenarios: Path
    workspace: Path
    max_upload_bytes: int = MAX_UPLOAD_BYTES

    @classmethod
    def create(cls, data: Path, scenarios: Path, workspace: Path,
               max_upload_bytes: int = MAX_UPLOAD_BYTES) -> AppConfig:
        """Resolve the folders and make the workspace's sub-folders."""
        config = cls(data.resolve(), scenarios.resolve(), workspace.resolve(), max_upload_bytes)
        for name, folder in (("--data", config.data), ("--scenarios", config.scenarios)):
            ws = config.workspace
            if ws == folder or ws.is_relative_to(folder) or folder.is_relative_to(ws):
                raise UnsafePathError(
                    f"--workspace {workspace} overlaps {name} {folder.name}; the app writes "
                    "only into its workspace, so give it a folder of its own (default out/app)")
        for sub in ("uploads", "runs", "scenarios"):
            (config.workspace / sub).mkdir(parents=True, exist_ok=True)
        return config

    @property
    def roots(self) -> tuple[Path, ...]:
        """Every folder the app may read."""
        return (self.data, self.scenarios, self.workspace)

    def readable(self, path: Path) -> bool:
        """Whether ``path`` (resolved) lies inside one of the app's folders."""
        resolved = path.resolve()
        return any(resolved == root or resolved.is_relative_to(root) for root in self.roots)


def safe_name(name: str, *, suffixes: tuple[str, ...] = ALLOWED_UPLOADS) -> str:
    """A file name from a request made safe: no folders, no odd characters, a known suffix.

    Chinese letters are kept (``设施.csv`` stays readable); separators, ``..``, control
    characters and spaces are replaced, and the suffix is lower-cased.

    Raises
    ------
    UnsafePathError
        When nothing usable is left or the suffix is not one of ``suffixes``.
    """
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = suffix, ""
    stem = _UNSAFE.sub("_", stem).strip("._")[:80]
    suffix = f".{suffix.lower()}" if suffix else ""
    if not stem:
        raise UnsafePathError(f"file name {name!r} has no usable letters; rename the file")
    if suffix not in suffixes:
        raise UnsafePathError(f"file {name!r}: only {', '.join(suffixes)} files are accepted; "
                         "export the registry to one of them")
    return f"{stem}{suffix}"


def inside(root: Path, relative: str) -> Path:
    """``root / relative``, refused when it would resolve outside ``root``.

    Raises
    ------
    UnsafePathError
        For an absolute path, a ``..`` step or a link leading out of ``root``.
    """
    if not relative or relative.startswith(("/", "\\")) or ":" in relative:
        raise UnsafePathError(f"path {relative!r} is not a name inside the app's folders")
    target = (root / relative).resolve()
    base = root.resolve()
    if target != base and not target.is_relative_to(base):
        raise UnsafePathError(f"path {relative!r} leads outside the app's folders")
    return target
