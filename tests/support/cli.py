"""CLI helpers shared by tests: the repository root, in-process invoke, clean-exit checks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner, Result

from optimizer.cli import app

ROOT = Path(__file__).resolve().parents[2]


def invoke(*args: str | Path) -> Result:
    """Run the CLI in-process with ``args`` (paths as text)."""
    return CliRunner().invoke(app, [str(a) for a in args])


def assert_clean(result: Result, code: int, *needles: str) -> None:
    """The exit code, every needle in the output, and no traceback."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in result.output, (needle, result.output)


def edit_csv(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV (``line`` counted as a spreadsheet shows it: header is line 1)."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[line - 2, column] = value
    frame.to_csv(path, index=False)
