"""The ``medalloc`` command line: one entry point, a subcommand per job, an exit code per error."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from optimizer.errors import DataError, MedallocError

__all__ = ["app", "main"]

app = typer.Typer(
    name="medalloc",
    help="Planning optimizer for county health systems: validate data, map coverage gaps, "
    "locate sites. Exit codes: 0 ok, 2 usage, 3 data, 4 scenario, 5 infeasible, 6 solver.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")



@app.callback()
def _root() -> None:
    """Planning optimizer for county health systems."""


JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def guarded(work: Callable[[], T]) -> T:
    """Run ``work``; turn a medalloc error into its message on stderr and its exit code."""
    try:
        return work()
    except MedallocError as error:
        err.print(f"[bold red]error[/]: {error}", markup=True, highlight=False)
        raise typer.Exit(error.exit_code) from None


def print_json(payload: Any) -> None:
    """Print JSON with Chinese names kept readable."""
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Dataset folders, or files named towns.*, facilities.*, demand.*, "
                       "boundary.*, roads.* (default: data)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Check input data and print a summary; exit 3 listing every problem when there are any."""
    from optimizer.dataset import load_dataset
    from optimizer.summary import summarise

    targets = paths or [Path("data")]
    folders = [p for p in targets if p.is_dir()]
    loose = [p for p in targets if not p.is_dir()]
    groups = [[f] for f in folders] + ([loose] if loose else [])
    summaries, failures = [], []
    for group in groups:
        try:
            summaries.append(summarise(load_dataset(group)))
        except DataError as failure:
            failures.append(failure)
    if as_json:
        print_json({
            "ok": not failures,
            "datasets": summaries,
            "problems": [p.__dict__ for e in failures for p in e.problems],
        })
    else:
        for summary in summaries:
            print_summary(summary)
        for reported in failures:
            err.print(f"[bold red]error[/]: {reported}", markup=True, highlight=False)
    if failures:
        raise typer.Exit(DataError.exit_code)


def print_summary(summary: dict[str, Any]) -> None:
    """Print a dataset summary as a short text and a resource table."""
    kinds = ", ".join(f"{n} {k}" for k, n in summary["units_by_kind"].items())
    tiers = ", ".join(f"{n} {k}" for k, n in summary["facilities_by_tier"].items())
    out.print(f"[bold]{summary['files']['towns']}[/]: OK", highlight=False)
    out.print(f"  units: {summary['units']} ({kinds})", highlight=False)
    out.print(f"  population (base year): {summary['population']:,}", highlight=False)
    out.print(f"  demand points: {summary['demand_points']} "
              f"(population {summary['demand_population']:,.0f})", highlight=False)
    out.print(f"  facilities: {summary['facilities']} ({tiers})", highlight=False)
    table = Table("resource", "total", "per residents", "rate", box=None, pad_edge=False)
    for name, row in summary["resources"].items():
        table.add_row(name, f"{row['total']:,}", f"per {row['per']:,}", f"{row['rate']:.2f}")
    out.print(table)


def main() -> None:
    """Console-script entry point."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()
