"""``justify``: defend a sub-centre choice and write the argument into one output folder.

Loads the scenario and its data, computes the justification (:mod:`~optimizer.justify.analysis`),
generates the conclusion from the computed facts (:mod:`~optimizer.justify.conclusion`) and
writes ``justification.md``, ``justification.json``, ``ranking.csv``, ``marginal.csv``,
``robustness.csv``, ``pairings.csv`` and ``justification_map.png``
(:mod:`~optimizer.justify.report`) into a folder built aside and swapped in whole
(:mod:`optimizer.results.atomic`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimizer.config.scenario import Scenario, load_scenario
from optimizer.dataset.load import Dataset, load_dataset
from optimizer.errors import UsageError
from optimizer.justify.analysis import Analysis, analyse
from optimizer.justify.conclusion import Sentence, conclusion
from optimizer.justify.report import TABLES, write_outputs
from optimizer.report.justify_plot import draw_map
from optimizer.results.atomic import replace_folder
from optimizer.results.provenance import input_files

__all__ = ["JustifySummary", "justify"]

Progress = Callable[[str], None]


@dataclass(frozen=True)
class JustifySummary:
    """What a justification found and wrote, for the CLI and for callers.

    Attributes
    ----------
    scenario : str
        Scenario name.
    sites : tuple of str
        The chosen towns (Chinese names), in the order given.
    site_codes : tuple of str
        Their town codes.
    optimum : tuple of str
        The best set by the headline criterion (the scenario objective when the scenario has a
        model, else coverage), Chinese town names.
    headline : str
        That criterion's name.
    chosen_value, best_value, regret, regret_pct : float or None
        The headline criterion for the chosen set and the optimum, and the regret.
    rank : int or None
        The chosen set's rank by the headline criterion (None when not established).
    admissible_sets : int
        Sets of the admissible sizes in the pool.
    exhaustive : bool
        Whether the location measures ranked every admissible set.
    conclusion_en, conclusion_zh : tuple of str
        The conclusion's sentences.
    out_dir : pathlib.Path
        The folder written.
    files : tuple of str
        File names written there.
    runtime_s : float
        Wall time.
    data : dict
        The full ``justification.json`` content.
    """

    scenario: str
    sites: tuple[str, ...]
    site_codes: tuple[str, ...]
    optimum: tuple[str, ...]
    headline: str
    chosen_value: float | None
    best_value: float | None
    regret: float | None
    regret_pct: float | None
    rank: int | None
    admissible_sets: int
    exhaustive: bool
    conclusion_en: tuple[str, ...]
    conclusion_zh: tuple[str, ...]
    out_dir: Path
    files: tuple[str, ...]
    runtime_s: float
    data: Mapping[str, Any] = field(default_factory=dict)

    def to_text(self) -> str:
        """A terminal summary: the headline comparison, the conclusion and the files."""
        lines = [f"{self.scenario}: justifying {'、'.join(self.sites)} against "
                 f"{self.admissible_sets} admissible sets"]
        if self.chosen_value is not None and self.best_value is not None:
            rank = f"rank {self.rank}" if self.rank is not None else "rank not established"
            lines.append(f"  {self.headline}: chosen {self.chosen_value:,.2f}, best "
                         f"{self.best_value:,.2f} ({'、'.join(self.optimum)}), regret "
                         f"{self.regret or 0.0:,.2f} ({self.regret_pct or 0.0:.2f} %), {rank}")
        lines += ["", *self.conclusion_en, "", *self.conclusion_zh, "",
                  f"wrote {self.out_dir}: {', '.join(self.files)} ({self.runtime_s:.1f} s)"]
        return "\n".join(lines)


def _draw_facts(folder: Path) -> dict[str, Any]:
    """``uncertainty.json`` of an uncertainty folder.

    Raises
    ------
    UsageError
        The folder holds no readable ``uncertainty.json``.
    """
    path = folder / "uncertainty.json"
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise UsageError(f"{path}: cannot read the uncertainty draws ({err}); run `medalloc "
                         "uncertainty` into that folder first") from None
    if not isinstance(facts, dict) or "conclusion" not in facts:
        raise UsageError(f"{path}: not an uncertainty summary (no conclusion); run `medalloc "
                         "uncertainty` into that folder again")
    return facts


def _analyse_and_write(scenario: Scenario, sites: Sequence[str] | str | None, folder: Path,
                       say: Progress, *, make_map: bool,
                       uncertainty: tuple[Path, str] | None = None
                       ) -> tuple[Analysis, list[Sentence], Dataset]:
    """Compute the justification and write its files into ``folder``.

    With ``uncertainty`` (an uncertainty folder and its path relative to the justification's
    final folder), the single-number verdict gives way to the draws' probabilities and
    ``justification.json`` records the folder for the report.
    """
    say(f"loading data from {scenario.data.folder.name}")
    dataset = load_dataset([scenario.data.folder])
    analysis = analyse(scenario, dataset, sites, progress=say)
    sentences: list[Sentence] = conclusion(analysis.facts, analysis.marginal, analysis.pairings)
    if uncertainty is not None:
        draws, relative = _draw_facts(uncertainty[0]), uncertainty[1]
        chosen = sorted(analysis.pool.town_codes[p] for p in analysis.pool.chosen)
        if sorted(draws.get("chosen_codes", [])) != chosen:
            raise UsageError(f"{uncertainty[0]}: the draws judge {draws.get('chosen')}, not "
                             f"the set justified here; rerun the draws with the same sites")
        analysis.facts["uncertainty"] = {"folder": relative, **draws}
        sentences = [*sentences[:-1], *draws["conclusion"]]
    inputs = input_files(scenario, dataset)
    crs = scenario.travel.crs

    def draw(path: Path) -> None:
        draw_map(path, dataset, analysis.data, analysis.pool, analysis.optimum, crs=crs)

    write_outputs(folder, analysis, sentences, {"inputs": inputs}, draw if make_map else None)
    return analysis, sentences, dataset


def justify(
    scenario: Scenario | Path | str,
    sites: Sequence[str] | str | None,
    out_dir: Path | str,
    *,
    progress: Progress | None = None,
    make_map: bool = True,
    finish: Callable[[Path, Dataset], None] | None = None,
    uncertainty: Path | str | None = None,
) -> JustifySummary:
    """Justify a sub-centre choice against every alternative and write the argument.

    Parameters
    ----------
    scenario : Scenario or path
        A loaded scenario, or the path of its TOML file.
    sites : sequence of str, str or None
        The towns to justify: codes, Chinese or pinyin names (a comma-separated string is
        split); None takes ``[justify] sites``, else the scenario's fixed sub-centres.
    out_dir : path
        Output folder; created, or replaced whole after success.
    progress : callable, optional
        Called with one line of text at each step.
    make_map : bool
        Draw ``justification_map.png``.
    finish : callable, optional
        Called with the folder being built, after the files are in it and before the swap (the
        CLI adds the report and maps there).
    uncertainty : path, optional
        A folder of uncertainty draws of the same sites (``justify --draws``, written by
        :func:`optimizer.uncertainty.job.run_uncertainty`): the conclusion states their
        probabilities instead of a single verdict, and ``justification.json`` records the
        folder (relative to ``out_dir``) so the report can show its tables.

    Returns
    -------
    JustifySummary

    Raises
    ------
    ScenarioError
        An unknown town (the closest names listed), a malformed scenario, no sites, or more or
        fewer sites than ``[sub_centres]`` allows.
    UsageError
        ``out_dir`` is not medalloc's, holds the inputs, is in use or cannot be written; the
        ``uncertainty`` folder has no readable summary or judges another set.
    DataError
        The data files are missing or invalid.
    SolverError
        A model solve failed.
    """
    say = progress or (lambda _message: None)
    t0 = time.perf_counter()
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    out = Path(out_dir)
    draws = None
    if uncertainty is not None:
        draws = (Path(uncertainty), os.path.relpath(Path(uncertainty).resolve(), out.resolve()))
    with replace_folder(out, "justify", inputs=scenario.input_paths) as tmp:
        analysis, sentences, dataset = _analyse_and_write(scenario, sites, tmp, say,
                                                          make_map=make_map,
                                                          uncertainty=draws)
        say(f"writing {out}")
        if finish is not None:
            finish(tmp, dataset)
    facts = analysis.facts
    head = facts.get("objective") or facts["measures"]["covered"]
    headline = facts["objective"]["criterion"] if facts.get("objective") else "covered"
    files: tuple[str, ...] = ("justification.md", "justification.json", *TABLES)
    if make_map:
        files = (*files, "justification_map.png")
    optimum = tuple(analysis.pool.names_zh[p] for p in analysis.optimum)
    return JustifySummary(
        scenario=scenario.name,
        sites=tuple(analysis.pool.names_zh[p] for p in analysis.pool.chosen),
        site_codes=tuple(analysis.pool.town_codes[p] for p in analysis.pool.chosen),
        optimum=optimum, headline=headline, chosen_value=head["chosen_value"],
        best_value=head["best_value"], regret=head["regret"], regret_pct=head["regret_pct"],
        rank=head["rank"], admissible_sets=facts["admissible_sets"],
        exhaustive=facts["exhaustive"],
        conclusion_en=tuple(s["en"] for s in sentences),
        conclusion_zh=tuple(s["zh"] for s in sentences),
        out_dir=out, files=files, runtime_s=time.perf_counter() - t0,
        data={**facts, "conclusion": sentences},
    )
