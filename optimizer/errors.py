"""The package's exceptions and warnings, each error class mapped to a CLI exit code."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EXIT_DATA",
    "EXIT_INFEASIBLE",
    "EXIT_OK",
    "EXIT_SCENARIO",
    "EXIT_SOLVER",
    "EXIT_USAGE",
    "DataError",
    "InfeasibleError",
    "MedallocError",
    "MedallocWarning",
    "Problem",
    "ScenarioError",
    "SolverError",
    "UsageError",
]

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_DATA = 3
EXIT_SCENARIO = 4
EXIT_INFEASIBLE = 5
EXIT_SOLVER = 6


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        The file, as the user named it.
    row : str
        Where in the file: ``"line 7"`` for a CSV (the header is line 1, as a spreadsheet
        shows it), ``"feature 3"`` for a vector layer, ``""`` for the file as a whole.
    column : str
        The column or property, ``""`` when the problem is not about one column.
    value : str
        The value received, as text.
    message : str
        What is wrong.
    fix : str
        What to do about it.
    """

    file: str
    row: str
    column: str
    value: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = ", ".join(part for part in (self.file, self.row) if part)
        if self.column:
            where += f", column '{self.column}'"
        value = f" (got {self.value!r})" if self.value != "" else ""
        return f"{where}: {self.message}{value}. Fix: {self.fix}"


class MedallocError(Exception):
    """Base class of every error medalloc raises on purpose."""

    exit_code: int = 1


class DataError(MedallocError, ValueError):
    """An input data file is missing, unreadable or invalid.

    Carries every problem found, so the user can fix them all in one pass.
    """

    exit_code = EXIT_DATA

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            self.problems: list[Problem] = []
            super().__init__(problems)
            return
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"{count} problem{'s' if count != 1 else ''} in the input data:"]
        lines += [f"  - {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


class ScenarioError(MedallocError, ValueError):
    """A scenario file is missing, malformed or inconsistent."""

    exit_code = EXIT_SCENARIO


class InfeasibleError(MedallocError):
    """The policy constraints cannot all hold at once; the message names the conflict."""

    exit_code = EXIT_INFEASIBLE


class SolverError(MedallocError, RuntimeError):
    """The solver failed, or stopped at a limit without a usable solution."""

    exit_code = EXIT_SOLVER


class UsageError(MedallocError, ValueError):
    """A command cannot do what it was asked as given.

    A bad option value, or an output folder that is not the tool's, holds the inputs, is in
    use or cannot be written.
    """

    exit_code = EXIT_USAGE


class MedallocWarning(UserWarning):
    """A recoverable oddity in the input or the run (for example an estimated value in use)."""
