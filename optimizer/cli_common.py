"""Shared by the CLI's command modules: the consoles, the --json option, the guarded runner."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from optimizer.cli_errors import classify, debug_mode

__all__ = ["JsonOption", "console", "err", "guarded", "print_json"]

console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON; an "
                                          "error is a JSON object {\"error\": ...} too.")]

def guarded(work: Callable[[], T], *, as_json: bool = False) -> T:
    """Run ``work``; turn any failure into one message (and JSON object) and its exit code.

    medalloc's errors keep their class and exit code; an unexpected file-system error, an
    interrupt or a bug are reported in one sentence too (:mod:`optimizer.cli_errors`). No
    traceback is printed unless ``MEDALLOC_DEBUG`` is set.
    """
    try:
        return work()
    except (typer.Exit, typer.Abort, SystemExit):
        raise
    except BaseException as error:
        failure = classify(error)
        if failure.error_class == "InternalError" and debug_mode():
            raise
        err.print(f"[bold red]error[/]: {escape(failure.message)}", highlight=False)
        if as_json:
            print_json(failure.to_json())
        raise typer.Exit(failure.exit_code) from None


def print_json(payload: Any) -> None:
    """Print JSON with Chinese names kept readable."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
