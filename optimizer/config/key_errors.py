"""Turn a pydantic validation error into a sentence naming the file, the key and the fix."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["describe_key_error", "did_you_mean"]


def did_you_mean(key: str, allowed: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the allowed key closest to ``key``, or ``""`` if none is."""
    guess = difflib.get_close_matches(key, list(allowed), n=1)
    return f" (did you mean '{guess[0]}'?)" if guess else ""


def describe_key_error(
    error: dict[str, Any], path: Path, key: str, allowed: list[str], *, at_root: bool = False
) -> str:
    """One line for one pydantic error, as a planner reads it.

    Parameters
    ----------
    error : dict
        One entry of ``ValidationError.errors()``.
    path : pathlib.Path
        The file the table came from.
    key : str
        The dotted key the error is about, as written in the file.
    allowed : list of str
        The keys allowed where an unknown key was found (used for ``extra_forbidden``).
    at_root : bool
        The error concerns the whole table (a cross-section check), not one key.
    """
    if error["type"] == "extra_forbidden":
        last = key.rsplit(".", 1)[-1].strip('"')
        hint = did_you_mean(last, allowed)
        return f"{path}: unknown key '{key}'{hint}; allowed here: {', '.join(allowed)}"
    if error["type"] == "missing":
        return f"{path}: missing key '{key}'"
    message = str(error["msg"]).removeprefix("Value error, ")
    if at_root:
        return f"{path}: {message}"
    return f"{path}: key '{key}': {message} (got {error.get('input')!r})"
