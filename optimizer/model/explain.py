"""Explain an infeasible scenario in policy terms: which numbers conflict, and by how much.

The model is rebuilt in elastic mode (every policy row of families 1-7 gets a penalised slack,
see `optimizer.model.build`) and the total weighted slack is minimised. The rows whose slack is
positive are the numbers that must give way; the policy rows that are tight in that solution and
concern the same year and resource are the ones they conflict with. Weights put all resources on
one footing per unit (a bed and a doctor weigh 1), residents at 1/1000, money at 1/100 and a
sub-centre in a count at 100 (dropping a site is a bigger change than 100 beds), so the
relaxation moves the fewest units; it names *one* smallest way out, not every one.
"""

from __future__ import annotations

from collections.abc import Mapping

from optimizer.config.sections import SolverSection
from optimizer.errors import SolverError
from optimizer.model.build import build_model
from optimizer.model.inputs import ModelInputs
from optimizer.model.policy_rows import PolicyRow
from optimizer.model.solve import solve_problem

__all__ = ["conflicts", "explain_infeasible"]

_EPS = 1e-6


def _lhs(row: PolicyRow, values: Mapping[str, float]) -> float:
    return row.constant + sum(c * values.get(name, 0.0) for name, c in row.terms)


def _tight(row: PolicyRow, values: Mapping[str, float]) -> bool:
    gap = abs(_lhs(row, values) - row.rhs)
    # Levels are whole numbers: a cap of 8,835.6 beds met by 8,835 is as tight as it gets.
    return gap < (1.0 if row.unit not in ("residents",) else 1e-6 * max(1.0, abs(row.rhs)))


def conflicts(inputs: ModelInputs, options: SolverSection
              ) -> list[tuple[PolicyRow, float, list[PolicyRow]]]:
    """The rows that must give way (with the amount) and the tight rows they conflict with.

    Raises
    ------
    SolverError
        If even the elastic model cannot be solved.
    """
    model = build_model(inputs, elastic=True)
    result = solve_problem(model.problem, options)
    if not result.has_solution:
        raise SolverError(f"the relaxed model could not be solved either ({result.raw_status})")
    values = result.values
    found = []
    violated = {row.name for row in model.rows
                if sum(values.get(s, 0.0) for s in row.slacks) > _EPS}
    for row in model.rows:
        amount = sum(values.get(s, 0.0) for s in row.slacks)
        if amount <= _EPS:
            continue
        partners = [other for other in model.rows
                    if other.name not in violated and other.year in (row.year, None)
                    and (other.resource == row.resource or not row.resource)
                    and _tight(other, values)]
        partners.sort(key=lambda other: (other.family == row.family, other.family, other.name))
        found.append((row, amount, partners))
    found.sort(key=lambda item: (-item[1] * item[0].weight, item[0].name))
    return found


def _amount(value: float, unit: str) -> str:
    return f"{value:,.0f} {unit}" if value >= 1 else f"{value:.2f} {unit}"


def explain_infeasible(inputs: ModelInputs, options: SolverSection) -> str:
    """A planner's sentence naming the conflicting policy numbers and the size of the conflict.

    For example: "In 2030 the cap of 7.5 beds per 1000 residents (at most 8,835.6 beds) is 312
    beds short of what the sub-centre standard of at least 100 beds at 朱沱镇卫生院 in 2030
    needs."
    """
    found = conflicts(inputs, options)
    name = inputs.scenario.name
    if not found:
        return (f"{name}: the model is infeasible, but relaxing the policy numbers does not "
                "remove the conflict; check fixed choices and travel reach")
    sentences = []
    for row, amount, partners in found[:4]:
        verb = {"<=": "exceeded", ">=": "missed", "==": "off"}[row.sense]
        text = f"{row.text} must be {verb} by {_amount(amount, row.unit)}"
        if partners:
            names = "; ".join(p.text for p in partners[:3])
            more = f" (and {len(partners) - 3} more)" if len(partners) > 3 else ""
            text += f" to meet {names}{more}"
        sentences.append(text)
    more = f" ({len(found) - 4} further conflicts not listed)" if len(found) > 4 else ""
    return (f"{name}: the policy numbers cannot all hold. " + ". ".join(
        s[0].upper() + s[1:] for s in sentences) + f"{more}. Change one of these numbers.")
