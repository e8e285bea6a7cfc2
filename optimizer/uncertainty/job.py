"""``uncertainty``: run seeded draws on Dask, resumably, and write what they say.

Load -> bind (scenario, data, sites, the draw base) -> compute (the draws not yet stored, on a
cluster) -> write. Output folder (default ``out/<scenario>/uncertainty``)::

    draws/draw_<i>.json   one record per draw (inputs, ranking, gaps); a rerun skips these
    draws.csv             one row per draw: inputs, the chosen set's value, rank and regret
    probabilities.csv     P(best), P(within x %), P(top k) with standard errors; rank and
                          regret intervals, per measure
    ranks.csv, best_sets.csv, towns_in_best.csv
    town_gaps.csv         residents outside each threshold per town: nominal, 5/50/95 %
    village_gaps.csv      per village: share of draws outside, minutes 5/50/95 %
    sensitivity.csv       per input group: variance share of the regret, P(within) alone
    uncertainty.json, uncertainty.md, village_outside_map.png

Every table is written atomically and is byte-identical for the same seed and draws.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optimizer.config.scenario import Scenario, load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.results.atomic import claim_folder
from optimizer.results.files import csv_bytes
from optimizer.results.provenance import sha256_file
from optimizer.results.records import write_atomically
from optimizer.uncertainty.base import prepare_base
from optimizer.uncertainty.cluster import DrawTask, batches, run_batches
from optimizer.uncertainty.conclusion import sentences
from optimizer.uncertainty.draw import evaluate, groups, nominal_inputs
from optimizer.uncertainty.store import read_draws, store_draw
from optimizer.uncertainty.summary import summarise

__all__ = ["VERSION", "UncertaintySummary", "run_uncertainty"]

VERSION = "uncertainty-1"  # bump when a draw's meaning changes: old draw files are recomputed
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UncertaintySummary:
    """What a run computed and wrote.

    Attributes
    ----------
    out_dir : pathlib.Path
        The folder written.
    draws, computed, reused : int
        Draws in all, computed by this run, found from an earlier run.
    missing : tuple of int
        Draws whose worker was lost (a rerun computes them).
    workers : int
        Dask workers used (0: none needed, or run in this process).
    wall_s : float
        Wall time.
    facts : dict
        The ``uncertainty.json`` content (probabilities, sensitivity, conclusion).
    files : tuple of str
        Files written.
    startup_s, compute_s : float
        Of ``wall_s``: starting the cluster and scattering the base; computing the draws
        (first submission to last result stored).
    worker_cpu_s, client_cpu_s : float
        CPU seconds the workers used in ``compute_s`` (summed; this process's when
        in-process), and this process's own (scheduler, storing the records) meanwhile.
    """

    out_dir: Path
    draws: int
    computed: int
    reused: int
    missing: tuple[int, ...]
    workers: int
    wall_s: float
    facts: dict[str, Any] = field(default_factory=dict)
    files: tuple[str, ...] = ()
    startup_s: float = 0.0
    compute_s: float = 0.0
    worker_cpu_s: float = 0.0
    client_cpu_s: float = 0.0

    def to_text(self) -> str:
        """A terminal summary: what ran, the conclusion, the files."""
        lines = [f"{self.draws} draws: {self.computed} computed now on {self.workers} "
                 f"worker(s), {self.reused} from an earlier run, {len(self.missing)} missing "
                 f"({self.wall_s:.1f} s; cluster start {self.startup_s:.1f} s, draws "
                 f"{self.compute_s:.1f} s)", ""]
        lines += [s["en"] for s in self.facts.get("conclusion", [])]
        lines += [""] + [s["zh"] for s in self.facts.get("conclusion", [])]
        lines += ["", f"wrote {self.out_dir}: {', '.join(self.files)}"]
        return "\n".join(lines)


def fingerprint(scenario: Scenario, files: dict[str, str], sites: tuple[str, ...] | None,
                seed: int, sensitivity: int, model: bool) -> str:
    """Hash of what a draw depends on: scenario file, data files, sites, seed, options."""
    source = Path(scenario.source) if scenario.source else None
    payload = {
        "version": VERSION,
        "scenario": (sha256_file(source) if source and source.is_file()
                     else scenario.model_dump_json()),
        "data": {role: sha256_file(Path(name)) for role, name in sorted(files.items())},
        "sites": list(sites or ()), "seed": seed, "sensitivity": sensitivity, "model": model,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def run_uncertainty(
    scenario_path: Path | str,
    out_dir: Path | str,
    *,
    sites: str | list[str] | None = None,
    draws: int | None = None,
    seed: int | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    model: bool = False,
    make_map: bool = True,
    progress: Progress | None = None,
) -> UncertaintySummary:
    """Run the draws of a scenario's ``[uncertainty]`` section and write the results.

    Parameters
    ----------
    scenario_path : path
        The scenario file (workers load it themselves).
    out_dir : path
        Output folder (module docstring); draws already stored there with the same
        fingerprint are not computed again.
    sites : str or list of str, optional
        The set judged (default ``[uncertainty] sites``, ``[justify] sites``, the fixed
        sub-centres).
    draws, seed : int, optional
        Default ``[uncertainty] draws`` and ``seed``.
    scheduler : str, optional
        A running Dask scheduler's address; default a local cluster.
    workers : int, optional
        Local cluster size (default the CPU count); 0 runs in this process without Dask.
    model : bool
        Also re-optimise the allocation model per draw (slow: minutes per draw).
    make_map : bool
        Draw ``village_outside_map.png``.
    progress : callable, optional
        Called with (draws done, draws in all).

    Raises
    ------
    ScenarioError
        A malformed section, unknown sites, network draws without roads.
    UsageError
        The output folder is refused, in use or cannot be written.
    SolverError
        The scheduler cannot be reached.
    """
    t0 = time.perf_counter()
    say = progress or (lambda _done, _total: None)
    scenario = load_scenario(scenario_path)
    dataset = load_dataset([scenario.data.folder])
    names = tuple(s.strip() for s in sites.replace("，", ",").split(",") if s.strip()) if \
        isinstance(sites, str) else (tuple(sites) if sites else None)
    base = prepare_base(scenario, dataset, list(names) if names else None)
    section = scenario.uncertainty
    n = int(draws if draws is not None else section.draws)
    root = int(seed if seed is not None else section.seed)
    sensitivity = min(section.sensitivity_draws, n)
    stamp = fingerprint(scenario, dict(dataset.files), names, root, sensitivity, model)
    within = (section.within_percent if section.within_percent is not None
              else scenario.justify.within_percent)
    with claim_folder(Path(out_dir), "uncertainty", inputs=scenario.input_paths) as out:
        folder = out / "draws"
        folder.mkdir(exist_ok=True)
        earlier = read_draws(folder, range(n), stamp)
        pending = [i for i in range(n) if i not in earlier]
        # a draw with the attribution ranks once more per input group; with --model the
        # two solves per draw dwarf both
        heavy = 1.0 + (0.0 if model else len(groups(base)))
        cut = batches(pending, workers if workers else 2,
                      cost=lambda draw: heavy if draw < sensitivity else 1.0)
        tasks = [DrawTask(str(Path(scenario_path).resolve()), names, root, batch, sensitivity,
                          stamp, model) for batch in cut]
        done, missing = len(earlier), list[int]()

        def store(task: DrawTask, records: list[tuple[int, bytes]] | None) -> None:
            nonlocal done
            if records is None:
                missing.extend(task.draws)
                return
            for draw, data in records:
                store_draw(folder, draw, data)
            done += len(records)
            say(done, n)

        say(done, n)
        ran = run_batches(tasks, store, base, scheduler=scheduler, workers=workers)
        records = list(read_draws(folder, range(n), stamp).values())
        nominal = evaluate(base, nominal_inputs(base))
        tables, facts = summarise(base, records, nominal, within=within,
                                  top_k=section.top_k)
        facts.update({"scenario": scenario.name, "seed": root, "draws_asked": n,
                      "missing": sorted(missing), "sensitivity_draws": sensitivity,
                      "errors": base.errors, "model": model})
        facts["conclusion"] = sentences(facts)
        files = list(tables)
        for name, frame in tables.items():
            write_atomically(out / name, csv_bytes(frame))
        text = json.dumps(facts, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
        write_atomically(out / "uncertainty.json", text.encode("utf-8"))
        write_atomically(out / "uncertainty.md", _markdown(facts).encode("utf-8"))
        files += ["uncertainty.json", "uncertainty.md"]
        if make_map and "share_outside_primary" in tables["village_gaps.csv"]:
            from optimizer.report.uncertainty_map import draw_outside_map  # noqa: PLC0415 - matplotlib

            tmp = out / ".village_outside_map.tmp.png"
            draw_outside_map(tmp, dataset, tables["village_gaps.csv"], crs=base.settings.crs,
                             minutes=base.primary_minutes)
            tmp.replace(out / "village_outside_map.png")
            files.append("village_outside_map.png")
    return UncertaintySummary(Path(out_dir), n, len(pending) - len(missing), len(earlier),
                              tuple(sorted(missing)), ran.workers, time.perf_counter() - t0,
                              facts, tuple(files), ran.startup_s, ran.compute_s,
                              ran.worker_cpu_s, ran.client_cpu_s)


def _markdown(facts: dict[str, Any]) -> str:
    lines = [f"# How sure: {facts['chosen']} ({facts['scenario']})", "",
             *(s["en"] for s in facts["conclusion"]), "", "## 结论", "",
             *(s["zh"] for s in facts["conclusion"]), ""]
    return "\n".join(lines)
