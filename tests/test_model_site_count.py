"""How many sub-centres when the plan allows a range: a site beyond the minimum must add
``[sub_centres] min_gain`` to the first objective (optimizer.model.site_count).

The oracle: every admissible set of the six-town county valued by the model with that set
forced (``evaluate_sets``), the best value of each size taken by hand, and the count the rule
gives worked out from them.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from support.justify_county import write_county

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.jobs.run import run_scenario
from optimizer.model.build import build_model
from optimizer.model.choice import evaluate_sets
from optimizer.model.inputs import prepare_inputs


def scenario(tmp_path: Path, min_gain: float | None) -> Path:
    path = write_county(tmp_path, low=1, high=3)
    if min_gain is not None:
        text = path.read_text(encoding="utf-8").replace(
            "from_year = 2025", f"from_year = 2025\nmin_gain = {min_gain}")
        path.write_text(text, encoding="utf-8")
    return path


def best_by_size(path: Path) -> dict[int, float]:
    spec = load_scenario(path)
    inputs = prepare_inputs(load_dataset([spec.data.folder]), spec)
    model = build_model(inputs)
    sites = list(inputs.sub_candidates)
    sets = [c for n in (1, 2, 3) for c in itertools.combinations(sites, n)]
    best: dict[int, float] = {}
    for found in evaluate_sets(model, sets):
        assert found.value is not None
        n = len(found.facility_ids)
        best[n] = max(best.get(n, float("-inf")), found.value)
    return best


def rule(best: dict[int, float], min_gain: float) -> int:
    chosen = 1
    for n in (2, 3):
        if best[n] - best[n - 1] < min_gain:
            break
        chosen = n
    return chosen


def run(tmp_path: Path, min_gain: float | None) -> dict[str, object]:
    run_scenario(scenario(tmp_path, min_gain), tmp_path / "out", timings=False)
    data: dict[str, object] = json.loads(
        (tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    return data


def test_the_count_follows_the_stated_gain(tmp_path: Path) -> None:
    best = best_by_size(scenario(tmp_path / "oracle", None))
    gains = sorted({best[2] - best[1], best[3] - best[2]})
    assert gains[0] > 0
    for k, min_gain in enumerate((0.0, gains[0] + 0.5, gains[-1] + 0.5)):
        summary = run(tmp_path / f"case{k}", min_gain)
        count = summary["sub_centre_count"]
        assert isinstance(count, dict)
        assert count["chosen"] == rule(best, min_gain), (min_gain, best)
        assert {int(n): v for n, v in count["best_by_count"].items()} == pytest.approx(best)
        assert len(summary["sub_centres"]) == count["chosen"]  # type: ignore[arg-type]
        assert f"{min_gain:,.0f}" in count["reason"]


def test_without_min_gain_the_objective_decides_the_count(tmp_path: Path) -> None:
    summary = run(tmp_path, None)
    assert "sub_centre_count" not in summary
    assert len(summary["sub_centres"]) == 3  # type: ignore[arg-type]  # coverage wants most
