"""The model against brute force on a small county: every pair of sub-centres is tried by hand.

The oracle computes travel times itself (projected distance x 1.3 / 40 km/h rural) and checks
feasibility by bed arithmetic (each upgrade needs 100 beds, no cuts, the district cap), written
independently of the package's model."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.county import write_county
from support.oracles import brute_force

from optimizer.config.scenario import load_scenario
from optimizer.dataset.load import load_dataset
from optimizer.errors import InfeasibleError
from optimizer.jobs.run import run_scenario
from optimizer.model.build import build_model
from optimizer.model.inputs import prepare_inputs
from optimizer.model.stages import optimise


def model_optimum(path: Path) -> tuple[float, tuple[str, ...]]:
    scenario = load_scenario(path)
    inputs = prepare_inputs(load_dataset([scenario.data.folder]), scenario)
    model = build_model(inputs)
    run = optimise(model, scenario.solver, order=["coverage:referral"])
    assert run.status == "optimal"
    chosen = tuple(sorted(f for f, v in model.open_sub.items() if run.values[v.name] > 0.5))
    return run.stages[0].result.objective, chosen


@pytest.mark.parametrize(("cap", "limit"), [(8.5, 12.0), (9.5, 12.0), (8.5, 20.0), (7.8, 9.0)])
def test_matches_brute_force(tmp_path: Path, cap: float, limit: float) -> None:
    best, argbest = brute_force(cap, limit)
    value, chosen = model_optimum(write_county(tmp_path, cap=cap, minutes=limit))
    assert value == pytest.approx(best, abs=1e-6)
    assert chosen in argbest


def test_cap_too_tight_is_explained(tmp_path: Path) -> None:
    # 375 beds today; the cheapest pair (丙镇 + 戊镇) needs 15 more; a cap of 7.6 allows 380.
    path = write_county(tmp_path, cap=7.6)
    with pytest.raises(InfeasibleError, match=r"(?s)cannot all hold.*by 10 beds.*"
                       r"7\.6 beds per 1000 residents in 2025"):
        run_scenario(path, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # nothing written on failure


def test_infeasible_message_names_both_numbers(tmp_path: Path) -> None:
    path = write_county(tmp_path, cap=7.6)
    with pytest.raises(InfeasibleError) as caught:
        run_scenario(path, tmp_path / "out")
    message = str(caught.value)
    assert "7.6 beds per 1000" in message
    assert "sub-centre standard of at least 100 beds" in message


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cap=st.sampled_from([7.8, 8.0, 8.2, 8.5, 9.0]), more=st.sampled_from([0.2, 0.5, 1.0]),
       limit=st.sampled_from([9.0, 12.0, 16.0]))
def test_looser_cap_never_worse(tmp_path_factory: pytest.TempPathFactory, cap: float,
                                more: float, limit: float) -> None:
    tight, _ = model_optimum(write_county(tmp_path_factory.mktemp("a"), cap=cap, minutes=limit))
    loose, _ = model_optimum(write_county(tmp_path_factory.mktemp("b"), cap=cap + more,
                                          minutes=limit))
    assert loose >= tight - 1e-6


@pytest.mark.parametrize(("budget", "more"), [(20.0, 30.0), (45.0, 10.0), (50.0, 100.0)])
def test_bigger_budget_never_worse(tmp_path: Path, budget: float, more: float) -> None:
    small, _ = model_optimum(write_county(tmp_path / "s", cap=10.0, minutes=20.0, budget=budget))
    large, _ = model_optimum(write_county(tmp_path / "l", cap=10.0, minutes=20.0,
                                          budget=budget + more))
    assert large >= small - 1e-6
